"""The lead's notes and recent history in the blitz ("Prefers calls after lunch").

Beside the script on wide screens, a few lines above it on narrow ones (the blitz screen
places it). Plain text: notes come from web forms and reps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from leadtui.domain.model import Lead, Touch
from leadtui.domain.notes import local_stamps
from leadtui.tui.formatting import short_time

HISTORY_SHOWN = 8


def notes_text(lead: Lead | None, touches: Sequence[Touch], now: datetime) -> Text:
    """'Notes: ...' then 'History:' newest first, in the lead's local time."""
    text = Text(overflow="fold")
    if lead is None:
        return text
    text.append("Notes: ", style="bold")
    text.append(local_stamps(lead.notes.strip(), lead.timezone) or "none")
    text.append("\nHistory: ", style="bold")
    if not touches:
        text.append("none yet")
    for touch in list(touches)[-HISTORY_SHOWN:][::-1]:
        text.append(f"\n {short_time(touch.at, lead.timezone, now):>12} {touch.outcome}")
        if touch.note:
            text.append(f" · {touch.note}")
    return text


class BlitzNotes(VerticalScroll, can_focus=False):
    """Notes and history of the blitz's current lead."""

    DEFAULT_CSS = """
    BlitzNotes {
        padding: 0 1;
        & > #blitz-notes-body { width: 1fr; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None

    def compose(self):
        yield Static(Text(""), id="blitz-notes-body")

    def show(self, lead: Lead | None, touches: Sequence[Touch], now: datetime) -> None:
        text = notes_text(lead, touches, now)
        if self._shown is not None and text.plain == self._shown.plain:
            return
        self._shown = text
        self.query_one("#blitz-notes-body", Static).update(text)
