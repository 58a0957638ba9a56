"""Untrusted text stays text; a failed write is kept, shown as unsaved and retried."""

from __future__ import annotations

from conftest import SIZE, draft, screen_text

from leadtui.domain.model import Outcome
from leadtui.store.protocol import StoreError
from leadtui.tui.widgets.lead_queue import LeadQueue
from leadtui.tui.widgets.status_line import StatusLine


async def test_markup_in_names_and_notes_is_shown_literally(app_factory, store, add_leads, settle):
    (lead,) = add_leads(draft("[red]Bob[/red] [link=http://x]y[/link]", email="[b]b@x.io"))
    store.add_note(lead.id, "[bold]urgent[/bold] $lead-aging", store.get_lead(lead.id).received_at)
    app = app_factory()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.get_cell(lead.id, "name").plain.startswith("[red]Bob[/red]")
        text = screen_text(app)
        assert "[red]Bob[/red] [link=http://x]y[/link]" in text
        assert "[b]b@x.io" in text
        assert "[bold]urgent[/bold] $lead-aging" in text
        await pilot.press("h")
        await settle(pilot)
        assert any("[red]Bob[/red]" in n.message for n in app._notifications)


async def test_a_failed_write_is_kept_unsaved_and_retried(
    app_factory, store, add_leads, settle, monkeypatch
):
    (lead,) = add_leads(draft("Ada Lovelace"))
    real = store.log_touch
    failures = {"left": 2}

    def flaky(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise StoreError(f"{store.path}: No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "log_touch", flaky)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert store.touches(lead.id) == []
        assert "UNSAVED 1" in screen_text(app)
        assert not any("logged for" in n.message for n in app._notifications)
        assert any(n.severity == "error" and "No space left" in n.message
                   for n in app._notifications)  # fmt: skip
        await pilot.press("r")  # fails again, still kept
        await settle(pilot)
        assert store.touches(lead.id) == [] and app.outbox.unsaved == 1
        await pilot.press("r")
        await settle(pilot)
        assert [t.outcome for t in store.touches(lead.id)] == [Outcome.NO_ANSWER]
        assert app.outbox.unsaved == 0
        assert "UNSAVED" not in screen_text(app)
        assert any("no-answer logged for Ada" in n.message for n in app._notifications)


async def test_writes_are_saved_in_order_and_confirmed_only_when_stored(
    app_factory, store, add_leads, settle, monkeypatch
):
    import threading

    (lead,) = add_leads(draft("Ada Lovelace"))
    other, *_ = add_leads(draft("Bob Stone", minutes_ago=2))
    gate = threading.Event()
    real = store.log_touch

    def slow(*args, **kwargs):
        assert gate.wait(10), "the test never opened the gate"
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "log_touch", slow)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e", "s")  # two quick touches while the disk is slow
        await pilot.pause()
        assert app.outbox.saving == 2
        assert "saving" in screen_text(app)
        assert not any("logged for" in n.message for n in app._notifications)
        gate.set()
        await settle(pilot)
        assert [t.outcome for t in store.touches(lead.id)] == [Outcome.EMAIL, Outcome.TEXT]
        assert store.touches(other.id) == []
        assert sum("logged for" in n.message for n in app._notifications) == 2


async def test_status_line_shows_no_markup_from_filter_text(app_factory, add_leads, settle):
    add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"[b]")
        await pilot.pause()
        status = app.screen.query_one(StatusLine)
        assert status is not None
        assert "filter '[b]'" in screen_text(app)


async def test_quitting_with_an_unsaved_outcome_asks_first(
    app_factory, store, add_leads, settle, monkeypatch
):
    from leadtui.tui.screens.confirm import ConfirmScreen

    add_leads(draft("Ada Lovelace"))

    def broken(*args, **kwargs):
        raise StoreError(f"{store.path}: Read-only file system")

    monkeypatch.setattr(store, "log_touch", broken)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 outcome NOT saved" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and app.outbox.unsaved == 1
