"""The footer of the workstation and the blitz: as many keys as the width allows, grouped.

Keys come from the screen's active bindings (so a `[keymap]` remap shows), arranged by
`FOOTER_GROUPS` in `tui/keys.py`: outcomes, the lead, the pane, views, quit. Each key has
a tier; at 80 columns the tier-1 keys show, wider screens add tiers 2 and 3, and every
key a group keeps stays in its place. Keys whose action is unavailable now (retry with
nothing unsaved) are left out. One line, plain text styled from the theme.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from leadtui.tui.keys import FOOTER_GROUPS

SEPARATOR = " │ "


class KeyBar(Widget, can_focus=False):
    """Grouped keys: 'n h m t c log │ g dial  o note │ J/K scroll  z zoom │ ? help  q quit'."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--label"}
    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        dock: bottom;
        background: $footer-background;
        color: $footer-foreground;
        & > .key-bar--key { color: $footer-key-foreground; text-style: bold; }
        & > .key-bar--label { color: $footer-description-foreground; }
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _: self.refresh())

    def on_resize(self) -> None:
        self.refresh()

    def _available(self) -> dict[str, str]:
        """binding id -> the key as shown, for the bindings active and enabled now."""
        app = self.app
        shown: dict[str, str] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id and active.enabled and binding.id not in shown:
                shown[binding.id] = app.get_key_display(binding)
        return shown

    def layout_items(self, width: int) -> list[list[tuple[str, str]]]:
        """The groups to show at `width`: each a list of (key, label); a group's label
        follows its keys when the group has one ('n h m log')."""
        available = self._available()
        chosen: set[str] = set()
        for tier in (1, 2, 3):
            trial = chosen | {
                binding_id
                for _, items in FOOTER_GROUPS
                for binding_id, _, item_tier in items
                if item_tier == tier and binding_id in available
            }
            if _width(self._groups(trial, available)) <= width:
                chosen = trial
        return self._groups(chosen, available)

    def _groups(self, chosen: set[str], available: dict[str, str]) -> list[list[tuple[str, str]]]:
        groups = []
        for label, items in FOOTER_GROUPS:
            keys = [(available[i], text) for i, text, _ in items if i in chosen]
            if not keys:
                continue
            if label:  # a group of keys with one label: 'n h m t c log'
                keys = [(" ".join(k for k, _ in keys), label)]
            groups.append(keys)
        return groups

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        label_style = self.get_component_rich_style("key-bar--label")
        text = Text(no_wrap=True, overflow="crop")
        for index, group in enumerate(self.layout_items(self.size.width - 2)):
            text.append(SEPARATOR if index else " ", style=label_style)
            for n, (key, label) in enumerate(group):
                if n:
                    text.append("  ")
                text.append(key, style=key_style)
                text.append(f" {label}", style=label_style)
        return text


def _width(groups: list[list[tuple[str, str]]]) -> int:
    total = 0
    for index, group in enumerate(groups):
        total += len(SEPARATOR) if index else 1
        total += sum(len(key) + 1 + len(label) for key, label in group) + 2 * (len(group) - 1)
    return total
