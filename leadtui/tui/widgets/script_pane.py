"""The script pane: what to say for the lead's next action, filled in, as plain text.

Scripts are user-editable files; their text (and the lead's name inside it) is shown
literally, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class ScriptPane(VerticalScroll, can_focus=False):
    """The live-call guide and, when one is due, the voicemail to leave."""

    DEFAULT_CSS = """
    ScriptPane {
        padding: 0 1;
        & > #script-body { width: 1fr; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[str, str, str | None, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("No script yet."), id="script-body")

    def show(
        self, title: str, live_call: str, voicemail: str | None, written: str | None = None
    ) -> None:
        """Show a script; only redraws when the text differs."""
        shown = (title, live_call, voicemail, written)
        if shown == self._shown:
            return
        self._shown = shown
        text = Text(overflow="fold")
        text.append(title, style="bold")
        text.append("\n")
        if written:
            text.append(" To send: ", style="bold reverse")
            text.append("\n")
            text.append(written.strip())
            text.append("\n\n")
        if voicemail:
            text.append(" If voicemail: ", style="bold reverse")
            text.append("\n")
            text.append(voicemail.strip())
            text.append("\n\n")
        text.append("On the call:", style="bold underline")
        text.append("\n")
        text.append(live_call.strip())
        self.query_one("#script-body", Static).update(text)
        self.scroll_home(animate=False)

    def clear(self, message: str) -> None:
        """Show a line instead of a script."""
        self._shown = None
        self.query_one("#script-body", Static).update(Text(message))
