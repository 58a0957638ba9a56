"""A bar of the blitz time used: `█████░░░░░  42%`, readable without colour.

Not Textual's `ProgressBar`: that one runs its own one-second timer for an ETA and repaints
itself every second even when the bar has not moved. This bar repaints only when a cell
of it or the whole percentage changes (a 60-minute blitz: about once every 36 seconds).
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from leadtui.tui.guard import Guarded

FILLED, EMPTY = "█", "░"


def bar_text(fraction: float, width: int) -> tuple[str, str, str]:
    """(filled, empty, percentage) parts of a bar `width` cells wide (percentage included)."""
    fraction = min(1.0, max(0.0, fraction))
    label = f" {int(fraction * 100):>3d}% of time"
    cells = max(0, width - len(label))
    filled = int(fraction * cells)
    return FILLED * filled, EMPTY * (cells - filled), label


class TimeBar(Guarded, Widget):
    """The share of the planned time used, as a bar with a whole percentage."""

    COMPONENT_CLASSES = {"time-bar--filled", "time-bar--empty"}
    DEFAULT_CSS = """
    TimeBar {
        height: 1;
        width: 36;
        & > .time-bar--filled { color: $accent; }
        & > .time-bar--empty { color: $text-muted; }
    }
    """

    drawn: reactive[tuple[str, str, str]] = reactive(("", "", ""))
    """What the bar shows; repaints only when this changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._fraction = 0.0

    def set_fraction(self, fraction: float) -> None:
        """Show `fraction` (0..1) of the time used."""
        self._fraction = fraction
        self.drawn = bar_text(fraction, self.size.width or 36)

    def on_resize(self) -> None:
        self.drawn = bar_text(self._fraction, self.size.width or 36)

    def render(self) -> Text:
        filled, empty, label = self.drawn
        text = Text(no_wrap=True)
        text.append(filled, style=self.get_component_rich_style("time-bar--filled"))
        text.append(empty, style=self.get_component_rich_style("time-bar--empty"))
        text.append(label)
        return text
