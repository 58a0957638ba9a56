"""The command palette's leadtui commands (ctrl+p): views, import, help, retry, undo.

Themes come from Textual's own "Theme" command (the choice is remembered). The entries
come from the one registry (`keys.PALETTE`); each calls an action of the screen or the
app, so the palette and the keys do the same thing, and each shows its (remapped) key.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from leadtui.tui.keys import palette_entries

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp


class LeadCommands(Provider):
    """leadtui's commands for the palette."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        screen = self.screen

        def run(action: str) -> Callable[[], object]:
            return partial(app.run_action, action, screen)

        keymap = cast("LeadApp", app).settings.keymap
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (name, help_text, run(action)) for name, help_text, action in palette_entries(keymap)
        ]
        return commands

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)
