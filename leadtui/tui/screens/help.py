"""The help screen: every key (as remapped by the config's `[keymap]`) and what marks mean."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from leadtui.domain.when import EXAMPLES, examples
from leadtui.tui.guard import Guarded
from leadtui.tui.keys import (
    ESCAPE_BINDING,
    LEAD_BINDINGS,
    MOVE_KEYS,
    OUTCOME_BINDINGS,
    PANE_BINDINGS,
    QUIT_BINDING,
    VIEW_BINDINGS,
    key_label,
)
from leadtui.tui.widgets.lead_queue import AGING_GLYPH, HOT_GLYPH, TAKEN_GLYPH


def help_text(
    keymap: Mapping[str, str],
    threshold_minutes: float,
    more: Sequence[Binding] = (),
    now: datetime | None = None,
    demo_home: str = "",
) -> Group:
    """The help screen's content: titled two-column sections (plain text, no markup)."""
    parts: list[Text | Table] = []

    def section(title: str, rows: list[tuple[str, str]]) -> None:
        parts.append(Text(title, style="bold underline"))
        table = Table.grid(padding=(0, 1), pad_edge=True)
        table.add_column(width=18, no_wrap=True, style="bold")
        table.add_column(ratio=1)
        for keys, what in rows:
            table.add_row(Text(f" {keys}"), Text(what))
        parts.append(table)
        parts.append(Text(""))

    section("Log outcome (the lead under the cursor)",
            [(key_label(b, keymap), b.tooltip) for b in OUTCOME_BINDINGS])  # fmt: skip
    section("The lead", [(key_label(b, keymap), b.tooltip) for b in LEAD_BINDINGS])
    section("The lead / script pane",
            [(key_label(b, keymap), b.tooltip) for b in PANE_BINDINGS])  # fmt: skip
    section(
        "Find and move",
        [(key_label(b, keymap), b.tooltip) for b in [*VIEW_BINDINGS, ESCAPE_BINDING]]
        + MOVE_KEYS
        + [(key_label(QUIT_BINDING, keymap), QUIT_BINDING.tooltip)],
    )
    if more:
        section("More", [(key_label(b, keymap), b.tooltip) for b in more])
    section(
        "Marks in the queue",
        [
            (AGING_GLYPH, f"aging: never called and older than {threshold_minutes:g} minutes"),
            (HOT_GLYPH, "new: call it now, before it starts aging"),
            (TAKEN_GLYPH, "taken: another rep has it open (skipped when moving on)"),
        ],
    )
    said = examples(now) if now is not None else EXAMPLES
    section("Callback and appointment times (in the lead's own zone)", [("e.g.", said)])
    if demo_home:
        section("Demo data", [("folder", demo_home)])
    parts.append(Text("Remap any key in config.toml, e.g.", style="italic"))
    parts.append(Text('  [keymap]\n  no_answer = "1"\n  vm_message = "2"'))
    return Group(*parts)


class HelpScreen(Guarded, ModalScreen[None]):
    """All keys; Escape, ? or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #help-box {
            width: 84;
            max-width: 100%;
            height: 100%;
            max-height: 100%;
            border: round $primary;
            border-title-align: center;
            border-subtitle-align: center;
            background: $surface;
            padding: 0 1;
        }
    }
    """
    BINDINGS = [
        Binding("escape,question_mark,f1", "close", "Close", id="help.close",
                tooltip="Close the help"),
        Binding("j", "scroll('down')", show=False, id="help.down", tooltip="Scroll down"),
        Binding("k", "scroll('up')", show=False, id="help.up", tooltip="Scroll up"),
    ]  # fmt: skip

    def __init__(
        self, keymap: Mapping[str, str], threshold_minutes: float, more: Sequence[Binding] = ()
    ) -> None:
        super().__init__()
        self._keymap = dict(keymap)
        self._threshold = threshold_minutes
        self._more = list(more)

    def compose(self) -> ComposeResult:
        box = VerticalScroll(id="help-box")
        box.border_title = "leadtui keys"
        box.border_subtitle = "Esc closes · ↑↓ scroll"
        with box:
            app = self.app
            clock = getattr(app, "clock", None)
            now = clock.now() if clock is not None else None
            demo = str(getattr(app, "demo_home", "") or "")
            body = help_text(self._keymap, self._threshold, self._more, now, demo)
            yield Static(body, id="help-body")

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, direction: str) -> None:
        box = self.query_one("#help-box", VerticalScroll)
        if direction == "down":
            box.scroll_down(animate=False)
        else:
            box.scroll_up(animate=False)
