"""The queue page and arrivals on PostgreSQL: `PgQueue`, part of `PgLeadStore`.

Everything comes from the next action stored on each lead row (rows.next_columns) for
the store's calling window, in one read-only snapshot:
- one grouped count per zone set (index-only on `leads_later`): how many are queued,
  past due, inside an asked-for time's grace, never called and aging; the earliest due
  time ahead and grace end. Whether each zone set's window is open now is decided here,
  in Python, by `domain.queue.may_call_due`'s rule, once per zone set;
- the due page: the rank index `leads_page` walked per rank group (callbacks and
  appointments, never called, the rest), keeping rows in grace or in an open zone set
  (index-only: a closed zone's rows are skipped without reading them), at most `limit`;
- the rest by due time (`leads_later`), skipping the due ones (fewer than `limit`);
- with a filter text, one pass over the queued rows (it must count every match).
Only the page's rows and touches are read; each page lead is replayed from its touches
(domain.cadence.evaluate) so its entry is exactly what ranking every lead gives.
A window other than the store's falls back to `due_queue` (replayed) and
`domain.queue_page.page_of`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from leadtui.domain.cadence import evaluate
from leadtui.domain.model import Lead, Touch, zones_of
from leadtui.domain.queue import Queued
from leadtui.domain.queue_page import (
    COMING_LIMIT,
    QueuePage,
    edge_for,
    entry_for,
    filter_digits,
    in_grace,
    lead_matches,
    page_of,
)
from leadtui.domain.window import CallingWindow, is_open_in
from leadtui.store.index import utc
from leadtui.store.postgres.base import PgBase
from leadtui.store.postgres.rows import LEAD_COLUMNS, TOUCH_COLUMNS, lead_from_row, touch_from_row
from leadtui.store.postgres.schema import ACTIVE_SQL
from leadtui.store.protocol import Arrivals

_TICK = timedelta(seconds=1)
_GRACE = "(next_asked AND (next_late IS NULL OR next_late >= %(now)s))"
_ZONE_KEY = "(timezone || ' ' || array_to_string(zone_candidates, ' '))"
#: callable now: an asked-for time in its grace, or every zone of the lead open
_CALLABLE = f"({_GRACE} OR {_ZONE_KEY} = ANY(%(open)s::text[]))"
_DUE = f"(next_due <= %(now)s AND {_CALLABLE})"
_STARTED = "coalesce(reopened_at, received_at)"
_GROUPS = f"""
SELECT timezone, zone_candidates, count(*),
       count(*) FILTER (WHERE next_due <= %(now)s AND NOT {_GRACE}),
       count(*) FILTER (WHERE next_due <= %(now)s AND {_GRACE}),
       count(*) FILTER (WHERE rank_group = 1 AND {_STARTED} <= %(aging_from)s),
       min({_STARTED}) FILTER (WHERE rank_group = 1),
       min(next_due) FILTER (WHERE next_due > %(now)s),
       min(next_late) FILTER (WHERE next_due <= %(now)s AND {_GRACE} AND next_late IS NOT NULL)
FROM leads WHERE next_due IS NOT NULL GROUP BY timezone, zone_candidates
"""
_COMING = f"""
SELECT {_STARTED} FROM leads
WHERE next_due IS NOT NULL AND rank_group = 1 AND rank_key < %(key)s AND {_STARTED} > %(aging_from)s
ORDER BY rank_key DESC LIMIT %(n)s
"""
_DUE_WALK = f"""
SELECT seq FROM leads
WHERE next_due IS NOT NULL AND rank_group = %(group)s {{bound}} AND {_DUE}
ORDER BY rank_group, rank_key, next_due, seq LIMIT %(n)s
"""
_LATER_WALK = f"""
SELECT seq FROM leads WHERE next_due IS NOT NULL AND NOT {_DUE}
ORDER BY next_due, seq LIMIT %(n)s
"""
_FOLD = "replace(lower({}), 'ß', 'ss')"  # as casefold() for what PostgreSQL's lower() misses
_MATCH = (
    f"(strpos({_FOLD.format('name')}, %(needle)s) > 0 "
    f"OR strpos({_FOLD.format('email')}, %(needle)s) > 0 "
    f"OR strpos({_FOLD.format('source')}, %(needle)s) > 0 "
    "OR (%(digits)s <> '' AND strpos(phone, %(digits)s) > 0))"
)
_FOUND = f"""
SELECT seq, count(*) OVER () FROM (
    SELECT seq, rank_group, rank_key, next_due, {_DUE} AS due FROM leads
    WHERE next_due IS NOT NULL AND {_MATCH}
) m {{only_due}}
ORDER BY due DESC, CASE WHEN due THEN rank_group END, CASE WHEN due THEN rank_key END,
         next_due, seq
