"""The blitz view at 80x24: a short blitz run by real keys, the stored session, pause, the end.

Time moves only when a test advances the fixed clock and calls the app's tick: nothing here
sleeps for time to pass.
"""

from __future__ import annotations

import pytest
from conftest import SIZE, draft, screen_text
from textual.widgets import Digits

from leadtui.domain.model import Outcome
from leadtui.tui.modes import open_blitz, running_blitz
from leadtui.tui.screens.blitz import BlitzScreen
from leadtui.tui.screens.blitz_summary import BlitzSummaryScreen
from leadtui.tui.screens.confirm import ConfirmScreen
from leadtui.tui.screens.workstation import WorkstationScreen
from leadtui.tui.widgets.blitz_tallies import BlitzTallies
from leadtui.tui.widgets.blitz_timer import BlitzTimer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def three_leads(add_leads):
    return add_leads(
        draft("Ada Lovelace", minutes_ago=1, phone="+12125550111"),
        draft("Grace Hopper", minutes_ago=2, phone="+12125550112"),
        draft("Alan Turing", minutes_ago=3, phone="+12125550113"),
    )


async def start_blitz(app, pilot, settle, minutes: float = 10, goal: int | None = 20):
    await settle(pilot)
    open_blitz(app, minutes, goal)
    await settle(pilot)
    screen = running_blitz(app)
    assert isinstance(screen, BlitzScreen) and app.screen is screen
    return screen


async def tick(app, pilot, settle) -> None:
    app.live.tick()
    await settle(pilot)


async def test_a_short_blitz_logs_by_key_and_stores_the_session(
    app_factory, store, clock, three_leads, settle
):
    app = app_factory()
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        blitz = await start_blitz(app, pilot, settle, minutes=10, goal=20)
        session_id = blitz.session.id
        # its own screen mode: the ticking workstation is not underneath to be repainted
        assert app.current_mode == "blitz" and app._background_screens == []
        (record,) = store.blitzes()  # saved at the start
        assert record["id"] == session_id and record["end"] is None
        assert record["planned_minutes"] == 10 and record["goal"] == 20
        assert blitz.query_one(BlitzTimer).clock_text == "10:00"

        first = blitz.current_id
        assert first is not None
        await pilot.press("n")  # no answer: the workstation's key and path
        await settle(pilot)
        (touch,) = store.touches(first)
        assert touch.outcome is Outcome.NO_ANSWER and touch.blitz_id == session_id
        assert blitz.current_id not in (first, None)  # the next due lead came up

        clock.advance(minutes=3)
        await tick(app, pilot, settle)
        assert blitz.query_one(BlitzTimer).clock_text == "07:00"
        second = blitz.current_id
        await pilot.press("m")  # voicemail, message left
        await settle(pilot)
        third = blitz.current_id
        assert third not in (first, second, None)
        await pilot.press("t")  # talked
        await settle(pilot)

        (record,) = store.blitzes()
        assert record["tallies"]["dials"] == 3
        assert record["tallies"]["contacts"] == 1
        assert record["tallies"]["talked"] == 1
        assert record["tallies"]["messages_left"] == 1
        logged = [t.id for lead in (first, second, third) for t in store.touches(lead)]
        assert sorted(record["touch_ids"]) == sorted(logged)
        assert "Dials 3   Contacts 1   Messages left 1" in blitz.query_one(BlitzTallies).text

        # p pauses: the countdown stands still while the clock moves on
        await pilot.press("p")
        await settle(pilot)
        clock.advance(minutes=30)
        await tick(app, pilot, settle)
        assert blitz.query_one(BlitzTimer).clock_text == "07:00"
        assert "PAUSED" in screen_text(app)
        assert store.blitzes()[0]["paused_at"] is not None
        await pilot.press("p")
        await settle(pilot)

        # at zero: the bell and the summary; the session is stored as finished
        clock.advance(minutes=7, seconds=1)
        await tick(app, pilot, settle)
        assert isinstance(app.screen, BlitzSummaryScreen)
        assert bells, "the bell rings at zero"
        text = screen_text(app)
        assert "Time up" in text and "Dials: 3 of a goal of 20" in text
        (record,) = store.blitzes()
        assert record["end"] is not None and record["ended_early"] is False
        assert record["paused_seconds"] == 30 * 60
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WorkstationScreen)
        assert app.current_mode == app.DEFAULT_MODE and running_blitz(app) is None


async def test_undo_in_a_blitz_takes_the_touch_off_the_tallies(
    app_factory, store, three_leads, settle
):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        blitz = await start_blitz(app, pilot, settle)
        first = blitz.current_id
        await pilot.press("h")
        await settle(pilot)
        assert store.blitzes()[0]["tallies"]["dials"] == 1
        await pilot.press("u")
        await settle(pilot)
        assert store.touches(first) == []
        assert store.blitzes()[0]["tallies"]["dials"] == 0
        assert blitz.current_id == first  # back on the lead whose touch was undone


