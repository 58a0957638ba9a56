"""The lead a blitz is on: who, their number, their clock and window, and what to do.

Plain text only (names come from web forms). Redrawn when its words change: the lead's
clock moves once a minute, so an idle blitz repaints this line at most once a minute.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from leadtui.domain.model import QueueEntry
from leadtui.domain.phone import format_phone
from leadtui.domain.queue import describe_action
from leadtui.domain.window import CallingWindow
from leadtui.tui.formatting import clock_in, window_phrase, zone_label
from leadtui.tui.guard import Guarded


def _phone(e164: str) -> str:
    try:
        return format_phone(e164)
    except Exception:  # an unusual number is still worth showing as stored
        return e164


def lead_lines(entry: QueueEntry, now: datetime, window: CallingWindow) -> tuple[str, str]:
    """Two lines: name, phone, source; then local clock, window, action, attempts."""
    lead = entry.lead
    first = f"{lead.name or '(no name)'} · {_phone(lead.phone)}"
    if lead.source:
        first += f" · {lead.source}"
    if entry.claimed_by:
        first += f" · open on {entry.claimed_by}'s screen"
    tz = lead.timezone
    attempts = "not called yet" if entry.attempts == 0 else f"{entry.attempts} call(s) so far"
    shut = window_phrase(window, tz, now, lead.zones)
    second = (
        f"{clock_in(tz, now)} {zone_label(tz, now)}, {shut} · "
        f"{describe_action(entry.next_action, tz)} · {attempts}"
    )
    return first, second


class BlitzLead(Guarded, Static):
    """Two lines about the current lead (or why there is none)."""

    DEFAULT_CSS = """
    BlitzLead {
        height: 2;
        width: 1fr;
        padding: 0 1;
        background: $panel;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(""), id=id)
        self._lines: tuple[str, str] | None = None

    def show(self, entry: QueueEntry | None, now: datetime, window: CallingWindow) -> None:
        """Redraw when the words differ."""
        if entry is None:
            lines = ("Nothing is due right now.", "The next due lead comes up by itself.")
        else:
            lines = lead_lines(entry, now, window)
        if lines == self._lines:
            return
        self._lines = lines
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("> " if entry is not None else "  ", style="bold")
        text.append(lines[0], style="bold")
        text.append("\n  ")
        text.append(lines[1])
        self.update(text)

    @property
    def lines(self) -> tuple[str, str] | None:
        return self._lines
