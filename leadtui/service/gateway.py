"""The workstation's way to the use cases: one lock, queue snapshots, writes in order.

Everything here runs in worker threads, never on the event loop, and imports no Textual:
the screens get immutable `Snapshot`s and `WriteResult`s back as messages. All store calls
from this process go through one lock, so a write and a refresh never interleave. The
ranking, the writes and the claims are the service's use cases (`queue`, `outcomes`,
`claims`, `reports`), the same ones the CLI calls.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal

from leadtui.config import Settings
from leadtui.domain.cadence import Cadence
from leadtui.domain.model import Lead, LeadError, NextAction, Outcome, QueueEntry, Touch
from leadtui.domain.window import closes_at_in, next_opening_in
from leadtui.io.csv_import import ImportFileError, ImportReport
from leadtui.service import claims, leads, outcomes, reports
from leadtui.service.queue import rank_queue, read_queue
from leadtui.store.protocol import LeadStore

#: The most often the queue is re-ranked without any other reason (window edges, drift).
SAFETY_RERANK = timedelta(minutes=10)
_TICK = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The ranked queue at one moment, ready for the screen (immutable)."""

    entries: tuple[QueueEntry, ...]  # every active lead with a next action, due first
    index: Mapping[str, QueueEntry]
    touches: Mapping[str, Sequence[Touch]]  # every active lead's (converted when read)
    lead_count: int  # every lead in the store, active or not
    ranked_at: datetime
    next_change_at: datetime  # re-rank when now passes this (a lead becomes due, a window shuts)
    never_called: tuple[datetime, ...]  # started_at of leads not called yet, oldest first
    new_leads: tuple[Lead, ...] = ()  # arrived since the previous snapshot (not on the first)
    version: int = 0
    due_count: int = 0

    def aging(self, now: datetime, threshold: timedelta) -> tuple[int, int]:
        """How many never-called leads are past the threshold, and the oldest one's age (s)."""
        count = bisect_right(self.never_called, now - threshold)
        if not count:
            return 0, 0
        return count, int((now - self.never_called[0]).total_seconds())


def empty_snapshot(now: datetime) -> Snapshot:
    """What the screen shows before the first snapshot arrives."""
    return Snapshot((), {}, {}, 0, now, now, ())


