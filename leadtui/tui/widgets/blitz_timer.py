"""The blitz countdown: large mm:ss digits, the state, and a bar of the time used.

Cheap over SSH: `show()` is called once a second but touches a child only when what it
displays changes (the digits once a second, the state word rarely, the bar when it grows by
a cell), so an idle blitz sends about a hundred bytes a second, not a screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from leadtui.domain.blitz import BlitzState, format_clock
from leadtui.tui.guard import Guarded
from leadtui.tui.widgets.time_bar import TimeBar

_STATE_WORDS = {
    BlitzState.RUNNING: "",
    BlitzState.PAUSED: "PAUSED (p resumes)",
    BlitzState.FINISHED: "TIME UP",
    BlitzState.ENDED_EARLY: "ENDED",
}


class BlitzTimer(Guarded, Vertical):
    """Countdown digits with a state word beside them and a progress bar below."""

    DEFAULT_CSS = """
    BlitzTimer {
        height: auto;
        width: auto;
        & > Horizontal { height: 3; width: auto; }
        & #blitz-clock { width: auto; min-width: 16; color: $accent; }
        & #blitz-state { width: 20; height: 3; padding: 1 0 0 2; text-style: bold; }
        & #blitz-bar { width: 36; }
        &.-paused #blitz-clock { color: $warning; text-style: dim; }
        &.-over #blitz-clock { color: $error; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock_text = ""
        self._state: BlitzState | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Digits("--:--", id="blitz-clock")
            yield Static(Text(""), id="blitz-state")
        yield TimeBar(id="blitz-bar")

    def show(self, remaining: float, progress: float, state: BlitzState) -> None:
        """Redraw what changed: the digits, the state word, the bar (by whole cells)."""
        clock_text = format_clock(remaining)
        if clock_text != self._clock_text:
            self._clock_text = clock_text
            self.query_one("#blitz-clock", Digits).update(clock_text)
        if state is not self._state:
            self._state = state
            self.query_one("#blitz-state", Static).update(Text(_STATE_WORDS[state]))
            self.set_class(state is BlitzState.PAUSED, "-paused")
            self.set_class(state in (BlitzState.FINISHED, BlitzState.ENDED_EARLY), "-over")
        self.query_one("#blitz-bar", TimeBar).set_fraction(progress)

    @property
    def clock_text(self) -> str:
        """The countdown as shown (for tests and the summary)."""
        return self._clock_text
