"""The app's screen modes: the workstation (`DEFAULT_MODE`), a blitz and the report.

`LeadApp.MODES` names the workstation as the default mode's base screen. A blitz (with
its minutes and goal) and the report are added as modes when opened (`add_mode`,
`switch_mode`) and removed when left (`remove_mode`): public Textual API only. `B` starts
a blitz (asks for minutes and goal), `R` opens the report; both are in the command palette
too. A blitz asked for on the command line (`leadtui blitz`) opens straight away, and on
quit a running blitz is closed and its record handed to the outbox (ended early if time
was left).

The blitz (and the report) run in their own screen *mode*, not pushed on the workstation:
Textual repaints, on the top screen, every region that changes on the screen right below
it, so a workstation ticking underneath would cost kilobytes a second over SSH. In its own
mode the workstation keeps its state but sends nothing to the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import InvalidModeError
from textual.screen import Screen

from leadtui.tui.screens.blitz import BLITZ_MODE, BlitzScreen
from leadtui.tui.screens.blitz_start import BlitzStartScreen
from leadtui.tui.screens.report import REPORT_MODE, ReportScreen

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp


WORKSTATION_MODE = "workstation"  # the default mode: its base screen is the workstation


def running_blitz(app: LeadApp) -> BlitzScreen | None:
    """The blitz screen, if a blitz is on."""
    return BlitzScreen.running.get(app)


def _enter_mode(app: LeadApp, mode: str, make: Callable[[], Screen[Any]]) -> None:
    """Switch to a new screen mode whose base screen `make` builds."""
    try:
        app.add_mode(mode, make)
    except InvalidModeError:  # the same view's previous mode is still there
        return
    app.switch_mode(mode)


def start_blitz(app: LeadApp, minutes: float, goal: int | None) -> None:
    """Switch to a new blitz mode whose screen is a fresh `BlitzScreen`."""
    _enter_mode(app, BLITZ_MODE, lambda: BlitzScreen(minutes=minutes, goal=goal))


def open_blitz(app: LeadApp, minutes: float | None = None, goal: int | None = None) -> None:
    """Start a blitz: straight away when minutes are given, else ask for minutes and goal."""
    if running_blitz(app) is not None or app.current_mode == BLITZ_MODE:
        app.notify("A blitz is already running.", severity="warning", timeout=3)
        return
    if minutes is not None:
        start_blitz(app, minutes, goal)
        return

    def chosen(plan: tuple[float, int | None] | None) -> None:
        if plan is not None:
            start_blitz(app, plan[0], plan[1])

    app.push_screen(BlitzStartScreen(), chosen)


def open_report(app: LeadApp) -> None:
    """Show the report: its own mode from the workstation, on top of a running blitz."""
    if isinstance(app.screen, ReportScreen) or app.current_mode == REPORT_MODE:
        return
    if app.current_mode == app.DEFAULT_MODE:
        _enter_mode(app, REPORT_MODE, ReportScreen)
    else:
        app.push_screen(ReportScreen())


def close_blitz_for_quit(app: LeadApp) -> None:
    """End a running blitz and hand its record to the outbox (the quit waits for it)."""
    screen = running_blitz(app)
    if screen is not None:
        screen.close_for_quit()
