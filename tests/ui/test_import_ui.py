"""The workstation's import (command palette): a real export streams in, the toast names it."""

from __future__ import annotations

from pathlib import Path

from conftest import SIZE

EXPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "exports"


async def test_palette_import_of_a_hubspot_export(app_factory, store, settle):
    app = app_factory()
    path = str(EXPORTS / "hubspot_contacts.csv")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"import leads")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press(*path, "enter")
        await settle(pilot)
        await pilot.pause(0.2)
        phones = {lead.phone: lead for lead in store.leads()}
        assert set(phones) == {"+12065550177", "+15035550136", "+17025550129"}
        assert phones["+15035550136"].other_phones == ("+15035550135",)
        toasts = [n.message for n in app._notifications if "imported" in n.message]
        assert toasts == ["looks like a HubSpot contacts export: 3 imported, 0 already known"]
