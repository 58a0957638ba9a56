"""Reading the lead store: `LeadReads`, the answering half of `TinyLeadStore` (leads,
touches, the due queue, counts), from the in-memory indexes after a cheap "did anyone
write?" check; archived leads are brought in when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from leadtui.domain.cadence import Cadence, assess
from leadtui.domain.figures import LeadFigures
from leadtui.domain.model import (
    ACTIVE_STATUSES,
    Lead,
    LeadStatus,
    NextAction,
    Touch,
)
from leadtui.domain.queue import Queued
from leadtui.domain.queue_page import page_of
from leadtui.domain.window import CallingWindow
from leadtui.store import next_cache
from leadtui.store.archive import (
    LEAD_IDS,
    lead_needles,
)
from leadtui.store.due_rows import Row, materializer
from leadtui.store.files import Tree, damaged, paused_gc, too_new
from leadtui.store.index import (
    LEADS,
    META,
    TOUCHES,
    Doc,
    Index,
    lead_from_doc,
    time_key,
    touch_from_doc,
    utc,
)
from leadtui.store.protocol import LeadNotFound
from leadtui.store.schema import SCHEMA
from leadtui.store.storage import JournalStorage
from leadtui.store.tables import LeadDB

if TYPE_CHECKING:
    from leadtui.domain.report_sums import StoredBatch

T = TypeVar("T")
_ACTIVE = frozenset(status.value for status in ACTIVE_STATUSES)


class LeadReads:
    """The reads of the LeadStore on TinyDB (repository.py's `TinyLeadStore` adds the rest)."""

    def __init__(
        self, storage: JournalStorage, cadence: Cadence, window: CallingWindow | None = None
    ) -> None:
        self._storage = storage
        self.path = storage.path
        self._cadence = cadence
        self._window = window or CallingWindow()
        # lead id -> ((index epoch, lead revision, settings part), its row or None): what
        # due_queue found, reused while none of those changed
        self._assessed: dict[str, tuple[Any, Row | None]] = {}
        self._db = LeadDB(storage)
        self._check_schema()
        self._index = Index(self.path)
        storage.add_listener(self._index)
        self._by_lead: tuple[int, Mapping[str, Sequence[Touch]]] | None = None

    def _check_schema(self) -> None:
        meta = self._storage.table(META).get("1")
        schema = meta.get("schema") if isinstance(meta, dict) else None
        if type(schema) is not int:
            raise damaged(self.path, "unexpected content: no schema version")
        if schema > SCHEMA:
            raise too_new(self.path, "schema", schema, SCHEMA)

    def _read(self, answer: Callable[[], T]) -> T:
        with self._storage.thread_lock:
            self._storage.refresh()
            return answer()

    def _lead(self, lead_id: str) -> Lead:
        lead = self._index.lead(lead_id)
        if lead is None and self._storage.archive_holds(LEAD_IDS, lead_id):
            self._from_archive(lead_id)
            lead = self._index.lead(lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        return lead

    def _from_archive(self, lead_id: str) -> None:
        """Bring one archived lead and its touches into memory: the segments that hold
        them, not the whole archive (the whole archive when they cannot be told)."""
        storage = self._storage
        storage.load_holding(lead_needles(lead_id))
        if self._index.lead(lead_id) is None and storage.archive_holds(LEAD_IDS, lead_id):
            storage.load_archive()

    def _everything(self) -> None:
        """Bring the archive into memory (for answers about every lead)."""
        self._storage.load_archive()

    # --- reading ----------------------------------------------------------------------

    def leads(self) -> list[Lead]:
        index = self._index

        def answer() -> list[Lead]:
            self._everything()
            with paused_gc():
                return [index.lead(lead_id) for lead_id in index.leads]  # type: ignore[misc]

        return self._read(answer)

    def active_leads(self) -> list[Lead]:
        index = self._index

        def answer() -> list[Lead]:
            with paused_gc():  # the status is read off the document: closed leads cost nothing
                return [
                    index.lead(lead_id)  # type: ignore[misc]
                    for lead_id, (_, doc) in index.leads.items()
                    if doc.get("status", "new") in _ACTIVE
                ]

        return self._read(answer)

    def get_lead(self, lead_id: str) -> Lead:
        return self._read(lambda: self._lead(lead_id))

    def touches(self, lead_id: str) -> list[Touch]:
        def answer() -> list[Touch]:
            self._lead(lead_id)
            return self._index.touches(lead_id)

        return self._read(answer)

    def touches_of(self, lead_ids: Iterable[str]) -> Mapping[str, list[Touch]]:
        index = self._index

        def answer() -> Mapping[str, list[Touch]]:
            wanted = list(lead_ids)
            for lead_id in wanted:
                if lead_id not in index.leads and self._storage.archive_holds(LEAD_IDS, lead_id):
                    self._from_archive(lead_id)
            return index.touches_view(wanted, self._read)

        return self._read(answer)

    def leads_with_touches(self) -> Iterator[tuple[Lead, list[Touch]]]:
        index = self._index

        def answer() -> tuple[list[tuple[Lead, list[Touch]]], Iterator[Tree], set[str]]:
            with paused_gc():
                working = [(index.lead(i), index.touches(i)) for i in index.leads]
            return working, self._storage.archive_segments(), set(index.leads)  # type: ignore[return-value]

        working, segments, known = self._read(answer)
        yield from working
        del working
        for segment in segments:
            yield from _segment_leads(self.path, segment, known)

    def touches_by_lead(self) -> Mapping[str, Sequence[Touch]]:
        def answer() -> Mapping[str, Sequence[Touch]]:
            self._everything()
            version = self._storage.version
            if self._by_lead is None or self._by_lead[0] != version:
                self._by_lead = (version, MappingProxyType(self._index.touches_by_lead()))
            return self._by_lead[1]

        return self._read(answer)

    def due_queue(
        self, now: datetime, window: CallingWindow, limit: int | None = None
    ) -> list[Queued]:
        """Every active lead that has a next action (for `window`), earliest due first;
        the first `limit` of them when given. The actions stored with the leads are used
        where their fingerprint matches; the others are replayed from the touches."""
        utc(now, "current time")

        def answer() -> list[Queued]:
            rows = self._due_rows(window)
            materialize = self._materializer()
            return [materialize(row.queued()) for row in rows[:limit]]

        return self._read(answer)

    def _materializer(self) -> Callable[[Queued], Queued]:
        """Rows (due_rows.py) kept by a page, as real Queued (call under the lock)."""
        return materializer(self._lead, _row_action)

    def _due_rows(self, window: CallingWindow) -> list[Row]:
        """`due_queue` as rows (due_rows.py), earliest due first (call under the lock)."""
        index, memo = self._index, self._assessed
        base = next_cache.settings_part(self._cadence, window)
        epoch, revision = index.epoch, index.revision
        stored = self._storage.table(next_cache.NEXT)
        # a vouched table is trusted without the touches (see next_cache.py)
        unvouched = self._storage.vouched(next_cache.NEXT)
        found: list[Row] = []
        with paused_gc():
            for lead_id, (key, doc) in index.leads.items():
                if doc.get("status", "new") not in _ACTIVE:
                    continue
                seen = (epoch, revision.get(lead_id, 0), base)
                hit = memo.get(lead_id)
                if hit is None or hit[0] != seen:
                    hit = memo[lead_id] = (
                        seen, self._row(lead_id, key, doc, stored, base, unvouched, window)
                    )  # fmt: skip
                if hit[1] is not None:
                    found.append(hit[1])
        found.sort(key=_due_key)  # (stable: ties keep the index's order)
        return found

    def _row(
        self, lead_id: str, key: str, doc: Doc, stored: Mapping[str, Any], base: str,
        unvouched: set[str] | None, window: CallingWindow,
    ) -> Row | None:  # fmt: skip
        """The lead's row: from its stored next action when that is current, else
        replayed from its touches; None when it has no next action."""
        trusted = unvouched is not None and lead_id not in unvouched
        if trusted:
            fp = next_cache.lead_part(base, doc)
        else:
            keys = self._index.touch_keys(lead_id)
            last = self._index.touch_of(lead_id, keys[-1]).id if keys else ""
            fp = next_cache.fingerprint(base, doc, keys, last)
        known = next_cache.checked(stored.get(key), lead_id, fp, vouched=trusted)
        try:
            if known is not None:
                _, calls, values = known
                return None if values is None else Row(lead_id, doc, calls, None, values)
            _, action, calls = self._replay(lead_id, window)
            return None if action is None else Row(lead_id, doc, calls, action)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(self.path, f"unexpected content in table 'leads': {lead_id}") from None

    def _replay(
        self, lead_id: str, window: CallingWindow
    ) -> tuple[LeadStatus, NextAction | None, int]:
        """A lead's assessment from its touches (when no stored one matches)."""
        lead = self._lead(lead_id)
        try:
            status, fields, calls = assess(
                lead, self._index.touches(lead_id), self._cadence, window
            )
        except OverflowError:  # a stored time near year 1 or 9999: left off the queue
            return lead.status, None, 0  # (doctor finds it and sets it aside)
        return status, None if fields is None else NextAction(*fields), calls

    def lead_count(self) -> int:
        def answer() -> int:
            return len(self._index.leads) + self._storage.archive_count(LEAD_IDS)

        return self._read(answer)

    def is_dnc(self, phone: str) -> bool:
        return self._read(lambda: phone in self._index.dnc)

    def changed(self) -> bool:
        return self._storage.changed()

    def version(self) -> int:
        return self._storage.version

    def report_figures(self) -> Iterator[LeadFigures | StoredBatch]:
        """Every lead's report figures, each once (see store/figures_read.py)."""
        from leadtui.store.figures_read import report_figures

        return report_figures(self)

    def queue_head(self, now: datetime, limit: int, window: CallingWindow) -> list[Lead]:
        """The first `limit` leads of the ranked queue due now (from the due index, as
        `queue_page` reads it: domain.queue_page.page_of)."""
        utc(now, "current time")

        def answer() -> list[Lead]:
            rows = [row.queued() for row in self._due_rows(window)]
            page = page_of(rows, now, window, timedelta(0), limit=limit, due_only=True,
                           materialize=self._materializer())  # fmt: skip
            return [entry.lead for entry in page.entries]

        return self._read(answer)


def _segment_leads(
    path: Path, segment: Tree, known: set[str]
) -> Iterator[tuple[Lead, list[Touch]]]:
    """The leads of one archive segment with their touches (oldest first, as the index
    orders them), but those already in memory (`known` ids)."""
    try:
        by_lead: dict[str, list[tuple[str, int, Touch]]] = {}
        with paused_gc():
            for key, doc in segment.get(TOUCHES, {}).items():
                touch = touch_from_doc(doc)
                by_lead.setdefault(touch.lead_id, []).append((time_key(doc["at"]), int(key), touch))
            leads = [
                lead_from_doc(doc)
                for doc in segment.get(LEADS, {}).values()
                if doc.get("id") not in known
            ]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise damaged(path, "unexpected content in an archive segment") from None
    for lead in leads:
        rows = by_lead.get(lead.id, [])
        rows.sort(key=_first_two)
        yield lead, [row[2] for row in rows]


def _first_two(row: tuple[str, int, Touch]) -> tuple[str, int]:
    return row[0], row[1]


def _due_key(row: Row) -> datetime:
    return row.due_at


def _row_action(row: Row) -> NextAction:
    assert row.values is not None  # (a row without its action carries its values)
    return next_cache.action_of(row.values)
