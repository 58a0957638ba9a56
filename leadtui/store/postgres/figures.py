"""Each lead's report figures on PostgreSQL: the table `lead_figures` (migrations 4, 6).

Every write that stores a lead's status and next action (`PgLeadStore._store_next`: a
touch, an undo, a new lead, a repeat inquiry) also stores, in the same transaction,
`domain.figures.lead_figures` of the lead with its touches, as the compact JSON of
store/figures.py, with `FACT_VERSION` and the lead row's `changed_at` (that
transaction's `now()`, which every lead write sets). The report uses a lead's stored
figures only when both still match its row; any other write to the lead (a note, a
writer that knows nothing of this table) leaves them unmatched, and that lead's figures
are computed from its touches instead: never a stale answer.

The report reads them with a server-side cursor, a batch at a time, so memory does not
grow with the pool.

Grouped on the server (migration 6): the figures of a lead whose touches were all logged
by one rep and that has no blitz dial (most leads) are also kept in columns (`grouped`
true): its arrival, source, rep, outcome and hour codes, seconds to the first call,
attempts and flags. `report_groups` has the server add those leads up by (source, rep,
attempts, flags, in the `since` scope or not), so a million leads arrive as a few hundred
`FactGroup`s (their outcome and hour codes joined, their first-call seconds listed); only
the other leads' figures come one by one. The sums are the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from leadtui.domain.figures import FACT_VERSION, LeadFigures, lead_figures
from leadtui.domain.model import Lead, Touch
from leadtui.domain.report_sums import FactGroup
from leadtui.store.figures import decode_joined, decode_many, encode
from leadtui.store.postgres.base import _psycopg
from leadtui.store.postgres.rows import LEAD_COLUMNS, lead_from_row

_BATCH = 5_000


def figures_text(lead: Lead, touches: Sequence[Touch]) -> str:
    """The stored form of the lead's figures (the `data` column)."""
    return encode("", lead_figures(lead, touches))["f"]


#: The columns `row_of` fills, in its order.
COLUMNS = (
    "lead_id, version, data, grouped, received_at, source, rep_name, outcomes, hours, "
    "first_call, attempts, flags"
)


def row_of(lead: Lead, touches: Sequence[Touch]) -> tuple[Any, ...]:
    """The lead's `lead_figures` row (`COLUMNS`): the stored text, and the columns the
    server groups when one rep (or none) logged every touch and no dial was a blitz's."""
    figures = lead_figures(lead, touches)
    text = encode("", figures)["f"]
    fact, reps = figures.fact, list(figures.reps.values())
    solo = not reps or (len(reps) == 1 and reps[0][1] is fact)  # (the same fact: no copy)
    if figures.dials or not solo:
        return (lead.id, FACT_VERSION, text, False, *[None] * 8)
    spelling = reps[0][0] if reps else None
    return (
        lead.id, FACT_VERSION, text, True, figures.received_at, figures.source, spelling,
        fact.outcomes, fact.hours, fact.first_call, fact.attempts, fact.flags,
    )  # fmt: skip


def keep(conn: Any, lead: Lead, touches: Sequence[Touch]) -> None:
    """Store the lead's figures (inside the write's transaction, after the lead row's
    `changed_at = now()`)."""
    names = COLUMNS.split(", ")
    conn.execute(
        f"INSERT INTO lead_figures ({COLUMNS}, changed_at) VALUES "
        f"({', '.join(['%s'] * len(names))}, now()) ON CONFLICT (lead_id) DO UPDATE SET "
        + ", ".join(f"{name} = EXCLUDED.{name}" for name in [*names[1:], "changed_at"]),
        row_of(lead, touches),
    )


_MATCH = (
    "FROM leads l {join} lead_figures f ON f.lead_id = l.id AND f.version = %s "
    "AND f.changed_at = l.changed_at"
)


_GROUPS = (
    "SELECT f.source, f.rep_name, {scope}, f.attempts, f.flags, count(*), "
    "string_agg(f.outcomes, ''), string_agg(f.hours, ''), "
    "string_agg(f.first_call::text, ',') "
    + _MATCH.format(join="JOIN")
    + " WHERE f.grouped GROUP BY 1, 2, 3, 4, 5"
)


def read_groups(conn: Any, since: datetime | None) -> Iterator[FactGroup]:
    """The grouped leads' figures that still match their rows, added up by the server."""
    scope = "true" if since is None else "f.received_at >= %s"
    params = (FACT_VERSION,) if since is None else (since, FACT_VERSION)
    with conn.transaction():
        conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        conn.execute("SET LOCAL extra_float_digits = 1")  # each float exactly as stored
        # a hash table of the few groups, not a sort of every row (the planner, unsure
        # how many leads match their figures, sorted a million rows: 2.3-2.8 s vs 1.4 s
        # at 1M); JIT compiling costs more than it saves here
        conn.execute("SET LOCAL enable_sort = off")
        conn.execute("SET LOCAL work_mem = '64MB'")
        conn.execute("SET LOCAL jit = off")
        with conn.cursor(name="leadtui_report_groups") as cur:
            cur.itersize = 50
            cur.execute(_GROUPS.format(scope=scope), params)
            for source, rep, in_scope, attempts, flags, count, outcomes, hours, speeds in cur:
                seconds = json.loads(f"[{speeds}]") if speeds else []
                yield FactGroup(
                    source, rep, in_scope, count, outcomes, hours, seconds, attempts, flags
                )


