"""Pinned pictures of the workstation at 80x24: the main screen, help, the callback prompt.

The clock is fixed, the data is fixed, cursors do not blink: a changed picture means the
screen changed. Update on purpose with `pytest tests/ui --snapshot-update`.
"""

from __future__ import annotations

import pytest
from conftest import SIZE, draft
from textual.widgets import Input

from leadtui.domain.model import Outcome

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def demo_app(app_factory, store, stable_ids, add_leads, clock, monkeypatch):
    """Five leads in several stages, names fixed, the rep's own clock in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    leads = add_leads(
        draft("Maria Gonzalez", minutes_ago=0.75, source="web-form", phone="+12125550101"),
        draft("Tom O'Brien", minutes_ago=4, source="google-ads", phone="+13125550102",
              tz="America/Chicago"),
        draft("[red]Bob[/red]", minutes_ago=133, source="purchased", phone="+14155550103",
              tz="America/Los_Angeles", email="bob@example.com"),
        draft("Priya Shah", minutes_ago=60 * 26, source="referral", phone="+16175550104"),
        draft("Kenji Sato", minutes_ago=90, source="web-form", phone="+13035550105",
              tz="America/Denver"),
    )  # fmt: skip
    priya = leads[3]
    store.log_touch(priya.id, Outcome.VM_HANGUP, priya.received_at, rep="Sam Rivera")
    return app_factory()


def _settled(pilot):
    async def run():
        for _ in range(3):
            busy = [w for w in pilot.app.workers if w.group != "prompts"]
            if busy:
                await pilot.app.workers.wait_for_complete(busy)
            await pilot.pause()

    return run()


def test_main_screen(snap_compare, demo_app) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=_settled)


def test_help_screen(snap_compare, demo_app) -> None:
    async def open_help(pilot) -> None:
        await _settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(demo_app, terminal_size=SIZE, run_before=open_help)


def test_callback_prompt(snap_compare, demo_app) -> None:
    async def ask(pilot) -> None:
        await _settled(pilot)
        await pilot.press("c")
        await _settled(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press(*"tomorrow 10am")
        await pilot.pause()

    assert snap_compare(demo_app, terminal_size=SIZE, run_before=ask)


def test_dialog_over_its_dimmed_background(snap_compare, demo_app) -> None:
    """A dialog (here the note) leaves the lead and the queue in view behind it, dimmed."""

    async def ask(pilot) -> None:
        await _settled(pilot)
        await pilot.press("o")
        await _settled(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press(*"asked for the brochure")
        await pilot.pause()

    assert snap_compare(demo_app, terminal_size=SIZE, run_before=ask)


def test_wide_footer(snap_compare, demo_app) -> None:
    """At 160x48 the footer shows every group: outcomes, the lead, the pane, views, quit."""
    assert snap_compare(demo_app, terminal_size=(160, 48), run_before=_settled)
