"""The blitz tallies and pace: dials, contacts by kind, messages, appointments, pace vs goal.

Redrawn only when its text changes (after an outcome, or when the pace moves a whole dial
per hour), never as a matter of course on every tick.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from leadtui.domain.blitz import Pace, Tallies
from leadtui.tui.guard import Guarded


def tallies_text(tallies: Tallies) -> str:
    """Dials, contacts, messages left; then the contacts by kind (appointments among them)."""
    kinds = (
        f"talked {tallies.talked} · callback {tallies.callbacks} · "
        f"appts {tallies.appointments} · won {tallies.won}"
    )
    if tallies.not_interested:
        kinds += f" · not int. {tallies.not_interested}"
    return (
        f"Dials {tallies.dials}   Contacts {tallies.contacts}   "
        f"Messages left {tallies.messages_left}\n{kinds}"
    )


def pace_text(pace: Pace, dials: int) -> str:
    """Two lines: `Pace 24/h · projected 24 of 40 (behind)` and what the goal needs."""
    if pace.dials_per_hour is None or pace.projected is None:
        first = "Pace: known after the first minute"
    else:
        first = f"Pace {pace.dials_per_hour:.0f}/h · projected {pace.projected}"
        if pace.goal is not None:
            first += f" of {pace.goal}" + (" (on track)" if pace.on_track else " (behind)")
    if pace.goal is None:
        second = "no goal set"
    elif dials >= pace.goal:
        second = f"goal of {pace.goal} dials reached"
    elif pace.needed_per_hour is not None:
        second = (f"Goal {dials} of {pace.goal} dials, {pace.goal - dials} to go, "
                  f"need {pace.needed_per_hour:.0f}/h")  # fmt: skip
    else:
        second = f"Goal {dials} of {pace.goal} dials, {pace.goal - dials} to go"
    return f"{first}\n{second}"


class BlitzTallies(Guarded, Static):
    """Tallies and pace, four lines of plain text."""

    DEFAULT_CSS = """
    BlitzTallies {
        height: 4;
        width: 1fr;
        padding: 0 0 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(""), id=id)
        self._text = ""

    def show(self, tallies: Tallies, pace: Pace) -> None:
        """Redraw when the words differ."""
        text = f"{tallies_text(tallies)}\n{pace_text(pace, tallies.dials)}"
        if text != self._text:
            self._text = text
            self.update(Text(text))

    @property
    def text(self) -> str:
        return self._text
