"""The workstation's way to the use cases: one lock, queue snapshots, writes in order.

Everything here runs in worker threads, never on the event loop, and imports no Textual:
the screens get immutable `Snapshot`s and `WriteResult`s back as messages. All store calls
from this process go through one lock, so a write and a refresh never interleave. The
ranking, the writes and the claims are the service's use cases (`queue`, `outcomes`,
`claims`, `reports`), the same ones the CLI calls.
"""

from __future__ import annotations

import threading
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal

from leadtui.config import Settings
from leadtui.domain.cadence import Cadence
from leadtui.domain.model import Lead, LeadError, NextAction, Outcome, QueueEntry, Touch
from leadtui.domain.queue_page import QueuePage
from leadtui.io.csv_import import ImportFileError, ImportReport
from leadtui.service import claims, leads, outcomes, queue, reports
from leadtui.store.protocol import LeadStore

#: The most often the queue is re-ranked without any other reason (window edges, drift).
SAFETY_RERANK = timedelta(minutes=10)
#: Rows of the queue a snapshot holds: the workstation shows at most this many (a rep
#: acts on the top of the queue); the status line gives the counts of the rest.
PAGE_ROWS = 500
#: Rows read for the first frame (more than a terminal shows; the whole page follows).
FIRST_PAGE_ROWS = 60
#: New leads a snapshot names (a toast names three; the count covers the rest).
NEW_LEADS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The head of the ranked queue at one moment, ready for the screen (immutable)."""

    entries: tuple[QueueEntry, ...]  # the queue's first PAGE_ROWS: due first, then the rest
    index: Mapping[str, QueueEntry]  # `entries` and `found` by lead id
    touches: Mapping[str, Sequence[Touch]]  # the shown leads' (converted when read)
    ranked_at: datetime
    next_change_at: datetime  # re-rank when now passes this (a lead becomes due, a window shuts)
    active: int = 0  # every active lead with a next action
    due_count: int = 0
    page: QueuePage | None = None  # what the store answered (the aging counts tick from it)
    new_leads: tuple[Lead, ...] = ()  # arrived since the previous snapshot (not on the first)
    new_count: int = 0  # how many arrived (`new_leads` holds the first NEW_LEADS_SHOWN)
    version: int = 0
    needle: str = ""  # the filter text `found` answers (casefolded; "" for none)
    found: tuple[QueueEntry, ...] = ()  # the first PAGE_ROWS leads matching `needle`
    found_total: int = 0  # how many match `needle`

    def aging(self, now: datetime, threshold: timedelta) -> tuple[int, int]:
        """How many never-called leads are past the threshold, and the oldest one's age (s)."""
        if self.page is None:
            return 0, 0
        return self.page.aging_at(now)


def empty_snapshot(now: datetime) -> Snapshot:
    """What the screen shows before the first snapshot arrives."""
    return Snapshot((), {}, {}, now, now)


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
        rows: int = PAGE_ROWS,
    ) -> None:
        self.store = store
        self.cadence = cadence
        self._settings = settings
        self.session = session
        self._lock = threading.Lock()
        self.rows = rows
        self._mark: int | None = None  # where the next arrivals read starts (None: first)
        self._logged: dict[int, str] = {}  # write seq -> id of the touch it stored
        # the embedded store folds its journal in a thread of its own, never inside a
        # write a rep waits for (issue 17)
        compact_later = getattr(store, "compact_later", None)
        if compact_later is not None:
            compact_later()

    def follow(self, settings: Callable[[], Settings]) -> None:
        """Read the settings from `settings` from now on (the app's, which a rep edits)."""
        self._settings = settings

    # --- reading ---
    def changed(self) -> bool:
        """Did another process write? False while this process is busy with the store."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            return self.store.changed()
        finally:
            self._lock.release()

    def snapshot(self, now: datetime, needle: str = "", rows: int | None = None) -> Snapshot:
        """The head of the queue as of `now` (others' claims marked): only the rows a
        screen shows are read (`LeadStore.queue_page`; `rows`, default `self.rows`), and
        with a filter text `needle` the first rows matching it too. New leads come from
        `LeadStore.arrivals`."""
        settings = self._settings()
        rows = rows or self.rows
        needle = needle.casefold()
        with self._lock:
            # arrivals first: a lead told as new is already in the page read after it
            arrived = self.store.arrivals(self._mark, NEW_LEADS_SHOWN)
            page = queue.queue_page(self.store, now, settings, limit=rows,
                                    session=self.session)  # fmt: skip
            found = (
                queue.queue_page(
                    self.store, now, settings, limit=rows, needle=needle, session=self.session
                )  # fmt: skip
                if needle
                else None
            )
            version = self.store.version()
        first = self._mark is None
        self._mark = arrived.mark
        entries = page.entries
        index = {e.lead.id: e for e in entries}
        touches: Mapping[str, Sequence[Touch]] = page.touches
        if found is not None:
            index.update((e.lead.id, e) for e in found.entries)
            touches = ChainMap(dict(found.touches), page.touches)  # type: ignore[arg-type]
        return Snapshot(
            entries=entries,
            index=index,
            touches=touches,
            ranked_at=now,
            next_change_at=self._next_change(page, now),
            active=page.active,
            due_count=page.due,
            page=page,
            new_leads=() if first else arrived.leads,
            new_count=0 if first else arrived.count,
            version=version,
            needle=needle,
            found=found.entries if found is not None else (),
            found_total=found.total if found is not None else 0,
        )

    def _next_change(self, page: QueuePage, now: datetime) -> datetime:
        """The first moment the due set can change (a due time passes or a window opens or
        shuts), or the aging counts stop being exact; at most SAFETY_RERANK away."""
        soonest = now + SAFETY_RERANK
        for edge in (page.changes_at, page.coming_until):
            if edge is not None and now < edge < soonest:
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

    def claim_lead(self, lead_id: str, rep: str, now: datetime, ttl: int) -> bool:
        """Take or renew this session's claim on a lead; False when another rep had it
        open first (first come, first served: nothing taken)."""
        with self._lock:
            claim = claims.claim_lead(self.store, lead_id, rep, self.session, now, ttl)
        return claim.session == self.session

    def release_claims(self) -> None:
        """End this session's claims (on quit)."""
        with self._lock:
            claims.release_claims(self.store, self.session)
