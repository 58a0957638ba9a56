"""The embedded store's queue page and arrivals: `QueueReads`, part of `TinyLeadStore`.

The page comes from the due index (`due_queue`: each active lead's stored next action,
replayed only when stale) through `domain.queue_page.page_of`: the same entries, in the
same order, as ranking the whole queue, but only the page's entries are built.

Arrivals: an `ArrivalLog` listens to the storage (own writes, other processes' writes
caught up from the journal, reloads) and notes each lead that becomes active with a round
start it was not seen active with before (a new lead, or a closed one reopened by a repeat
inquiry); a mark is a position in that log, so a read costs what arrived, not the pool.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from leadtui.domain.model import ACTIVE_STATUSES
from leadtui.domain.queue_page import QueuePage, page_of
from leadtui.domain.window import CallingWindow
from leadtui.store.index import LEADS, Doc, utc
from leadtui.store.protocol import Arrivals, LeadNotFound

_ACTIVE = frozenset(status.value for status in ACTIVE_STATUSES)


def _start(doc: Doc) -> Any:
    return doc.get("reopened_at") or doc.get("received_at")


class ArrivalLog:
    """A storage listener: the ids of leads that arrived (became active with a new round
    start), in the order this process learned of them.

    It keeps no copy of the leads: a change says what the lead was (`old`), and a reset
    (another process's compaction read, the archive read back) compares the new leads
    table with the one last seen, which the storage kept up to date until then."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self._base: dict[str, Doc] | None = None  # the leads table as last seen (live)

    def reset(self, tree: dict[str, Any]) -> None:
        table = tree.get(LEADS, {})
        base = self._base
        if base is not None and base is not table:
            known = {doc.get("id"): _start(doc) for doc in base.values()}
            for doc in table.values():
                lead_id = doc.get("id")
                if _active(doc) and (lead_id not in known or known[lead_id] != _start(doc)):
                    self.log.append(lead_id)
        self._base = table

    def changed(self, table: str, key: str, old: Doc | None, new: Doc | None) -> None:
        if table == LEADS and new is not None and _active(new):
            if old is None or _start(old) != _start(new):
                lead_id = new.get("id")
                if isinstance(lead_id, str):
                    self.log.append(lead_id)


def _active(doc: Doc) -> bool:
    return doc.get("status", "new") in _ACTIVE


class QueueReads:
    """`queue_page` and `arrivals` for the embedded store (mixed into TinyLeadStore)."""

    _arrival_log: ArrivalLog | None = None

    def queue_page(
        self,
        now: datetime,
        window: CallingWindow,
        threshold: timedelta,
        *,
        limit: int,
        due_only: bool = False,
        needle: str = "",
    ) -> QueuePage:
        utc(now, "current time")

        def answer() -> QueuePage:
            rows = self._due_rows(window)  # type: ignore[attr-defined]
            return page_of([row.queued() for row in rows], now, window, threshold,
                           limit=limit, due_only=due_only, needle=needle,
                           materialize=self._materializer())  # type: ignore[attr-defined]  # fmt: skip

        page: QueuePage = self._read(answer)  # type: ignore[attr-defined]
        touches = self.touches_of(e.lead.id for e in page.entries)  # type: ignore[attr-defined]
        return replace(page, touches=touches)

    def arrivals(self, since: int | None, limit: int) -> Arrivals:
        def answer() -> Arrivals:
            log = self._arrival_log
            if log is None:
                log = self._arrival_log = ArrivalLog()
                self._storage.add_listener(log)  # type: ignore[attr-defined]
            mark = len(log.log)
            if since is None or since >= mark:
                return Arrivals((), 0, mark)
            index = self._index  # type: ignore[attr-defined]
            found = []
            for lead_id in dict.fromkeys(log.log[since:]):
                entry = index.leads.get(lead_id)
                if entry is not None and entry[1].get("status", "new") in _ACTIVE:
                    found.append(lead_id)
            leads = []
            for lead_id in found[:limit]:
                try:
                    leads.append(self._lead(lead_id))  # type: ignore[attr-defined]
                except LeadNotFound:  # pragma: no cover - the index just had it
                    continue
            return Arrivals(tuple(leads), len(found), mark)

        return self._read(answer)  # type: ignore[attr-defined,no-any-return]
