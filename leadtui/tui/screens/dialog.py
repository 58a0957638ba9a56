"""The look every modal prompt shares: a box centred over the screen behind it.

A subclass puts its content in a container with the class `dialog-box`, its heading in
one with `dialog-title` and its key hint in one with `dialog-hint`; its own CSS says only
what differs (width, border colour, extra parts).
"""

from __future__ import annotations

from typing import Any, TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen
from textual.widgets import Input

ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType]):
    """A modal screen drawn as a centred, bordered box."""

    CLOSES_ON_KEYS = True  # Enter and its own keys may close it (tui/key_hold.py)
    _leaving = False

    DEFAULT_CSS = """
    DialogScreen {
        align: center middle;
        & > .dialog-box {
            width: 72;
            max-width: 100%;
            height: auto;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
        & .dialog-title { text-style: bold; }
        & .dialog-hint { color: $text-muted; }
    }
    """

    def on_screen_resume(self) -> None:
        """Up and focused: the keys typed while it opened are its own now."""
        keys = getattr(self.app, "keys", None)
        if keys is not None:
            keys.let_go()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Runs after the subclass's own handler: still open (the answer did not do), so
        the keys typed after Enter are this dialog's."""
        if not self._leaving:
            keys = getattr(self.app, "keys", None)
            if keys is not None:
                keys.let_go()

    def dismiss(self, result: Any = None) -> AwaitComplete:
        """Keys typed while it closes wait for the screen (or the prompt) that comes next."""
        self._leaving = True
        app = self.app
        keys = getattr(app, "keys", None)
        if keys is not None:
            keys.hold()
        done = super().dismiss(result)
        if keys is not None and not getattr(app, "prompting", False):
            keys.let_go()  # the screen behind keeps its focus: the keys go there
        return done
