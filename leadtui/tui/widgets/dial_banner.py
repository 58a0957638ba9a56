"""The number to dial, in large digits (`g` without a dial command), above the footer.

Hidden until a dial shows it; the screen hides it again when the cursor leaves that lead
or `Esc` is pressed. The name is shown as plain text (it comes from a lead form).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Static


class DialBanner(Vertical, can_focus=False):
    """'Call Ana Lima · copied' over the number in 3-line digits."""

    DEFAULT_CSS = """
    DialBanner {
        height: auto;
        display: none;
        background: $boost;
        border-top: solid $accent;
        padding: 0 1;
        & > #dial-label { color: $text-muted; }
        & > #dial-digits { width: auto; color: $accent; }
    }
    DialBanner.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lead_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="dial-label")
        yield Digits(id="dial-digits")

    def show(self, lead_id: str, name: str, phone: str) -> None:
        """Show `phone` (people's format) for the lead `lead_id`."""
        self.lead_id = lead_id
        label = Text(f"Call {name} · copied to the clipboard · Esc hides this")
        self.query_one("#dial-label", Static).update(label)
        digits = "".join(ch for ch in phone if ch in " 0123456789+-()")
        self.query_one("#dial-digits", Digits).update(digits)
        self.add_class("-shown")

    def hide(self) -> None:
        self.lead_id = None
        self.remove_class("-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")
