"""The queue pane: a DataTable of leads keyed by lead id, updated in place.

`show()` makes the rows exactly a given list of queue entries (rows added, removed and
re-ordered; cells rewritten only when their text changed), and `tick()` refreshes the
ticking cells (age, the lead's clock, the aging marker). The table is never cleared, so
the cursor stays on the rep's lead and the scroll position survives every update.

Every cell is a `rich.text.Text`, never a `str`: a DataTable reads `str` cells as markup,
and names come from lead forms nobody checked.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey

from leadtui.domain.model import QueueEntry
from leadtui.domain.queue import describe_action, format_age
from leadtui.tui.formatting import clock_in, short_time
from leadtui.tui.guard import Guarded
from leadtui.tui.keys import QUEUE_BINDINGS

AGING_GLYPH = "!"  # past the speed-to-lead threshold, never called: visible without colour
HOT_GLYPH = "*"  # new and still inside the threshold
TAKEN_GLYPH = "~"  # another rep has it open
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mark", " ", 1),
    ("age", "Age", 6),
    ("name", "Name", 22),
    ("local", "Time", 5),
    ("next", "Next", 34),
)
#: Columns have fixed widths (fitted to the pane on resize): widths that follow the
#: content would re-measure on every new row, and rows drawn before that are stale.
FLEXIBLE = ("name", "next")


class _KeyedText(Text):
    """A marker cell that knows its row's lead id, so the table can be sorted by rank."""

    __slots__ = ("lead_id",)

    def __init__(self, text: str, lead_id: str, style: Style | str = "") -> None:
        super().__init__(text, style=style, end="")
        self.lead_id = lead_id


@dataclass(slots=True)
class _RowState:
    """What a row shows now, to write only the cells that change."""

    entry: QueueEntry
    texts: dict[str, str]
    kind: str  # "aging", "hot", "taken", "due", "" — the row's look
    next_at: float = 0.0  # POSIX time of the next redraw between minute passes (0: none)


