"""The PostgreSQL side of `db copy`: the pool as plain rows, and loading rows it lacks.

Loading inserts with ON CONFLICT DO NOTHING (a row already there is left alone: running
the copy again changes nothing), then stores the next action of every lead it inserted
or gave touches to, in the same transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadtui.store.copy import PoolRows
from leadtui.store.index import iso, lead_doc, lead_from_doc, touch_doc
from leadtui.store.postgres.rows import (
    LEAD_COLUMNS,
    LEAD_WRITE,
    TOUCH_COLUMNS,
    lead_from_row,
    lead_values,
    touch_from_row,
)

if TYPE_CHECKING:
    from leadtui.store.postgres.store import PgLeadStore


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def dump(conn: Any) -> PoolRows:
    rows = PoolRows()
    t = rows.tables
    t["leads"] = [lead_doc(lead_from_row(r)) for r in conn.execute(
        f"SELECT {LEAD_COLUMNS} FROM leads ORDER BY seq")]  # fmt: skip
    keys: dict[str, dict[str, str]] = {}
    for key, lead_id, answer in conn.execute("SELECT key, lead_id, answer FROM inquiry_keys"):
        keys.setdefault(lead_id, {})[key] = answer
    for doc in t["leads"]:
        if doc["id"] in keys:
            doc["keys"] = keys[doc["id"]]
    t["touches"] = [touch_doc(touch_from_row(r)) for r in conn.execute(
        f"SELECT {TOUCH_COLUMNS} FROM touches ORDER BY seq")]  # fmt: skip
    t["dnc"] = [
        {"phone": p, "lead_id": lead, "touch_id": touch, "at": iso(at)}
        for p, lead, touch, at in conn.execute("SELECT phone, lead_id, touch_id, at FROM dnc")
    ]
    t["claims"] = [
        {"lead_id": lead, "rep": rep, "session": s, "since": iso(since), "expires_at": iso(exp)}
        for lead, rep, s, since, exp in conn.execute(
            "SELECT lead_id, rep, session, since, expires_at FROM claims ORDER BY seq")
    ]  # fmt: skip
    t["blitzes"] = [json.loads(r[0]) for r in conn.execute(
        "SELECT record::text FROM blitzes ORDER BY seq")]  # fmt: skip
    return rows


def load(store: PgLeadStore, conn: Any, rows: PoolRows) -> int:
    """Insert rows not there yet; returns how many leads got a fresh next action."""
    t = rows.tables
    with conn.cursor() as cur:
        places = ", ".join(["%s"] * len(LEAD_WRITE.split(",")))
        cur.executemany(
            f"INSERT INTO leads ({LEAD_WRITE}) VALUES ({places}) ON CONFLICT (id) DO NOTHING",
            [lead_values(lead_from_doc(d)) for d in t["leads"]],
        )
        cur.executemany(
            "INSERT INTO inquiry_keys (key, lead_id, answer) VALUES (%s, %s, %s) "
            "ON CONFLICT (key) DO NOTHING",
            [(key, d["id"], answer) for d in t["leads"] for key, answer in
             (d.get("keys") or {}).items()],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO touches (id, lead_id, outcome, at, note, asked_for, rep, "
            "override_window, blitz_id, dialed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            [(d["id"], d["lead_id"], d["outcome"], d["at"], d.get("note", ""), d.get("when"),
              d.get("rep", ""), d.get("override_window", False), d.get("blitz_id"),
              d.get("dialed_at")) for d in t["touches"]],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO dnc (phone, lead_id, touch_id, at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (phone) DO NOTHING",
            [(d["phone"], d["lead_id"], d["touch_id"], d["at"]) for d in t["dnc"]],
        )
        cur.executemany(
            "INSERT INTO claims (session, lead_id, rep, since, expires_at) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (session) DO NOTHING",
            [(d["session"], d["lead_id"], d["rep"], d["since"], d["expires_at"])
             for d in t["claims"]],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO blitzes (id, record) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
            [(str(d["id"]), json.dumps(d)) for d in t["blitzes"]],
        )
    changed = {d["id"] for d in t["leads"]} | {d["lead_id"] for d in t["touches"]}
    return store.restore_next_actions_in(conn, sorted(changed))
