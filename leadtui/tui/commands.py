"""The command palette's leadtui commands (ctrl+p): views, import, help, retry, undo.

Themes come from Textual's own "Theme" command (the choice is remembered). Each command
calls an action of the workstation screen or the app, so the palette and the keys do the
same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp


class LeadCommands(Provider):
    """leadtui's commands for the palette."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        screen = self.screen

        def run(action: str) -> Callable[[], object]:
            return partial(app.run_action, action, screen)

        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Show all active leads / due queue", "Toggle the queue view (A)",
             run("toggle_all")),
            ("Filter leads", "By name, phone, email or source (/)", run("filter")),
            ("Import leads from a CSV file", "Type the file's path", run("app.import_csv")),
            ("Retry unsaved outcomes", "Write them to disk again now (r)", run("retry")),
            ("Undo last touch", "Remove the last touch you logged (u)", run("undo")),
            ("Copy phone number", "Of the lead under the cursor (y)", run("copy_phone")),
            ("Add a note", "To the lead under the cursor (o)", run("note")),
            ("Help: keys", "Every key and what the marks mean (?)", run("help")),
            ("Rep details", "Your name and phone for the scripts", run("app.rep_details")),
        ]  # fmt: skip
        commands.extend(cast("LeadApp", app).extra_commands())  # blitz and report
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
