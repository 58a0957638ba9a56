"""How the app reaches the blitz and the report: keys, palette entries, start and quit hooks.

Kept out of `app.py` so the app only needs a few one-line hooks: `B` starts a blitz (asks
for minutes and goal), `R` opens the report; both are in the command palette too. A blitz
asked for on the command line (`leadtui blitz`) opens straight away, and on quit a running
blitz is closed and saved (ended early if time was left).

The blitz (and the report) run in their own screen *mode*, not pushed on the workstation:
Textual repaints, on the top screen, every region that changes on the screen right below
it, so a workstation ticking underneath would cost kilobytes a second over SSH. In its own
mode the workstation keeps its state but sends nothing to the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.screen import Screen

from leadtui.tui.screens.blitz import BLITZ_BINDINGS, BLITZ_MODE, BlitzScreen
from leadtui.tui.screens.blitz_start import BlitzStartScreen
from leadtui.tui.screens.report import REPORT_MODE, ReportScreen

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp

APP_BINDINGS: list[Binding] = [
    Binding("B", "blitz", "blitz", show=False, id="blitz",
            tooltip="Start a call blitz: a timed block of dialing"),
    Binding("R", "report", "report", show=False, id="report",
            tooltip="Report: speed to lead, contact rate, persistency"),
]  # fmt: skip

#: Binding ids a `[keymap]` in config.toml may remap, besides the workstation's.
BINDING_IDS: frozenset[str] = frozenset(
    b.id
    for b in [*APP_BINDINGS, *BLITZ_BINDINGS, *ReportScreen.BINDINGS]
    if isinstance(b, Binding) and b.id
)


def running_blitz(app: LeadApp) -> BlitzScreen | None:
    """The blitz screen, if a blitz is on."""
    return BlitzScreen.running.get(app)


def _enter_mode(app: LeadApp, mode: str, make: Callable[[], Screen[Any]]) -> None:
    """Switch to a new screen mode whose base screen `make` builds."""
    if mode in app._modes:  # the same view's previous mode is still being removed
        return
    # Textual (8.x) only switches to modes it knows by name, and the default mode, whose
    # stack already holds the workstation, is not among them unless MODES names it: name
    # it here so the view can switch back (the factory is never called: the stack exists).
    app._modes.setdefault(app.DEFAULT_MODE, lambda: app.screen_stack[0])
    app.add_mode(mode, make)
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


def palette_commands(app: LeadApp) -> list[tuple[str, str, Callable[[], object]]]:
    """Command-palette entries: (name, help, callback)."""
    return [
        ("Start a call blitz", "A timed block of dialing with a countdown and tallies (B)",
         lambda: open_blitz(app)),
        ("Report", "Speed to lead, contact rate, persistency, by source; blitz history (R)",
         lambda: open_report(app)),
    ]  # fmt: skip


def close_blitz_for_quit(app: LeadApp) -> None:
    """Save a running blitz as ended (blocking; call it from a thread while quitting)."""
    screen = running_blitz(app)
    if screen is not None:
        screen.close_for_quit()
