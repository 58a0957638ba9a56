"""The filter input: narrows the queue by name, phone, email or source as you type."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from leadtui.domain.model import QueueEntry
from leadtui.tui.guard import Guarded


def matches(entry: QueueEntry, needle: str) -> bool:
    """Does the filter text occur in the lead's name, phone, email or source?"""
    lead = entry.lead
    if needle in lead.name.casefold() or needle in lead.email.casefold():
        return True
    if needle in lead.source.casefold():
        return True
    digits = "".join(ch for ch in needle if ch.isdigit())
    return bool(digits) and len(digits) >= 3 and digits in lead.phone


class FilterBar(Guarded, Input):
    """A one-line input above the queue, shown by `/`, hidden by Escape when empty."""

    DEFAULT_CSS = """
    FilterBar {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
        &:focus { border: none; background-tint: $foreground 5%; }
    }
    """
    BINDINGS = [
        Binding("escape", "screen.close_filter", "Clear filter", id="filter.close",
                tooltip="Clear the filter and go back to the queue"),
        Binding("down", "screen.focus_queue", "To queue", show=False, id="filter.to_queue",
                tooltip="Keep the filter and move to the queue"),
    ]  # fmt: skip

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="filter: name, phone, email or source  (Enter: keep, Esc: clear)",
            id=id,
            compact=True,
        )
