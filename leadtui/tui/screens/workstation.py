"""The workstation: the live queue, the lead under the cursor, its script, one-key outcomes.

The screen only renders: the app owns the store, the snapshots and the outbox. It listens
to three signals: a new snapshot (re-rank rows in place), the tick (rewrite ticking cells)
and a saved write (toast already shown by the app; here the cursor moves on to the next
due lead that nobody else has open).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input

from leadtui.domain.model import Outcome, QueueEntry
from leadtui.domain.queue import format_age
from leadtui.domain.scripts import script_for
from leadtui.service.gateway import PAGE_ROWS, Snapshot, WriteResult
from leadtui.tui.dialer import dial_lead
from leadtui.tui.guard import Guarded, guarded
from leadtui.tui.keys import APP_BINDINGS, WORKSTATION_BINDINGS
from leadtui.tui.outcomes import (
    ask_note,
    copy_id,
    copy_phone,
    log_outcome,
    log_outcome_now,
    needs_questions,
    undo_last,
)
from leadtui.tui.screens.help import HelpScreen
from leadtui.tui.widgets.dial_banner import DialBanner
from leadtui.tui.widgets.filter_bar import FilterBar, matches
from leadtui.tui.widgets.key_bar import KeyBar
from leadtui.tui.widgets.lead_detail import LeadDetail
from leadtui.tui.widgets.lead_queue import LeadQueue
from leadtui.tui.widgets.pane_tabs import PaneTabs
from leadtui.tui.widgets.script_pane import ScriptPane
from leadtui.tui.widgets.status_line import Status, StatusLine

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp

#: At most this many rows in the table: a rep acts on the top of the queue, and a table
#: of 50,000 rows takes seconds to build. The status line says how many more there are.
#: Snapshots hold exactly this many (the store reads only those rows).
MAX_ROWS = PAGE_ROWS
#: Rows put in the table before the first frame (more than any terminal shows); the rest
#: of the first queue follows right after it is on screen, so a large queue does not
#: delay the first frame (at 50,000 leads, 500 rows cost about 60 ms).
FIRST_ROWS = 60


class WorkstationScreen(Guarded, Screen[None]):
    """The main screen."""

    app: LeadApp
    BINDINGS: ClassVar[list[BindingType]] = [*WORKSTATION_BINDINGS]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    AUTO_FOCUS = "#queue"
    ROUTES_KEYS = True  # keys run in arrival order (tui/key_hold.py)

    def __init__(self) -> None:
        super().__init__(id="workstation")
        self.mode = "due"
        self.filter_text = ""
        self.pane = "detail"
        self._advance_after: tuple[str, str, int] | None = None  # (how, lead id, version)
        self._path_after: list[str] = []  # the leads below the one just logged, in order
        self._shown: list[QueueEntry] = []
        self._total = 0
        self._had_unsaved = False
        self._placed = False
        self._unplaced = False  # the first placement found its lead past the first rows
        self._script_key: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield FilterBar(id="filter")
        with Container(id="body"):
            yield LeadQueue(id="queue")
            with Vertical(id="side"):
                yield PaneTabs(id="pane-tabs")
                yield LeadDetail(id="detail")
                yield ScriptPane(id="script")
        yield DialBanner(id="dial-banner")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        app = self.app
        app.live.snapshot_signal.subscribe(self, self._on_snapshot)
        app.live.tick_signal.subscribe(self, self._on_tick)
        app.status_signal.subscribe(self, lambda _: self._update_status(app.clock.now()))
        app.written_signal.subscribe(self, self._on_written)
        app.theme_changed_signal.subscribe(self, lambda _: self._restyle())
        self.query_one("#filter").display = False
        self._set_pane("detail")
        self._rebuild(app.live.snapshot)

    def on_screen_resume(self) -> None:
        self.app.live.tell_new_leads()  # new leads that came while a dialog was open

    # --- what the queue shows ---
    @property
    def queue(self) -> LeadQueue:
        return self.query_one("#queue", LeadQueue)

    @property
    def current(self) -> QueueEntry | None:
        """The entry under the cursor."""
        lead_id = self.queue.current_id
        return self.app.live.snapshot.index.get(lead_id) if lead_id else None

    def _select_entries(self, snapshot: Snapshot) -> tuple[list[QueueEntry], int]:
        """The rows to show (at most MAX_ROWS) and how many there are in all."""
        if self.filter_text:
            needle = self.filter_text.casefold()
            if snapshot.needle == needle:
                return list(snapshot.found), snapshot.found_total
            # the filter's own rows are on their way: narrow what is here meanwhile
            known = snapshot.needle
            base = snapshot.found if known and known in needle else snapshot.entries
            found = [e for e in base if matches(e, needle)]
            return found, len(found)
        if self.mode == "due":
            return [e for e in snapshot.entries if e.due], snapshot.due_count
        return list(snapshot.entries), snapshot.active

    def _rebuild(self, snapshot: Snapshot) -> None:
        now = self.app.clock.now()
        entries, self._total = self._select_entries(snapshot)
        self._shown = entries[:MAX_ROWS]
        rows = self._shown
        if not self._placed and len(rows) > FIRST_ROWS:
            rows = rows[:FIRST_ROWS]
            self.call_after_refresh(self._fill)
        self.queue.show(rows, now, self.app.settings.threshold)
        if not self._placed and self._shown:
            self._placed = True  # first queue: start on a due lead nobody else has open
            self._unplaced = not self._place()
        elif self._unplaced and rows is self._shown:
            self._unplaced = not self._place()  # the first snapshot held too few rows
        self._maybe_advance(snapshot)
        self._show_current(now)
        self._update_status(now)

    def _place(self) -> bool:
        """Put the cursor on the first due lead nobody else has open; False when that
        lead is not in the table (yet), or not in the rows held yet (the first snapshot
        holds only the first rows)."""
        target = self.next_due()
        if target is None:
            return len(self._shown) >= min(self._total, MAX_ROWS)
        return self.queue.select(target)

    @guarded
    def _fill(self) -> None:
        """The rest of the first queue, once its top is on screen."""
        if self.queue.row_count < len(self._shown):
            self.queue.show(self._shown, self.app.clock.now(), self.app.settings.threshold)
        if self._unplaced:
            self._unplaced = not self._place()  # it was past the first rows

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self._rebuild(snapshot)

    def _on_tick(self, now: datetime) -> None:
        self.queue.tick(now)
        self._show_current(now)
        self._update_status(now)

    def _restyle(self) -> None:
        self.queue.restyle()
        now = self.app.clock.now()
        self.queue.tick(now)
        self.query_one(StatusLine).set_status(self._status(now), force=True)

    def _status(self, now: datetime) -> Status:
        app = self.app
        snapshot = app.live.snapshot
        aging, oldest = snapshot.aging(now, app.settings.threshold)
        local = now.astimezone()  # the rep's own clock
        return Status(
            mode=self.mode,
            shown=len(self._shown),
            total=self._total,
            due=snapshot.due_count,
            active=snapshot.active,
            aging=aging,
            oldest=format_age(oldest),
            filter=self.filter_text,
            unsaved=app.outbox.unsaved,
            saving=app.outbox.saving,
            rep=app.settings.rep_name,
            clock=f"{local:%H:%M}",
            loading=not app.live.queue_ready,
        )

    def _update_status(self, now: datetime) -> None:
        status = self._status(now)
        if bool(status.unsaved) != self._had_unsaved:
            self._had_unsaved = bool(status.unsaved)
            self.refresh_bindings()
        self.query_one(StatusLine).set_status(status)

    def _show_current(self, now: datetime) -> None:
        app = self.app
        entry = self.current
        banner = self.query_one(DialBanner)
        if banner.shown and (entry is None or entry.lead.id != banner.lead_id):
            banner.hide()  # the large number belongs to the lead it was dialled for
        touches = app.live.snapshot.touches.get(entry.lead.id, ()) if entry else ()
        detail = self.query_one(LeadDetail)
        detail.show(entry, touches, now, app.settings.window, app.cadence, self._empty_text())
        settings = app.settings
        key = (entry, settings.rep_name, settings.rep_phone, settings.offer)
        if key == self._script_key:
            return  # scripts do not tick: render them when the lead or the rep changes
        self._script_key = key
        script = self.query_one(ScriptPane)
        if entry is None:
            script.clear("No lead selected.")
            return
        view = script_for(entry.next_action, entry.lead, app.script_values(entry.lead),
                          app.scripts)  # fmt: skip
        script.show(view.title, view.live_call, view.voicemail, view.written)

    def _empty_text(self) -> str:
        """What to say when no row is under the cursor."""
        app = self.app
        if not app.live.queue_ready:
            if app.live.read_error:
                return f"Could not read the leads: {app.live.read_error}"
            return "Loading the queue…"
        active = app.live.snapshot.active
        if self.filter_text:
            return "No active lead matches the filter. Esc clears it."
        if active == 0:
            return ("No leads yet. Add them from a shell:\n"
                    "  leadtui add --name NAME --phone PHONE --source SOURCE\n"
                    "  leadtui import FILE.csv\n"
                    "or here: ctrl+p, then 'Import leads from a CSV file'.")  # fmt: skip
        if self.mode == "due":
            return (f"Nothing is due right now: {active} active lead"
                    f"{'s wait' if active != 1 else ' waits'} for its time or its calling "
                    "window. A shows them all.")  # fmt: skip
        return "No lead here."

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_current(self.app.clock.now())
        self.app.live.rest_on(self.queue.current_id)

    # --- moving on after an outcome ---
    def _on_written(self, result: WriteResult) -> None:
        write = result.write
        if write.kind == "touch" and self.queue.current_id == write.lead_id:
            self._advance_after = ("next", write.lead_id, result.version)
            order = self.queue.order
            at = order.index(write.lead_id) if write.lead_id in order else len(order)
            self._path_after = list(order[at + 1 :])
        elif write.kind == "undo":
            self._advance_after = ("back", write.lead_id, result.version)

    def _maybe_advance(self, snapshot: Snapshot) -> None:
        if self._advance_after is None:
            return
        how, lead_id, version = self._advance_after
        if snapshot.version < version:
            return
        self._advance_after = None
        if how == "back":
            self.queue.select(lead_id)  # back to the lead whose touch was undone
            return
        if self.queue.current_id not in (lead_id, None) and lead_id in self.queue.order:
            return  # the rep moved on by hand while the write was saving
        target = self.next_in_path(lead_id)
        if target is not None:
            self.queue.select(target)

    def next_in_path(self, lead_id: str) -> str | None:
        """The lead after `lead_id` in the order the rep saw (due, nobody else on it),
        so a lead skipped with j is not come back to; from the top when none is left."""
        path, self._path_after = self._path_after, []
        for candidate in path:
            entry = self.app.live.snapshot.index.get(candidate)
            if entry is not None and entry.due and not entry.claimed_by:
                if candidate in self.queue.order:
                    return candidate
        return self.next_due(exclude=lead_id)

    def next_due(self, exclude: str | None = None) -> str | None:
        """The first due lead shown that is not `exclude` and nobody else has open."""
        for entry in self._shown:
            if entry.lead.id != exclude and entry.due and not entry.claimed_by:
                return entry.lead.id
        return None

    # --- actions ---
    def _need_lead(self) -> QueueEntry | None:
        entry = self.current
        if entry is None:
            self.app.bell()
            self.notify("No lead under the cursor.", severity="warning", timeout=3)
        return entry

    def action_log(self, outcome_value: str) -> None:
        entry = self._need_lead()
        if entry is None or self.app.prompting:
            return
        outcome = Outcome(outcome_value)
        if not needs_questions(self.app, entry, outcome):
            log_outcome_now(self.app, entry, outcome)
            return
        self.app.ask(log_outcome(self.app, entry, outcome))

    def action_dial(self) -> None:
        """Dial the lead under the cursor (g)."""
        entry = self._need_lead()
        if entry is not None and not self.app.prompting:
            self.app.ask(dial_lead(self.app, entry))

    def action_copy_id(self) -> None:
        entry = self._need_lead()
        if entry is not None:
            copy_id(self.app, entry.lead)

    def action_scroll_pane(self, step: int) -> None:
        """Half a page down (1) or up (-1) in the lead or script pane that is shown."""
        pane = self.query_one("#script" if self.pane == "script" else "#detail")
        lines = max(1, pane.scrollable_content_region.height // 2)
        pane.scroll_relative(y=step * lines, animate=False)

    def action_zoom(self) -> None:
        self.toggle_class("-zoom")

    def action_escape(self) -> None:
        """Esc: hide the large number, leave the zoom, clear a kept filter (in that order)."""
        banner = self.query_one(DialBanner)
        if banner.shown:
            banner.hide()
        elif self.has_class("-zoom"):
            self.remove_class("-zoom")
        elif self.filter_text:
            self.action_close_filter()

    def action_undo(self) -> None:
        """Undo the newest touch this screen logged (even on a lead that left the queue);
        with none, offer the last touch on the lead under the cursor (asks `y`)."""
        lead_id = undo_last(self.app, self.current)
        if lead_id is not None:
            self.queue.select(lead_id)

    def action_note(self) -> None:
        entry = self._need_lead()
        if entry is not None:
            ask_note(self.app, entry.lead)

    def action_copy_phone(self) -> None:
        entry = self._need_lead()
        if entry is not None:
            copy_phone(self.app, entry.lead)

    def action_retry(self) -> None:
        self.app.writes.retry()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return bool(self.app.outbox.unsaved)  # in the footer only when there is work
        return True

    def action_toggle_all(self) -> None:
        self.mode = "all" if self.mode == "due" else "due"
        self._rebuild(self.app.live.snapshot)
        label = "all active leads" if self.mode == "all" else "the due queue"
        self.notify(f"Showing {label}", timeout=2)

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        self.app.keys.hold()  # the letters typed after / belong to the filter
        bar.focus()
        self.app.keys.let_go()

    def action_close_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.value = ""
        bar.display = False
        self.filter_text = ""
        self.app.live.set_filter("")
        self._rebuild(self.app.live.snapshot)
        self.queue.focus()

    def action_focus_queue(self) -> None:
        self.queue.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar):
            event.stop()
            self.filter_text = event.value.strip()
            self.app.live.set_filter(self.filter_text)
            self._rebuild(self.app.live.snapshot)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterBar):
            event.stop()
            if not event.value.strip():
                self.action_close_filter()
            else:
                self.queue.focus()

    def action_help(self) -> None:
        settings = self.app.settings
        self.app.push_screen(
            HelpScreen(settings.keymap, settings.speed_to_lead_minutes, APP_BINDINGS)
        )

    def action_pane(self, pane: str) -> None:
        self._set_pane(pane)

    def _set_pane(self, pane: str) -> None:
        self.pane = pane
        self.query_one(PaneTabs).active = pane
        side = self.query_one("#side")
        side.set_class(pane == "script", "-script")
