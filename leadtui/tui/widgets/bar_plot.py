"""A bar chart for the report screen, drawn by plotext (textual-plotext's `PlotextPlot`).

Why plotext and not hand-drawn bars: at 80x24 a plotext bar chart of up to 24 bars still
has room for a labelled y axis and one label per bar, and its bars are solid block
characters, so it reads the same without colour (NO_COLOR, the contrast theme). Integer
counts get whole-number ticks; shares get a fixed 0-100 axis so two charts compare.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual_plotext import PlotextPlot


def count_ticks(top: float, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 covering `top`, at most `most` + 1 of them."""
    if top <= 0:
        return [0, 1]
    step = max(1, math.ceil(top / most))
    return list(range(0, int(math.ceil(top / step) * step) + 1, step))


class BarPlot(PlotextPlot):
    """Vertical bars with a title, labels under each bar and a whole-number y axis."""

    DEFAULT_CSS = """
    BarPlot {
        height: 1fr;
        min-height: 8;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: tuple[tuple[str, ...], tuple[float, ...], str, str, bool] | None = None

    def set_bars(
        self,
        labels: Sequence[str],
        values: Sequence[float],
        *,
        title: str,
        y_label: str = "",
        percent: bool = False,
    ) -> None:
        """Draw these bars (replaces what was drawn). `percent`: values are 0-100."""
        data = (tuple(labels), tuple(values), title, y_label, percent)
        if data == self._data:
            return
        self._data = data
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        if labels:
            plt.bar(list(labels), list(values), marker="sd", width=0.7)
        if percent:
            plt.ylim(0, 100)
            plt.yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        else:
            ticks = count_ticks(max(values, default=0))
            plt.ylim(0, ticks[-1])
            positions: list[float] = list(ticks)
            plt.yticks(positions, [str(tick) for tick in ticks])
        if y_label:
            plt.ylabel(y_label)
        self.refresh()

    @property
    def bars(self) -> tuple[tuple[str, ...], tuple[float, ...]] | None:
        """The labels and values drawn (for tests)."""
        return None if self._data is None else (self._data[0], self._data[1])
