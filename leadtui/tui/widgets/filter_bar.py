"""The filter input: narrows the queue by name, phone, email or source as you type."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from leadtui.domain.model import QueueEntry
from leadtui.domain.queue_page import lead_matches
from leadtui.tui.guard import Guarded


def matches(entry: QueueEntry, needle: str) -> bool:
    """Does the filter text (casefolded) occur in the lead's name, phone, email or source?
    (`domain.queue_page.lead_matches`: the stores filter their pages by the same rule.)"""
    return lead_matches(entry.lead, needle)


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