@dataclass(slots=True)
class PendingWrite:
    """One change the rep asked for, kept until the store says it is durable."""

    seq: int
    kind: Literal["touch", "undo", "note", "blitz", "import"]
    lead_id: str
    lead_name: str
    at: datetime  # when the rep pressed the key (kept across retries)
    outcome: Outcome | None = None
    note: str = ""
    when: datetime | None = None
    override_window: bool = False
    blitz_id: str | None = None
    booked: NextAction | None = None  # the callback/appointment still ahead at the key press
    touch_id: str = ""  # undo: exactly this touch (one logged elsewhere, confirmed with y)
    undo_seq: int | None = None  # undo: the touch that this screen's write `seq` logged
    dialed_at: datetime | None = None  # the dial (`g`) that led to this call
    record: Mapping[str, Any] | None = None  # blitz: the whole session record (newest wins)
    path: str = ""  # import: the CSV file to read
    tries: int = 0
    error: str = ""

    def describe(self) -> str:
        """'no-answer for Bob Smith' — for toasts and the unsaved marker."""
        if self.kind == "blitz":
            return "the blitz session"
        if self.kind == "import":
            return f"the import of {self.path}"
        what = {"undo": "undo", "note": "note"}.get(self.kind, str(self.outcome))
        return f"{what} for {self.lead_name}"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What the store did with a `PendingWrite`."""

    write: PendingWrite
    touch: Touch | None = None  # the stored touch (kind touch) or the removed one (undo)
    lead: Lead | None = None
    action: NextAction | None = field(default=None)
    version: int = 0  # the store's version once the write was made
    imported: ImportReport | None = None  # import: what the file brought


class StoreGateway:
    """Serialises this process's store calls and turns the store into snapshots."""

    def __init__(
        self,
        store: LeadStore,
        cadence: Cadence,
        settings: Callable[[], Settings],
        session: str,
    ) -> None:
        self.store = store
        self.cadence = cadence
        self._settings = settings
        self.session = session
        self._lock = threading.Lock()
        self._known: dict[str, datetime] | None = None  # lead id -> its round's start
        self._logged: dict[int, str] = {}  # write seq -> id of the touch it stored
        # the embedded store folds its journal in a thread of its own, never inside a
        # write a rep waits for (issue 17)
        compact_later = getattr(store, "compact_later", None)
        if compact_later is not None:
            compact_later()

    # --- reading ---
    def changed(self) -> bool:
        """Did another process write? False while this process is busy with the store."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            return self.store.changed()
        finally:
            self._lock.release()

    def snapshot(self, now: datetime) -> Snapshot:
        """Rank every active lead as of `now` (others' claims marked)."""
        settings = self._settings()
        with self._lock:
            read = read_queue(self.store, now, settings.window)
            lead_count = self.store.lead_count()
            version = self.store.version()
        active, touches_by_lead = read.active, read.touches
        entries = rank_queue(read, now, self.cadence, settings, include_all=True,
                             session=self.session)  # fmt: skip
        touches = touches_by_lead  # converted when read: the lead pane shows one at a time
        never_called = sorted(e.lead.started_at for e in entries if e.attempts == 0)
        # A new lead is always active; the ids seen so far only grow, so a lead that goes
        # off the queue and comes back (an undone outcome) is not announced as new. One
        # reopened by a repeat inquiry is: its round starts over (`Lead.started_at`).
        new_leads: tuple[Lead, ...] = ()
        if self._known is not None:
            known = self._known
            new_leads = tuple(lead for lead in active if known.get(lead.id) != lead.started_at)
            known.update((lead.id, lead.started_at) for lead in new_leads)
        else:
            self._known = {lead.id: lead.started_at for lead in active}
        return Snapshot(
            entries=tuple(entries),
            index={e.lead.id: e for e in entries},
            touches=touches,
            lead_count=lead_count,
            ranked_at=now,
            next_change_at=self._next_change(entries, now, settings),
            never_called=tuple(never_called),
            new_leads=new_leads,
            version=version,
            due_count=sum(1 for e in entries if e.due),
        )

    def _next_change(
        self, entries: list[QueueEntry], now: datetime, settings: Settings
    ) -> datetime:
        """The first moment the due set can change: a due time passes or a window opens/shuts."""
        soonest = now + SAFETY_RERANK
        window = settings.window
        for entry in entries:
            action = entry.next_action
            zones = entry.lead.zones
            in_grace = action.ignores_window and (action.late_at is None or now <= action.late_at)
            if action.due_at > now:
                edge = action.due_at
            elif in_grace:
                if action.late_at is None:
                    continue
                edge = action.late_at + _TICK  # after the grace the window decides
            elif entry.due:
                edge = closes_at_in(window, zones, now)
            else:
                edge = next_opening_in(window, zones, now)
            if now < edge < soonest:
                soonest = edge
        return soonest

    # --- writing (each returns only once the store has it on disk) ---
    def apply(self, write: PendingWrite, rep: str) -> WriteResult:
        """Perform one pending write; raises LeadError or ImportFileError (refused) or
        StoreError/OSError (kept and retried)."""
        if write.kind == "blitz":
            assert write.record is not None
            self.save_blitz_record(write.record)
            return WriteResult(write)
        if write.kind == "import":
            return WriteResult(write, imported=self._import_file(write))
        settings = self._settings()
        cadence, window = self.cadence, settings.window
        with self._lock:
            if write.kind == "touch":
                assert write.outcome is not None
                done = outcomes.log_outcome(
                    self.store, cadence, window, write.lead_id, write.outcome, write.at,
                    note=write.note, when=write.when, rep=rep,
                    override_window=write.override_window, blitz_id=write.blitz_id,
                    dialed_at=write.dialed_at,
                )  # fmt: skip
                assert done.touch is not None
                self._logged[write.seq] = done.touch.id
            elif write.kind == "undo":
                target = self._undo_target(write)
                done = outcomes.undo(self.store, cadence, window, write.lead_id, target)
            else:
                done = outcomes.add_note(
                    self.store, cadence, window, write.lead_id, write.note, write.at
                )
            version = self.store.version()
        return WriteResult(write, done.touch, done.lead, done.action, version)

    def _undo_target(self, write: PendingWrite) -> str:
        """The id of the touch an undo removes: one this screen logged, or one named."""
        if write.touch_id:
            return write.touch_id
        touch_id = self._logged.pop(write.undo_seq, None) if write.undo_seq is not None else None
        if touch_id is None:
            raise LeadError("the touch to undo was never saved: nothing undone")
        return touch_id

    def _import_file(self, write: PendingWrite) -> ImportReport:
        """Read the write's CSV file, streamed (a big file is never all in memory)."""
        try:
            raw = Path(write.path).open("rb")
        except IsADirectoryError as exc:  # worded as `leadtui import` words it
            raise ImportFileError(f"cannot read {write.path}: it is a folder") from exc
        except OSError as exc:  # missing, unreadable: the file, not the store, is at fault
            why = exc.strerror or str(exc)
            raise ImportFileError(f"cannot read {write.path}: {why}") from exc
        try:
            with raw:
                return self.import_leads(raw, write.at)
        except ImportFileError as exc:
            raise ImportFileError(f"{write.path}: {exc}") from exc

    def import_leads(self, data: bytes | BinaryIO, now: datetime) -> ImportReport:
        """Import a CSV file's leads (the workstation's import); ImportFileError when the
        file as a whole cannot be read."""
        with self._lock:
            return leads.import_leads(self.store, data, self._settings(), now)

    def report(
        self,
        now: datetime,
        *,
        since: datetime | None = None,
        source: str | None = None,
        sources: set[str] | None = None,
    ) -> dict[str, Any]:
        """The report (the same dict `leadtui report --json` prints); `sources` gets every
        lead's source as the report names it (for the report screen's prompt)."""
        threshold = self._settings().threshold
        with self._lock:
            return reports.report(
                self.store, now, threshold, since=since, source=source, sources=sources
            )

    def lead(self, lead_id: str) -> Lead:
        """The lead as stored now (the dial checks it again just before dialling)."""
        with self._lock:
            return self.store.get_lead(lead_id)

    def save_blitz_record(self, record: Mapping[str, Any]) -> None:
        """Save a blitz session record (durable on return)."""
        with self._lock:
            reports.save_blitz(self.store, record)

    def claim_lead(self, lead_id: str, rep: str, now: datetime, ttl: int) -> None:
        """Take or renew this session's claim on a lead."""
        with self._lock:
            claims.claim_lead(self.store, lead_id, rep, self.session, now, ttl)

    def release_claims(self) -> None:
        """End this session's claims (on quit)."""
        with self._lock:
            claims.release_claims(self.store, self.session)
