"""The status line: what the queue shows, how many leads are aging, unsaved outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from leadtui.tui.guard import Guarded


@dataclass(frozen=True, slots=True)
class Status:
    """Everything the status line says (compared as a whole to skip needless redraws)."""

    mode: str  # "due" or "all"
    shown: int
    total: int  # rows that would be shown without the cap
    due: int
    active: int
    aging: int
    oldest: str  # the oldest aging lead's age, "2h13m"
    filter: str = ""
    unsaved: int = 0
    saving: int = 0
    rep: str = ""
    clock: str = ""
    loading: bool = False  # the first queue is not ranked yet


class StatusLine(Guarded, Widget):
    """One line at the top of the workstation (redrawn without a layout pass)."""

    COMPONENT_CLASSES = {"status-line--aging", "status-line--unsaved", "status-line--mode"}
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        padding: 0 1;
        & > .status-line--aging { color: $lead-aging; text-style: bold; }
        & > .status-line--unsaved { color: $lead-unsaved; text-style: bold reverse; }
        & > .status-line--mode { text-style: bold; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._status: Status | None = None

    def set_status(self, status: Status, *, force: bool = False) -> None:
        """Redraw when something changed (one line: never a layout pass)."""
        if status == self._status and not force:
            return
        self._status = status
        self.refresh()

    def render(self) -> Text:
        return self._text(self._status) if self._status else Text("")

    def _text(self, s: Status) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        if s.loading:  # not "0 of 0 active": nothing is known yet
            text.append("Loading the queue…", style=style("status-line--mode"))
        else:
            self._queue_part(text, s)
        if s.unsaved:
            text.append(" ")
            text.append(f" UNSAVED {s.unsaved} · r retry ", style=style("status-line--unsaved"))
        elif s.saving:
            text.append(" · saving…")
        right = f"{s.rep} {s.clock}".strip()
        if right:
            text.append(f" · {right}")
        return text

    def _queue_part(self, text: Text, s: Status) -> None:
        """What the queue shows: mode, counts, filter, the row cap and aging."""
        style = self.get_component_rich_style
        label = "DUE" if s.mode == "due" else "ALL"
        text.append(
            f"{label} {s.due if s.mode == 'due' else s.active}", style=style("status-line--mode")
        )
        text.append(f" of {s.active} active")
        if s.filter:
            text.append(" · filter ")
            text.append(repr(s.filter))
            text.append(f": {s.total}")
        if s.total > s.shown:
            text.append(f" · first {s.shown}, +{s.total - s.shown} more")
        text.append(" · ")
        if s.aging:
            text.append(
                f"! {s.aging} aging, oldest {s.oldest}",
                style=style("status-line--aging"),
            )
        else:
            text.append("none aging")
