"""Ask when to call back (or when the appointment is), and say it back before saving.

The rep types "15:30", "tomorrow 10am", "+2h", "in 3 days" or an ISO time; each keystroke
re-reads it in the lead's zone and shows the result ("Tue 24 Nov 15:30 EST (in 2h)") or
what is wrong. Enter saves only a time that reads cleanly.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from leadtui.domain.model import LeadError
from leadtui.domain.when import describe_when, examples, parse_when
from leadtui.domain.window import CallingWindow, is_open
from leadtui.tui.formatting import clock_in, zone_label
from leadtui.tui.screens.dialog import DialogScreen


class WhenPrompt(DialogScreen[datetime | None]):
    """Returns the chosen UTC instant, or None when cancelled."""

    DEFAULT_CSS = """
    WhenPrompt {
        #when-preview { height: 1; text-style: bold; }
        #when-preview.-error { color: $error; text-style: none; }
        #when-preview.-warning { color: $warning; height: auto; }
        #when-hint { color: $text-muted; }
    }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="when.cancel", tooltip="Close without logging"),
    ]

    def __init__(
        self, what: str, lead_name: str, tz: str, now: datetime,
        window: CallingWindow | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self._what = what
        self._lead_name = lead_name
        self._tz = tz
        self._now = now
        self._window = window
        self._chosen: datetime | None = None
        self._outside = False  # the time read is outside the lead's calling window
        self._armed: datetime | None = None  # Enter pressed once on an outside time

    def compose(self) -> ComposeResult:
        local = f"{clock_in(self._tz, self._now)} {zone_label(self._tz, self._now)}"
        title = f"{self._what.capitalize()} with {self._lead_name}: when? (their time now {local})"
        with Vertical(id="when-box", classes="dialog-box"):
            yield Static(Text(title), id="when-title", classes="dialog-title")
            yield Input(placeholder=examples(self._now), id="when-input", max_length=60)
            yield Static(Text("type a time in the lead's zone"), id="when-preview")
            hint = "Enter: save    Esc: cancel    (in the lead's own time)"
            yield Static(Text(hint), id="when-hint", classes="dialog-hint")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._armed = None
        self._read(event.value)

    def _read(self, value: str) -> None:
        preview = self.query_one("#when-preview", Static)
        self._chosen = None
        self._outside = False
        preview.remove_class("-error", "-warning")
        if not value.strip():
            preview.update(Text("type a time in the lead's zone"))
            return
        try:
            self._chosen = parse_when(value, self._now, self._tz)
        except LeadError as exc:
            preview.update(Text(str(exc)))
            preview.add_class("-error")
            return
        except Exception:  # never let a keystroke raise: anything unforeseen is unreadable
            preview.update(Text(f"can't read that: try {examples(self._now)}"))
            preview.add_class("-error")
            return
        said = f"→ {describe_when(self._chosen, self._tz, self._now)}"
        window = self._window
        if window is not None and not is_open(window, self._tz, self._chosen):
            self._outside = True
            said += (f"\noutside their calling window ({window.start:%H:%M}–{window.end:%H:%M} "
                     "their time): Enter again to save it anyway")  # fmt: skip
            preview.add_class("-warning")
        preview.update(Text(said))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._read(event.value)
        if self._chosen is None:
            self.app.bell()
        elif not self._outside or self._armed == self._chosen:
            self.dismiss(self._chosen)
        else:
            self._armed = self._chosen  # outside the window: the next Enter confirms
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)