async def test_undo_in_a_blitz_before_logging_never_removes_another_reps_touch(
    app_factory, store, other_store, clock, three_leads, settle
):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        blitz = await start_blitz(app, pilot, settle)
        first = blitz.current_id
        other_store.log_touch(first, Outcome.TALKED, clock.now(), rep="Ben",
                              note="booked follow-up", when=clock.now())  # fmt: skip
        app.live.request_refresh()
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "logged by Ben" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert [t.note for t in store.touches(first)] == ["booked follow-up"]


async def test_ending_early_asks_and_keeps_the_session(app_factory, store, clock, three_leads,
                                                       settle):  # fmt: skip
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await start_blitz(app, pilot, settle, minutes=30)
        await pilot.press("w")
        await settle(pilot)
        clock.advance(minutes=4)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, BlitzSummaryScreen)
        assert "ended early" in screen_text(app)
        (record,) = store.blitzes()
        assert record["ended_early"] is True
        assert record["end"] == (clock.now()).isoformat()
        assert record["tallies"]["won"] == 1


async def test_skip_moves_between_due_leads_and_nothing_due_says_so(
    app_factory, store, add_leads, settle
):
    add_leads(draft("Only One", minutes_ago=1))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        blitz = await start_blitz(app, pilot, settle)
        only = blitz.current_id
        await pilot.press("j")
        assert blitz.current_id == only  # one due lead: skipping comes back to it
        await pilot.press("x")  # not interested: closed, nothing else due
        await settle(pilot)
        assert blitz.current_id is None
        assert "Nothing is due right now." in screen_text(app)
        await pilot.press("n")  # no lead: refused, nothing stored
        await settle(pilot)
        assert store.blitzes()[0]["tallies"]["dials"] == 1


async def test_a_tick_redraws_only_what_changed(app_factory, clock, three_leads, settle,
                                                monkeypatch):  # fmt: skip
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        blitz = await start_blitz(app, pilot, settle, minutes=60)
        calls: list[str] = []
        original = Digits.update

        def counting(self, value: str) -> None:
            calls.append(value)
            original(self, value)

        monkeypatch.setattr(Digits, "update", counting)
        blitz._on_tick(clock.now())
        blitz._on_tick(clock.now())  # same second: nothing to redraw
        assert calls == []
        clock.advance(seconds=1)
        blitz._on_tick(clock.now())
        assert calls == ["59:59"]
        clock.advance(seconds=30)  # a laggy link: the next tick shows the true time
        blitz._on_tick(clock.now())
        assert calls == ["59:59", "59:29"]


async def test_lead_names_show_as_plain_text(app_factory, add_leads, settle):
    add_leads(draft("[red]Bob[/red] \x1b[31m", minutes_ago=1))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await start_blitz(app, pilot, settle)
        assert "[red]Bob[/red]" in screen_text(app)


def test_blitz_view_snapshot(snap_compare, app_factory, store, clock, three_leads) -> None:
    app = app_factory()

    async def run(pilot) -> None:
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        open_blitz(app, 60, 40)
        for key in ("n", "m"):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press(key)
        clock.advance(minutes=12, seconds=30)
        app.live.tick()
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run)


async def test_the_app_can_open_straight_into_a_blitz_and_quitting_keeps_it(
    app_factory, store, three_leads, settle
):
    app = app_factory(blitz=(45, 12))  # what `leadtui blitz --minutes 45 --goal 12` does
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        blitz = running_blitz(app)
        assert app.screen is blitz and blitz.session.goal == 12
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("q")  # quit mid-blitz
        await settle(pilot)
    (record,) = store.blitzes()
    assert record["ended_early"] is True and record["end"] is not None
    assert record["tallies"]["dials"] == 1


async def test_B_asks_for_minutes_and_goal_then_starts(app_factory, store, three_leads, settle):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("B")
        await settle(pilot)
        assert "Start a call blitz" in screen_text(app)
        await pilot.press("backspace", "backspace", "2", "5", "enter")
        await settle(pilot)
        await pilot.press("x", "enter")  # not a number: said, nothing started
        await settle(pilot)
        assert "goal: 'x' is not a whole number" in screen_text(app)
        await pilot.press("backspace", "3", "0", "enter")
        await settle(pilot)
        blitz = running_blitz(app)
        assert blitz is not None and app.screen is blitz
        assert (blitz.session.planned_minutes, blitz.session.goal) == (25, 30)
        await pilot.press("B")  # one blitz at a time
        await settle(pilot)
        assert app.screen is blitz


async def test_help_in_a_blitz_lists_the_blitz_keys(app_factory, three_leads, settle):
    import io

    from rich.console import Console
    from textual.widgets import Static

    from leadtui.tui.screens.help import HelpScreen

    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await start_blitz(app, pilot, settle)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=78, file=io.StringIO(), record=True, color_system=None)
        console.print(app.screen.query_one("#help-body", Static).content)
        text = console.export_text()
        assert "Pause or resume the countdown" in text
        assert "Skip to the next due lead" in text


def test_blitz_with_notes_snapshot(snap_compare, app_factory, store, clock, three_leads) -> None:
    """At 160x48 the lead's notes and history fill the right half beside the script."""
    for lead in three_leads:
        store.add_note(lead.id, f"Prefers calls after lunch ({lead.name})", clock.now())
    app = app_factory()

    async def run(pilot) -> None:
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        open_blitz(app, 45, 20)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("h")
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 48), run_before=run)
