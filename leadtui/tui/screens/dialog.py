"""The look every modal prompt shares: a box centred over the screen behind it.

A subclass puts its content in a container with the class `dialog-box`, its heading in
one with `dialog-title` and its key hint in one with `dialog-hint`; its own CSS says only
what differs (width, border colour, extra parts).
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType]):
    """A modal screen drawn as a centred, bordered box."""

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