class LeadQueue(Guarded, DataTable[Text]):
    """The ranked queue: marker, age, name, the lead's local time, next action."""

    COMPONENT_CLASSES = {
        "lead-queue--aging",
        "lead-queue--hot",
        "lead-queue--taken",
        "lead-queue--due",
        "lead-queue--later",
    }
    DEFAULT_CSS = """
    LeadQueue {
        height: 1fr;
        & > .lead-queue--aging { color: $lead-aging; text-style: bold; }
        & > .lead-queue--hot { color: $lead-hot; text-style: bold; }
        & > .lead-queue--taken { color: $lead-taken; text-style: italic; }
        & > .lead-queue--due { color: $lead-due; }
        & > .lead-queue--later { color: $text-muted; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [*QUEUE_BINDINGS]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=1)
        self._rows: dict[str, _RowState] = {}
        self._order: list[str] = []
        self._threshold = timedelta(minutes=5)
        self._minute: datetime | None = None
        self._changes: list[tuple[float, str]] = []  # heap of (next_at, lead id)
        self._stale: set[str] = set()  # rows to rewrite fully when in view (minute pass)
        self._due: set[str] = set()  # rows whose age or mark changed, to redraw when in view
        self._now: datetime | None = None

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(Text(label), key=key, width=width)

    def on_resize(self) -> None:
        self.fit_columns(self.size.width)

    def fit_columns(self, width: int) -> None:
        """Share the pane's width between the name and the next action."""
        fixed = sum(w for key, _, w in COLUMNS if key not in FLEXIBLE)
        room = width - fixed - 2 * self.cell_padding * len(COLUMNS) - 2  # 2: scrollbar
        name = max(10, min(28, room * 2 // 5))
        widths = {"name": name, "next": max(10, room - name)}
        changed = False
        for key, new in widths.items():
            column = self.columns[ColumnKey(key)]
            if column.width != new:
                column.width = new
                changed = True
        if changed and self._order:
            # A cell update with update_width re-measures the table and redraws every line.
            first = self._order[0]
            self.update_cell(first, "mark", self.get_cell(first, "mark"), update_width=True)

    # --- reading ---
    @property
    def current_id(self) -> str | None:
        """The lead id under the cursor (None when the table is empty)."""
        if not self._order or self.cursor_row < 0:
            return None
        row = min(self.cursor_row, len(self._order) - 1)
        try:
            key = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key
        except CellDoesNotExist:
            return None
        return key.value

    @property
    def order(self) -> list[str]:
        """Lead ids in the order shown."""
        return list(self._order)

    def entry(self, lead_id: str) -> QueueEntry | None:
        """The entry a row shows."""
        state = self._rows.get(lead_id)
        return state.entry if state else None

    # --- writing ---
    def show(self, entries: Sequence[QueueEntry], now: datetime, threshold: timedelta) -> None:
        """Make the rows exactly `entries`, in order, changing only what differs."""
        self._threshold = threshold
        current = self.current_id
        current_row = self.cursor_row
        wanted = {e.lead.id: e for e in entries}
        for lead_id in [k for k in self._rows if k not in wanted]:
            self.remove_row(lead_id)
            del self._rows[lead_id]
        if len(self._changes) > 4 * len(wanted) + 64:  # drop the stale heap entries
            self._changes = [(s.next_at, k) for k, s in self._rows.items() if s.next_at]
            heapq.heapify(self._changes)
        self._now = now
        for entry in entries:
            self._put(entry, now)
        self._stale.clear()
        self._due.clear()
        order = [e.lead.id for e in entries]
        if order != self._order:
            self._order = order
            rank = {lead_id: i for i, lead_id in enumerate(order)}
            self.sort("mark", key=lambda cell: rank[cell.lead_id])
        if current in wanted:
            self.select(current)
        elif self._order:
            self.move_cursor(row=min(max(current_row, 0), len(self._order) - 1), animate=False)

    def tick(self, now: datetime) -> None:
        """Refresh the ticking cells of the rows in view: every row once a wall minute (its
        clock, its age), in between only rows whose seconds-age or aging mark changes (a
        heap of times). A row out of view is only marked, and redrawn when it scrolls into
        view: a DataTable repaints every visible line for any cell update, so updates of
        rows nobody can see would cost a full repaint each second."""
        self._now = now
        minute = now.replace(second=0, microsecond=0)
        if minute != self._minute:
            self._minute = minute
            self._stale = set(self._rows)
        else:
            stamp = now.timestamp()
            changes = self._changes
            while changes and changes[0][0] <= stamp:
                at, lead_id = heapq.heappop(changes)
                state = self._rows.get(lead_id)
                if state is not None and state.next_at == at:
                    self._due.add(lead_id)
        self._flush_visible()

    def _visible_ids(self) -> list[str]:
        top = int(self.scroll_y)
        rows = max(1, self.size.height)  # the header line makes this one row generous
        return self._order[top : top + rows]

    def _flush_visible(self) -> None:
        """Redraw the marked rows that are in view."""
        if (not self._stale and not self._due) or self._now is None:
            return
        now = self._now
        for lead_id in self._visible_ids():
            full = lead_id in self._stale
            if full or lead_id in self._due:
                self._stale.discard(lead_id)
                self._due.discard(lead_id)
                state = self._rows.get(lead_id)
                if state is not None:
                    self._put(state.entry, now, full=full)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._flush_visible()

    def select(self, lead_id: str) -> bool:
        """Put the cursor on a lead's row; False when it is not shown."""
        if lead_id not in self._rows:
            return False
        index = self.get_row_index(lead_id)
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False)
        return True

    def restyle(self) -> None:
        """Rebuild every cell's style (after a theme change)."""
        for state in self._rows.values():
            state.kind = "?"
            state.texts.clear()
        self._minute = None  # the next tick rewrites every row (in view; the rest on scroll)

    def _kind(self, entry: QueueEntry, age: int) -> str:
        if entry.claimed_by:
            return "taken"
        if entry.attempts == 0:
            return "aging" if age > self._threshold.total_seconds() else "hot"
        if entry.due and entry.next_action.kind in ("callback", "appointment"):
            return "due"
        return ""

    def _texts(
        self, entry: QueueEntry, now: datetime, kind: str, age: int, old: _RowState | None
    ) -> dict[str, str]:
        """The row's cell texts; the slow ones (clock, next) reused unless `old` is None."""
        lead = entry.lead
        glyphs = {"aging": AGING_GLYPH, "hot": HOT_GLYPH, "taken": TAKEN_GLYPH}
        mark = glyphs.get(kind.partition("/")[0], " ")
        texts = {"mark": mark, "age": format_age(age)}
        if old is not None and old.texts:
            texts["name"] = old.texts["name"]
            texts["local"] = old.texts["local"]
            texts["next"] = old.texts["next"]
            return texts
        if entry.claimed_by:
            nxt = f"taken by {entry.claimed_by}"
        else:
            nxt = describe_action(entry.next_action, lead.timezone, now)
            if not entry.due:  # the "all" view: say when it comes due
                due_at = entry.next_action.due_at
                when = short_time(due_at, lead.timezone, now) if due_at > now else "window shut"
                if when not in nxt:
                    nxt = f"{nxt} · {when}"
        texts["name"] = lead.name or lead.phone
        texts["local"] = clock_in(lead.timezone, now)
        texts["next"] = nxt
        return texts

    def _next_change(self, entry: QueueEntry, age: int) -> float:
        """When this row must be redrawn before the next minute's pass (POSIX seconds; 0:
        not before). Ages under a minute tick by the second and the aging mark appears at
        the threshold exactly; older ages are rewritten with every row's clock once a wall
        minute (so a minute-old age may read up to 59 s low, and a quiet second redraws
        nothing)."""
        received = entry.lead.started_at.timestamp()
        threshold = int(self._threshold.total_seconds())
        if age < 60:
            return received + age + 1
        if entry.attempts == 0 and not entry.claimed_by and age <= threshold:
            return received + threshold + 1
        return 0.0

    def _put(self, entry: QueueEntry, now: datetime, *, full: bool = True) -> None:
        lead_id = entry.lead.id
        age = max(0, int((now - entry.lead.started_at).total_seconds()))
        kind = self._kind(entry, age) + ("" if entry.due else "/later")
        state = self._rows.get(lead_id)
        reuse = None if full or state is None or state.entry is not entry else state
        texts = self._texts(entry, now, kind, age, reuse)
        next_at = self._next_change(entry, age)
        if next_at and (state is None or state.next_at != next_at):
            heapq.heappush(self._changes, (next_at, lead_id))
        if state is None:
            cells = [self._cell(key, texts[key], kind, lead_id) for key, _, _ in COLUMNS]
            self.add_row(*cells, key=lead_id)
            self._rows[lead_id] = _RowState(entry, texts, kind, next_at)
            return
        state.next_at = next_at
        state.entry = entry
        restyle = kind != state.kind
        for key, _, _ in COLUMNS:
            if restyle or texts[key] != state.texts.get(key):
                self.update_cell(lead_id, key, self._cell(key, texts[key], kind, lead_id))
        state.texts = texts
        state.kind = kind

    def _cell(self, key: str, text: str, kind: str, lead_id: str) -> Text:
        style = self._style(kind, key)
        if key == "mark":
            return _KeyedText(text, lead_id, style)
        return Text(text, style=style, end="", no_wrap=True, overflow="ellipsis")

    def _style(self, kind: str, column: str) -> Style:
        kind, _, later = kind.partition("/")
        if later and column in ("local", "next"):
            return self.get_component_rich_style("lead-queue--later", partial=True)
        if not kind:
            return Style()
        if kind in ("aging", "hot") and column not in ("mark", "age", "name"):
            return Style()
        if kind == "due" and column != "next":
            return Style()
        return self.get_component_rich_style(f"lead-queue--{kind}", partial=True)
