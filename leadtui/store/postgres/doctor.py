"""`leadtui doctor` for a PostgreSQL pool: reachable, schema version, counts, consistency.

Lines start with "ok:", "problem:" or "repaired:" like the TinyDB doctor's. Checks that the
next action stored on each lead row is there exactly for the active leads, that every dnc
lead's number is listed, and (with `repair`) recomputes the stored next actions and
statuses from the touches in one transaction.
"""

from __future__ import annotations

from typing import Any

from leadtui.domain.cadence import Cadence
from leadtui.domain.window import CallingWindow
from leadtui.store.postgres.connect import connect, mask_url
from leadtui.store.postgres.schema import SCHEMA, read_version

ACTIVE = "('new', 'working', 'contacted', 'callback', 'appointment')"


def _count(conn: Any, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0])


def run_pg_doctor(
    url: str, *, cadence: Cadence, window: CallingWindow, repair: bool = False
) -> list[str]:
    where = mask_url(url)
    lines = [f"ok: backend postgresql at {where}"]
    with connect(url, autocommit=True) as conn:
        version = read_version(conn)
        if version is None:
            return [*lines, "problem: no leadtui schema in this database (run: leadtui db init)"]
        if version != SCHEMA:
            verb = "newer than" if version > SCHEMA else "older than"
            return [*lines, f"problem: schema {version} is {verb} this leadtui's ({SCHEMA})"]
        lines.append(f"ok: schema {version}")
        counts = {
            table: _count(conn, f"SELECT count(*) FROM {table}")
            for table in ("leads", "touches", "dnc", "claims", "blitzes")
        }
        lines.append("ok: " + ", ".join(f"{n} {table}" for table, n in counts.items()))
        missing = _count(
            conn,
            f"SELECT count(*) FROM leads WHERE status IN {ACTIVE} AND next_due IS NULL",
        )
        stray = _count(
            conn,
            f"SELECT count(*) FROM leads WHERE status NOT IN {ACTIVE} AND next_due IS NOT NULL",
        )
        unlisted = _count(
            conn,
            "SELECT count(*) FROM leads l WHERE l.status = 'dnc' "
            "AND NOT EXISTS (SELECT 1 FROM dnc d WHERE d.phone = l.phone)",
        )
    problems = []
    if stray:
        problems.append(f"problem: {stray} closed lead(s) still have a next action stored")
    if missing:
        problems.append(f"problem: {missing} active lead(s) have no next action stored")
    if unlisted:
        lines.append(f"ok: {unlisted} dnc lead(s) whose number is no longer listed (kept dnc)")
    if problems and repair:
        fixed = restore_next_actions(url, cadence=cadence, window=window)
        return [*lines, f"repaired: recomputed the next action of {fixed} lead(s)"]
    return [*lines, *problems]


def restore_next_actions(url: str, *, cadence: Cadence, window: CallingWindow) -> int:
    """Recompute every active lead's stored next action from its touches (one transaction)."""
    from leadtui.store.postgres.store import PgLeadStore

    store = PgLeadStore(url, cadence, window=window)
    try:
        return store.restore_next_actions()
    finally:
        store.close()
