"""Each lead's report figures on PostgreSQL: the table `lead_figures` (migration 4).

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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from leadtui.domain.figures import FACT_VERSION, LeadFigures, lead_figures
from leadtui.domain.model import Lead, Touch
from leadtui.store.figures import decode_joined, decode_many, encode
from leadtui.store.postgres.base import _psycopg
from leadtui.store.postgres.rows import LEAD_COLUMNS, lead_from_row

_BATCH = 5_000


def figures_text(lead: Lead, touches: Sequence[Touch]) -> str:
    """The stored form of the lead's figures (the `data` column)."""
    return encode("", lead_figures(lead, touches))["f"]


def keep(conn: Any, lead: Lead, touches: Sequence[Touch]) -> None:
    """Store the lead's figures (inside the write's transaction, after the lead row's
    `changed_at = now()`)."""
    conn.execute(
        "INSERT INTO lead_figures (lead_id, version, changed_at, data) "
        "VALUES (%s, %s, now(), %s) ON CONFLICT (lead_id) DO UPDATE SET "
        "version = EXCLUDED.version, changed_at = EXCLUDED.changed_at, data = EXCLUDED.data",
        (lead.id, FACT_VERSION, figures_text(lead, touches)),
    )


_MATCH = (
    "FROM leads l {join} lead_figures f ON f.lead_id = l.id AND f.version = %s "
    "AND f.changed_at = l.changed_at"
)


def read_stored(conn: Any, unmatched: list[str]) -> Iterator[LeadFigures]:
    """Every lead's stored figures that still match its row; the ids of the others are
    added to `unmatched`. The server joins each batch of leads' texts into one (one
    row and one JSON parse per batch, not one per lead)."""
    with conn.transaction():
        # every row is read: a plan for all of them (scans and a hash join), not a
        # cursor's default fast start (index scans: random reads for a million rows)
        conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        missing = "SELECT l.id " + _MATCH.format(join="LEFT JOIN") + " WHERE f.lead_id IS NULL"
        unmatched += [row[0] for row in conn.execute(missing, (FACT_VERSION,))]
        with conn.cursor(name="leadtui_report_figures") as cur:
            cur.itersize = 20
            cur.execute(
                f"SELECT l.seq / {_BATCH} AS batch, count(*), string_agg(f.data, ',') "
                + _MATCH.format(join="JOIN")
                + " GROUP BY batch",
                (FACT_VERSION,),
            )
            for batch, count, joined in cur:
                found = decode_joined(joined, count)
                if found is None:  # a text that does not parse: that batch lead by lead
                    found = list(_one_by_one(conn, batch, unmatched))
                yield from found


def _one_by_one(conn: Any, batch: int, unmatched: list[str]) -> Iterator[LeadFigures]:
    rows = conn.execute(
        "SELECT l.id, f.data " + _MATCH.format(join="JOIN") + f" WHERE l.seq / {_BATCH} = %s",
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

    def fetch(ids: Sequence[str]) -> tuple[list[Lead], dict[str, list[Touch]]]:
        sql = f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = ANY(%s)"
        wanted = (list(ids),)
        leads = store._query(lambda conn: [lead_from_row(row) for row in conn.execute(sql, wanted)])
        return leads, store.touches_of(ids)

    yield from computed(unmatched, fetch)
