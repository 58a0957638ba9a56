"""Before a blitz started from the workstation: how many minutes, and a goal of dials.

Enter in the minutes field moves to the goal; Enter in the goal starts; Esc cancels.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from leadtui.tui.screens.dialog import DialogScreen

MAX_MINUTES = 8 * 60
MAX_GOAL = 10_000  # dials in one blitz: more is a typo (and a 5,000-digit goal would not parse)


def parse_plan(minutes: str, goal: str) -> tuple[float, int | None]:
    """Minutes (a number above 0, at most 8 hours) and an optional whole goal of dials."""
    try:
        mins = float(minutes.strip() or "60")
    except ValueError:
        raise ValueError(f"minutes: {minutes.strip()[:20]!r} is not a number") from None
    if not 0 < mins <= MAX_MINUTES:
        raise ValueError(f"minutes: between 1 and {MAX_MINUTES}")
    text = goal.strip()
    if not text:
        return mins, None
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_GOAL)):
        raise ValueError(f"goal: {text[:20]!r} is not a whole number of dials")
    if int(text) > MAX_GOAL:
        raise ValueError(f"goal: at most {MAX_GOAL} dials")
    return mins, int(text)


class BlitzStartScreen(DialogScreen[tuple[float, int | None] | None]):
    """Ask for the blitz's length and goal."""

    DEFAULT_CSS = """
    BlitzStartScreen {
        & > #blitz-start-box { width: 56; border: thick $accent; }
        #blitz-start-error { color: $error; }
    }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="blitz_start.cancel", tooltip="No blitz now"),
    ]

    def __init__(self, minutes: float = 60, goal: int | None = None) -> None:
        super().__init__()
        self._minutes = minutes
        self._goal = goal

    def compose(self) -> ComposeResult:
        with Vertical(id="blitz-start-box", classes="dialog-box"):
            yield Static(Text("Start a call blitz"), id="blitz-start-title", classes="dialog-title")
            yield Static(Text("Minutes"))
            yield Input(f"{self._minutes:g}", id="blitz-minutes", max_length=5)
            yield Static(Text("Goal: dials (empty for none)"))
            yield Input("" if self._goal is None else str(self._goal), id="blitz-goal",
                        max_length=5)  # fmt: skip
            yield Static(Text(""), id="blitz-start-error")
            yield Static(
                Text("Enter: next / start    Esc: cancel"),
                id="blitz-start-hint",
                classes="dialog-hint",
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "blitz-minutes":
            self.query_one("#blitz-goal", Input).focus()
            return
        minutes = self.query_one("#blitz-minutes", Input).value
        goal = self.query_one("#blitz-goal", Input).value
        try:
            plan = parse_plan(minutes, goal)
        except ValueError as exc:
            self.query_one("#blitz-start-error", Static).update(Text(str(exc)))
            return
        self.dismiss(plan)

    def action_cancel(self) -> None:
        self.dismiss(None)
