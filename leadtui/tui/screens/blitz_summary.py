"""The end of a blitz: what it produced, the pace against the goal. Enter or Esc closes."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from leadtui.domain.blitz import BlitzSession, format_clock
from leadtui.tui.screens.dialog import DialogScreen


def summary_text(session: BlitzSession, now: datetime) -> str:
    """The summary's lines, plain."""
    tallies = session.tallies
    used = session.elapsed(now)
    lines = [
        f"Time: {format_clock(used)} of {format_clock(session.planned.total_seconds())}"
        + (" (ended early)" if session.ended_early else ""),
        f"Dials: {tallies.dials}"
        + (f" of a goal of {session.goal}" if session.goal is not None else ""),
        f"Contacts: {tallies.contacts} (talked {tallies.talked}, callback {tallies.callbacks}, "
        f"appointments {tallies.appointments}, won {tallies.won}"
        + (f", not interested {tallies.not_interested}" if tallies.not_interested else "")
        + ")",
        f"Messages left: {tallies.messages_left}   Appointments: {tallies.appointments}",
    ]
    if used >= 60:
        lines.append(f"Pace: {tallies.dials * 3600 / used:.0f} dials per hour")
    if tallies.dials:
        lines.append(f"Contact rate: {tallies.contacts * 100 / tallies.dials:.0f}% of dials")
    if session.goal is not None:
        if tallies.dials >= session.goal:
            lines.append("Goal reached. Well dialed.")
        else:
            lines.append(f"{session.goal - tallies.dials} dials short of the goal.")
    return "\n".join(lines)


class BlitzSummaryScreen(DialogScreen[None]):
    """What the blitz produced."""

    DEFAULT_CSS = """
    BlitzSummaryScreen {
        & > #summary-box { width: 66; border: thick $accent; }
        #summary-keys { margin-top: 1; }
    }
    """
    BINDINGS = [
        Binding("enter,escape", "close", "close", id="blitz_summary.close",
                tooltip="Back to the workstation"),
    ]  # fmt: skip

    def __init__(self, session: BlitzSession, now: datetime) -> None:
        super().__init__()
        self._session = session
        self._now = now

    def compose(self) -> ComposeResult:
        title = "Blitz ended early" if self._session.ended_early else "Time up: blitz over"
        with Vertical(id="summary-box", classes="dialog-box"):
            yield Static(Text(title), id="summary-title", classes="dialog-title")
            yield Static(Text(summary_text(self._session, self._now)), id="summary-body")
            yield Static(
                Text("Enter / Esc: back to the workstation"),
                id="summary-keys",
                classes="dialog-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)
