"""A one-line switch between the lead pane and the script pane on narrow screens."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from leadtui.tui.guard import Guarded

PANES = (("detail", "Lead"), ("script", "Script"))


class PaneTabs(Guarded, Widget, can_focus=False):
    """Shows which pane is up; ←/→ on the queue switch it."""

    COMPONENT_CLASSES = {"pane-tabs--active"}
    DEFAULT_CSS = """
    PaneTabs {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground 70%;
        & > .pane-tabs--active { text-style: bold reverse; }
    }
    """

    active: reactive[str] = reactive("detail")

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, label in PANES:
            text.append(" ")
            style = self.get_component_rich_style("pane-tabs--active") if key == self.active else ""
            text.append(f" {label} ", style=style)
        text.append("  ←/→ switch")
        return text
