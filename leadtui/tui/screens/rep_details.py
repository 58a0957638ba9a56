"""First start: ask the rep's name and phone once (the scripts need them) and save them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from leadtui.domain.model import LeadError
from leadtui.domain.phone import parse_phone
from leadtui.tui.screens.dialog import DialogScreen


class RepDetailsScreen(DialogScreen[tuple[str, str] | None]):
    """Returns (name, phone), or None when skipped with Escape."""

    DEFAULT_CSS = """
    RepDetailsScreen {
        & > #rep-box { width: 64; }
        #rep-error { color: $error; height: auto; }
    }
    """
    BINDINGS = [
        Binding("escape", "skip", "Skip", id="rep.skip", tooltip="Skip for now"),
    ]

    def __init__(self, name: str = "", phone: str = "", region: str = "US") -> None:
        super().__init__()
        self._name = name
        self._phone = phone
        self._region = region  # a number without + is read as dialled from here

    def compose(self) -> ComposeResult:
        with Vertical(id="rep-box", classes="dialog-box"):
            yield Static(
                Text("Welcome! Your scripts need two things:"),
                id="rep-title",
                classes="dialog-title",
            )
            yield Static(Text("Your name"))
            yield Input(value=self._name, id="rep-name", max_length=80)
            yield Static(Text("Your phone number (said twice in every voicemail)"))
            yield Input(value=self._phone, id="rep-phone", max_length=40)
            yield Static(Text(""), id="rep-error")
            yield Static(
                Text("Enter: next / save    Esc: skip"), id="rep-hint", classes="dialog-hint"
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = self.query_one("#rep-name", Input).value.strip()
        phone = self.query_one("#rep-phone", Input).value.strip()
        if event.input.id == "rep-name" and not phone:
            self.set_focus(self.query_one("#rep-phone", Input))  # at once: typing goes on
            return
        error = self.query_one("#rep-error", Static)
        if not name or not phone:
            error.update(Text("Both please (or Esc to skip)."))
            self.query_one("#rep-name" if not name else "#rep-phone", Input).focus()
            return
        try:  # the same check as `leadtui add --phone`: it is read out in every voicemail
            parse_phone(phone, self._region)
        except LeadError as exc:
            error.update(Text(f"Your {exc} (e.g. +1 212 555 0188, or with your area code)."))
            self.query_one("#rep-phone", Input).focus()
            return
        self.dismiss((name, phone))

    def action_skip(self) -> None:
        self.dismiss(None)
