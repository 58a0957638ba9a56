"""A yes/no question in a small box: `y` confirms, `n` or Escape declines (Enter does
nothing, so a key pressed in a hurry never confirms a do-not-call)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from leadtui.tui.screens.dialog import DialogScreen


class ConfirmScreen(DialogScreen[bool]):
    """Ask before something that matters (do-not-call, a call outside the window)."""

    DEFAULT_CSS = """
    ConfirmScreen {
        & > #confirm-box { border: thick $warning; }
        #confirm-keys { margin-top: 1; }
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Yes, go ahead"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="No, cancel"),
    ]

    def __init__(self, title: str, body: str, yes: str = "yes") -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog-box"):
            yield Static(Text(self._title), id="confirm-title", classes="dialog-title")
            yield Static(Text(self._body), id="confirm-body")
            yield Static(
                Text(f"y: {self._yes}    n / Esc: cancel"), id="confirm-keys", classes="dialog-hint"
            )

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
