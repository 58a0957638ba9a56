"""The report screen at 80x24: the hand-worked fixture in a real store, tabs, filters, plots."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import SIZE, screen_text
from textual.widgets import Input

from leadtui.domain.model import LeadDraft
from leadtui.tui.keys import palette_entries
from leadtui.tui.modes import open_report as show_report
from leadtui.tui.screens.report import ReportScreen, parse_since
from leadtui.tui.screens.text_prompt import TextPrompt
from leadtui.tui.screens.workstation import WorkstationScreen
from leadtui.tui.widgets.bar_plot import BarPlot, count_ticks

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report_fixture import fixture_data  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def fixture_store(store):
    """The eight leads of tests/report_fixture.py, stored through the real store."""
    leads, touches = fixture_data()
    for lead in leads:
        draft = LeadDraft(name=lead.name, phone=lead.phone, email="", source=lead.source,
                          timezone=lead.timezone, received_at=lead.received_at)  # fmt: skip
        (result,) = store.add_leads([draft], lead.received_at)
        for touch in touches[lead.id]:
            store.log_touch(result.lead.id, touch.outcome, touch.at, when=touch.when)
    return store


async def open_report(app, pilot, settle) -> ReportScreen:
    await settle(pilot)
    show_report(app)
    await settle(pilot)
    assert isinstance(app.screen, ReportScreen)
    return app.screen


async def test_report_screen_shows_the_hand_worked_figures(app_factory, fixture_store, settle):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot, settle)
        assert screen.report is not None
        print(screen_text(app))
        text = " ".join(screen_text(app).split())
        assert "REPORT · 8 leads · all sources" in text
        assert "median 5m, 90th percentile 2d" in text
        assert "4 contacts in 23 dials (17%)" in text
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(app)
        row = "purchased            3   1h02m      2h   33%   33%      0%      0%     1   33%"
        assert row in text
        await pilot.press("3")
        await settle(pilot)
        speed = screen.query_one("#plot-speed", BarPlot)
        assert speed.bars == (
            ("<=1m", "1-5m", "5-30m", "30m-2h", "2h-1d", ">1d", "never"),
            (1, 3, 1, 1, 0, 1, 1),
        )
        assert "Speed to lead" in screen_text(app)
        hours = screen.query_one("#plot-hours", BarPlot).bars
        # 09h: 2 of 5 dials; 10h: 2 of 6; 14h and 15h had 1 dial each: starred
        assert hours is not None and hours[1][:2] == (40, 33)
        assert hours[0][:3] == ("09", "10", "11*") and "14*" in hours[0]
        attempts = screen.query_one("#plot-attempts", BarPlot).bars
        assert attempts == (tuple("0123456789"), (1, 3, 1, 1, 0, 0, 1, 0, 0, 1))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WorkstationScreen) and app.current_mode == app.DEFAULT_MODE


async def test_source_filter_narrows_the_report(app_factory, fixture_store, settle):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot, settle)
        await pilot.press("f")
        await pilot.pause()
        assert "Sources: " in screen_text(app) and "web" in screen_text(app)  # listed
        await pilot.press(*"radio", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)  # an unknown source: said inline, kept open
        assert "No leads from 'radio'. Sources: " in screen_text(app)
        app.screen.query_one(Input).value = ""
        await pilot.press(*"WEB", "enter")
        await settle(pilot)
        assert screen.report["scope"]["source"] == "web"  # any case, shown as listed
        assert screen.report["overall"]["leads"] == 4
        assert "4 leads · source web" in screen_text(app)


async def test_a_bad_since_is_said_inline_and_the_dialog_stays(app_factory, fixture_store, settle):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot, settle)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"last tuesday", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        assert "Not a date: 'last tuesday' (e.g. 2025-" in screen_text(app)
        assert screen.report["scope"]["since"] is None


async def test_untrusted_source_names_are_plain_text(app_factory, store, settle, clock):
    draft = LeadDraft(name="X", phone="+12125550177", email="", source="[b]evil[/b]",
                      timezone="America/New_York", received_at=clock.now())  # fmt: skip
    store.add_leads([draft], clock.now())
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await open_report(app, pilot, settle)
        await pilot.press("2")
        await settle(pilot)
        assert "[b]evil[/b]" in screen_text(app)


def test_parse_since_and_ticks() -> None:
    assert parse_since("2024-01-08").isoformat() == "2024-01-08T00:00:00+00:00"
    assert parse_since("2024-01-08T10:00Z").isoformat() == "2024-01-08T10:00:00+00:00"
    with pytest.raises(ValueError):
        parse_since("last week")
    assert count_ticks(3) == [0, 1, 2, 3]
    assert count_ticks(12) == [0, 3, 6, 9, 12]
    assert count_ticks(0) == [0, 1]


def _settled(pilot):
    async def run():
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run()


@pytest.mark.parametrize("tab", ["1", "3", "4"])
def test_report_screen_snapshot(snap_compare, app_factory, fixture_store, tab) -> None:
    app = app_factory()

    async def run(pilot) -> None:
        await _settled(pilot)
        show_report(app)
        await _settled(pilot)
        await pilot.press(tab)
        await _settled(pilot)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run)


async def test_R_and_the_palette_open_the_report(app_factory, fixture_store, settle):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [name for name, _, _ in palette_entries(app.settings.keymap)]
        assert "Report" in names and "Start a call blitz" in names
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen) and app.current_mode == "report"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WorkstationScreen)
        await pilot.press("R")  # and again: the mode was removed cleanly
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)


async def test_report_screen_splits_the_figures_by_rep(app_factory, store, settle):
    """Tab 7: one row per rep, each counting only the touches that rep logged."""
    from datetime import UTC, datetime, timedelta

    from leadtui.domain.model import Outcome

    start = datetime(2027, 9, 14, 16, 5, tzinfo=UTC)
    drafts = [
        LeadDraft(name=f"Split {n}", phone=f"+1206555{n:04d}", email="", source="fair",
                  timezone="America/Los_Angeles", received_at=start)
        for n in range(3)
    ]  # fmt: skip
    ids = [r.lead.id for r in store.add_leads(drafts, start)]
    store.log_touch(ids[0], Outcome.NO_ANSWER, start + timedelta(minutes=2), rep="Marisol")
    store.log_touch(ids[0], Outcome.TALKED, start + timedelta(hours=3), rep="Dev")
    store.log_touch(ids[1], Outcome.VM_HANGUP, start + timedelta(minutes=4), rep="marisol ")
    store.log_touch(ids[2], Outcome.WON, start + timedelta(minutes=6), rep="Dev")
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot, settle)
        assert screen.report is not None
        assert set(screen.report["by_rep"]) == {"Dev", "Marisol"}
        await pilot.press("7")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        rows = {line.split()[0]: line.split() for line in lines if line.split()[:1]
                in (["Dev"], ["Marisol"], ["REP"])}  # fmt: skip
        assert set(rows) == {"REP", "Dev", "Marisol"}
        assert rows["Dev"][1] == "2" and rows["Marisol"][1] == "2"  # leads each touched
        # Dev reached both of his leads on his first call; Marisol neither
        assert rows["Dev"][7] == "100%" and rows["Marisol"][7] == "0%"