def read_stored(
    conn: Any, unmatched: list[str], *, grouped: int | None = None
) -> Iterator[LeadFigures]:
    """Every lead's stored figures that still match its row; the ids of the others are
    added to `unmatched`. The server joins each batch of leads' texts into one (one row
    and one JSON parse per batch, not one per lead).

    `grouped`: how many leads `read_groups` already gave, in this transaction's
    snapshot: only the others are read, and the leads whose figures are missing or stale
    are looked for only when not every lead is accounted for (one count instead of a
    join of every lead with its figures)."""
    only = "" if grouped is None else " AND NOT f.grouped"
    missing = "SELECT l.id " + _MATCH.format(join="LEFT JOIN") + " WHERE f.lead_id IS NULL"
    with conn.transaction():
        # every row is read: a plan for all of them (scans and a hash join), not a
        # cursor's default fast start (index scans: random reads for a million rows)
        conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        if grouped is None:
            unmatched += [row[0] for row in conn.execute(missing, (FACT_VERSION,))]
        seen = 0
        with conn.cursor(name="leadtui_report_figures") as cur:
            cur.itersize = 20
            cur.execute(
                f"SELECT l.seq / {_BATCH} AS batch, count(*), string_agg(f.data, ',') "
                + _MATCH.format(join="JOIN")
                + (" WHERE NOT f.grouped" if only else "")
                + " GROUP BY batch",
                (FACT_VERSION,),
            )
            for batch, count, joined in cur:
                seen += count
                found = decode_joined(joined, count)
                if found is None:  # a text that does not parse: that batch lead by lead
                    found = list(_one_by_one(conn, batch, unmatched, only))
                yield from found
        if grouped is not None:
            (leads,) = conn.execute("SELECT count(*) FROM leads").fetchone()
            if grouped + seen != leads:
                unmatched += [row[0] for row in conn.execute(missing, (FACT_VERSION,))]


def _one_by_one(conn: Any, batch: int, unmatched: list[str], only: str) -> Iterator[LeadFigures]:
    rows = conn.execute(
        "SELECT l.id, f.data "
        + _MATCH.format(join="JOIN")
        + f" WHERE l.seq / {_BATCH} = %s{only}",
        (FACT_VERSION, batch),
    ).fetchall()
    for (lead_id, _), got in zip(rows, decode_many([data for _, data in rows]), strict=True):
        if got is None:
            unmatched.append(lead_id)
        else:
            yield got


def computed(
    lead_ids: Sequence[str],
    fetch: Callable[[Sequence[str]], tuple[list[Lead], dict[str, list[Touch]]]],
) -> Iterator[LeadFigures]:
    """The figures of these leads from their touches, `_BATCH` leads at a time."""
    for start in range(0, len(lead_ids), _BATCH):
        leads, touches = fetch(lead_ids[start : start + _BATCH])
        for lead in leads:
            yield lead_figures(lead, touches.get(lead.id, []))


def report_figures(store: Any) -> Iterator[LeadFigures]:
    """`PgLeadStore.report_figures`: the stored figures that match, then the others
    computed from the touches."""
    psycopg = _psycopg()
    unmatched: list[str] = []
    try:
        with store._pool.connection() as conn:
            yield from read_stored(conn, unmatched)
    except psycopg.Error as exc:
        raise store._error(exc) from None
    yield from _unmatched(store, unmatched)


def report_groups(store: Any, since: datetime | None) -> Iterator[LeadFigures | FactGroup]:
    """`PgLeadStore.report_groups`: the same figures as `report_figures`, most of them
    added up by the server (`FactGroup`s, scoped by `since`), the others lead by lead."""
    psycopg = _psycopg()
    unmatched: list[str] = []
    try:
        with store._pool.connection() as conn, conn.transaction():
            # one snapshot for both reads: a lead is counted once, grouped or not
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            grouped = 0
            for group in read_groups(conn, since):
                grouped += group.leads
                yield group
            yield from read_stored(conn, unmatched, grouped=grouped)
    except psycopg.Error as exc:
        raise store._error(exc) from None
    yield from _unmatched(store, unmatched)


def _unmatched(store: Any, unmatched: list[str]) -> Iterator[LeadFigures]:
    """The figures of the leads whose stored ones are missing or stale, computed."""

    def fetch(ids: Sequence[str]) -> tuple[list[Lead], dict[str, list[Touch]]]:
        sql = f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = ANY(%s)"
        wanted = (list(ids),)
        leads = store._query(lambda conn: [lead_from_row(row) for row in conn.execute(sql, wanted)])
        return leads, store.touches_of(ids)

    yield from computed(unmatched, fetch)
