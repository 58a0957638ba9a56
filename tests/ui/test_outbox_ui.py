"""Every write goes through the outbox: the blitz session record and a CSV import from the
palette are kept, shown as unsaved and retried like an outcome; a file that cannot be read
is refused with its reason and nothing is kept."""

from __future__ import annotations

import pytest
from conftest import SIZE, draft, screen_text
from textual.widgets import Input

from leadtui.store.protocol import StoreError
from leadtui.tui.modes import open_blitz, running_blitz
from leadtui.tui.screens.text_prompt import TextPrompt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CSV = "name,phone,email,source\nMarta Ruiz,+34 612 345 678,marta@example.es,fair\n" \
      "Kenji Sato,+81 90 1234 5678,kenji@example.jp,fair\n"  # fmt: skip


def failing(monkeypatch, store, method: str, times: int) -> dict[str, int]:
    real = getattr(store, method)
    left = {"n": times}

    def flaky(*args, **kwargs):
        if left["n"]:
            left["n"] -= 1
            raise StoreError(f"{store.path}: Read-only file system")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, method, flaky)
    return left


async def import_from_palette(app, pilot, settle, path) -> None:
    app.action_import_csv()
    await settle(pilot)
    assert isinstance(app.screen, TextPrompt)
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_blitz_record_that_cannot_be_saved_is_kept_and_retried(
    app_factory, store, add_leads, settle, monkeypatch
):
    add_leads(draft("Ingrid Berg", phone="+4791234567"))
    left = failing(monkeypatch, store, "save_blitz", 2)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_blitz(app, 25, None)
        await settle(pilot)
        blitz = running_blitz(app)
        assert blitz is not None
        assert store.blitzes() == [] and app.outbox.unsaved == 1
        assert any("Could not save the blitz session" in t for t in toasts(app))
        await pilot.press("p")  # a newer record replaces the kept one: still one unsaved
        await settle(pilot)
        assert app.outbox.unsaved == 1
        await pilot.press("r")  # fails once more
        await settle(pilot)
        assert store.blitzes() == [] and left["n"] == 0
        await pilot.press("r")
        await settle(pilot)
        (record,) = store.blitzes()
        assert record["id"] == blitz.session.id and record["paused_at"] is not None
        assert app.outbox.unsaved == 0 and not app.outbox


async def test_an_import_goes_through_the_outbox_and_is_retried_after_a_store_failure(
    app_factory, store, settle, monkeypatch, tmp_path
):
    path = tmp_path / "fair leads.csv"
    path.write_text(CSV, encoding="utf-8")
    failing(monkeypatch, store, "add_leads_streamed", 1)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await import_from_palette(app, pilot, settle, path)
        assert store.lead_count() == 0 and app.outbox.unsaved == 1
        assert "UNSAVED 1" in screen_text(app)
        assert any("Could not save the import of" in t for t in toasts(app))
        await pilot.press("r")
        await settle(pilot)
        assert store.lead_count() == 2 and not app.outbox
        assert "2 imported, 0 already known" in toasts(app)
        assert "UNSAVED" not in screen_text(app)


async def test_an_unreadable_file_is_refused_with_its_reason_and_not_kept(
    app_factory, store, settle, tmp_path
):
    missing = tmp_path / "nowhere.csv"
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await import_from_palette(app, pilot, settle, missing)
        assert not app.outbox and app.outbox.unsaved == 0
        (error,) = [n for n in app._notifications if n.title == "Import"]
        assert error.severity == "error" and str(missing) in error.message
