"""Ask for one line of text (a note, a file path) in a small box."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from leadtui.tui.screens.dialog import DialogScreen


class TextPrompt(DialogScreen[str | None]):
    """Enter returns the text (stripped; None when empty), Escape returns None.

    `check(text)` (optional) returns "" when the text will do, else why not: shown under
    the input as the rep types, and Enter keeps the prompt open until it is right.
    """

    DEFAULT_CSS = """
    TextPrompt {
        #prompt-hint.-error { color: $error; }
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Close without saving"),
    ]

    def __init__(
        self,
        title: str,
        hint: str = "",
        *,
        value: str = "",
        max_length: int = 0,
        check: Callable[[str], str] | None = None,
    ):
        super().__init__()
        self._check = check
        self._title = title
        self._hint = hint
        self._value = value
        self._max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box", classes="dialog-box"):
            yield Static(Text(self._title), id="prompt-title", classes="dialog-title")
            yield Input(value=self._value, id="prompt-input", max_length=self._max_length)
            yield Static(
                Text(self._hint or "Enter: save    Esc: cancel"),
                id="prompt-hint",
                classes="dialog-hint",
            )

    def _problem(self, value: str) -> str:
        """Why `value` will not do ("" when it will), shown in the hint line."""
        problem = self._check(value.strip()) if self._check and value.strip() else ""
        hint = self.query_one("#prompt-hint", Static)
        hint.update(Text(problem or self._hint or "Enter: save    Esc: cancel"))
        hint.set_class(bool(problem), "-error")
        return problem

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._check is not None:
            self._problem(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if self._problem(value):
            self.app.bell()
            return
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
