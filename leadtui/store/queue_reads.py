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
    start), in the order this process learned of them."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}  # lead id -> round start it was last seen active with
        self.log: list[str] = []
        self._primed = False

    def reset(self, tree: dict[str, Any]) -> None:
        for doc in tree.get(LEADS, {}).values():
            self._see(doc, note=self._primed)
        self._primed = True

    def changed(self, table: str, key: str, old: Doc | None, new: Doc | None) -> None:
        if table == LEADS and new is not None:
            self._see(new, note=True)

    def _see(self, doc: Doc, *, note: bool) -> None:
        if doc.get("status", "new") not in _ACTIVE:
            return
        lead_id, start = doc.get("id"), _start(doc)
        if not isinstance(lead_id, str) or self.seen.get(lead_id) == start:
            return
        self.seen[lead_id] = start
        if note:
            self.log.append(lead_id)


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