LIMIT %(n)s
"""


class PgQueue(PgBase):
    """`queue_page` and `arrivals` on PostgreSQL (mixed into PgLeadStore)."""

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
        now = utc(now, "current time")
        if window != self._window:  # the stored actions are for the store's window
            queued = self.due_queue(now, window)  # type: ignore[attr-defined]
            page = page_of(queued, now, window, threshold, limit=limit, due_only=due_only,
                           needle=needle)  # fmt: skip
            return _with_touches(page, self.touches_of(e.lead.id for e in page.entries))  # type: ignore[attr-defined]
        return self._query(
            lambda conn: self._page(conn, now, window, threshold, limit, due_only, needle)
        )

    def _page(
        self, conn: Any, now: datetime, window: CallingWindow, threshold: timedelta,
        limit: int, due_only: bool, needle: str,
    ) -> QueuePage:  # fmt: skip
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        aging_from = now - threshold
        params: dict[str, Any] = {"now": now, "aging_from": aging_from, "open": []}
        active = due = aging = 0
        oldest: datetime | None = None
        soonest: datetime | None = None
        opened: list[str] = []
        open_now: dict[tuple[str, ...], bool] = {}
        for row in conn.execute(_GROUPS, params).fetchall():
            tz, candidates, queued, by_window, by_grace, old, first, ahead, grace_end = row
            zones = zones_of(tz, tuple(candidates))
            is_open = open_now.get(zones)
            if is_open is None:
                is_open = open_now[zones] = is_open_in(window, zones, now)
            if is_open:
                opened.append(f"{tz} {' '.join(candidates)}")  # as _ZONE_KEY makes it
            active += queued
            due += by_grace + (by_window if is_open else 0)
            aging += old
            if first is not None and (oldest is None or first < oldest):
                oldest = utc(first)
            edges = [ahead, None if grace_end is None else grace_end + _TICK]
            if by_window:
                edges.append(edge_for(zones, now, False, None, is_open, now, window))
            for edge in edges:
                if edge is not None and edge > now and (soonest is None or edge < soonest):
                    soonest = utc(edge)
        params["open"] = opened
        coming = [
            utc(r[0]) for r in conn.execute(
                _COMING, {**params, "key": -aging_from.timestamp(), "n": COMING_LIMIT}
            )
        ]  # fmt: skip
        if needle:
            seqs, total = self._found(conn, params, needle, limit, due_only)
        else:
            seqs = self._head(conn, params, due, limit, due_only)
            total = due if due_only else active
        leads = _leads_by_seq(conn, seqs)
        touches = _touches_of(conn, [lead.id for lead in leads])
        entries = []
        for lead in leads:
            if needle and not lead_matches(lead, needle):
                continue
            found = evaluate(lead, touches[lead.id], self._cadence, window)
            if found.action is None:  # pragma: no cover - a stored action left stale
                continue
            action = found.action
            is_due = action.due_at <= now and (
                in_grace(action.ignores_window, action.late_at, now)
                or open_now.get(lead.zones, False)
            )
            entries.append(entry_for(Queued(lead, action, found.calls), is_due, now, threshold))
        return QueuePage(
            entries=tuple(entries), total=total, due=due, active=active, aging=aging,
            oldest_start=oldest, coming=tuple(coming), changes_at=soonest, now=now,
            threshold=threshold, touches=touches,
        )  # fmt: skip

    def _head(
        self, conn: Any, params: dict[str, Any], due: int, limit: int, due_only: bool
    ) -> list[int]:
        """The seqs of the first `limit` entries: due ones by rank, then the rest."""
        seqs: list[int] = []
        now_key = params["now"].timestamp()
        for group in (0, 1, 2):
            if len(seqs) >= min(limit, due):
                break
            bound = "" if group == 1 else "AND rank_key <= %(key)s"
            rows = conn.execute(
                _DUE_WALK.format(bound=bound),
                {**params, "group": group, "key": now_key, "n": limit - len(seqs)},
            ).fetchall()
            seqs.extend(r[0] for r in rows)
        if not due_only and len(seqs) < limit:
            rows = conn.execute(_LATER_WALK, {**params, "n": limit - len(seqs)}).fetchall()
            seqs.extend(r[0] for r in rows)
        return seqs

    def _found(
        self, conn: Any, params: dict[str, Any], needle: str, limit: int, due_only: bool
    ) -> tuple[list[int], int]:
        """The seqs of the first `limit` entries matching `needle`, and how many match."""
        sql = _FOUND.format(only_due="WHERE due" if due_only else "")
        rows = conn.execute(
            sql, {**params, "needle": needle, "digits": filter_digits(needle), "n": limit}
        ).fetchall()
        return [r[0] for r in rows], (rows[0][1] if rows else 0)

    def arrivals(self, since: int | None, limit: int) -> Arrivals:
        def run(conn: Any) -> Arrivals:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if since is None:
                row = conn.execute("SELECT coalesce(max(arrival), 0) FROM leads").fetchone()
                return Arrivals((), 0, int(row[0]))
            mark, count, ids = conn.execute(
                f"""
                WITH fresh AS MATERIALIZED (
                    SELECT id, arrival, status IN {ACTIVE_SQL} AS active FROM leads
                    WHERE arrival > %(since)s)
                SELECT (SELECT max(arrival) FROM fresh),
                       (SELECT count(*) FROM fresh WHERE active),
                       (SELECT array_agg(id ORDER BY arrival) FROM (
                            SELECT id, arrival FROM fresh WHERE active
                            ORDER BY arrival LIMIT %(n)s) head)
                """,
                {"since": since, "n": limit},
            ).fetchone()
            if mark is None:
                return Arrivals((), 0, since)
            ids = list(ids or ())
            rows = conn.execute(
                f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = ANY(%s)", (ids,)
            ).fetchall()
            by_id = {lead.id: lead for lead in map(lead_from_row, rows)}
            leads = tuple(by_id[i] for i in ids if i in by_id)
            return Arrivals(leads, int(count), int(mark))

        return self._query(run)


def _leads_by_seq(conn: Any, seqs: Sequence[int]) -> list[Lead]:
    """The leads with these seqs, in that order."""
    if not seqs:
        return []
    rows = conn.execute(
        f"SELECT seq, {LEAD_COLUMNS} FROM leads WHERE seq = ANY(%s)", (list(seqs),)
    ).fetchall()
    found = {row[0]: lead_from_row(row[1:]) for row in rows}
    return [found[seq] for seq in seqs if seq in found]


def _touches_of(conn: Any, lead_ids: Sequence[str]) -> dict[str, list[Touch]]:
    """These leads' touches, oldest first (one query)."""
    result: dict[str, list[Touch]] = {lead_id: [] for lead_id in lead_ids}
    if lead_ids:
        for row in conn.execute(
            f"SELECT {TOUCH_COLUMNS} FROM touches WHERE lead_id = ANY(%s) ORDER BY at, seq",
            (list(lead_ids),),
        ):
            result[row[1]].append(touch_from_row(row))
    return result


def _with_touches(page: QueuePage, touches: Mapping[str, Sequence[Touch]]) -> QueuePage:
    from dataclasses import replace

    return replace(page, touches=touches)
