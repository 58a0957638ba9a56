"""The TinyDB side of `db copy`: the pool as plain rows, and loading rows it lacks.

Rows are the documents in canonical form (through the model and back), so a TinyDB pool
and a PostgreSQL pool holding the same data dump the same rows.
"""

from __future__ import annotations

from typing import Any

from leadtui.store.copy import Doc, PoolRows
from leadtui.store.index import (
    BLITZES,
    CLAIMS,
    DNC,
    LEADS,
    TOUCHES,
    iso,
    lead_doc,
    lead_from_doc,
    parse_time,
    touch_doc,
    touch_from_doc,
)
from leadtui.store.repository import TinyLeadStore


def _time(value: str) -> str:
    return iso(parse_time(value))


def _with_keys(doc: Doc, stored: Doc) -> Doc:
    """The lead's inquiry keys (webhook/mail ids -> what their first add did), if any."""
    if stored.get("keys"):
        doc["keys"] = dict(stored["keys"])
    return doc


def dump(store: TinyLeadStore) -> PoolRows:
    storage = store._storage
    with storage.thread_lock:
        storage.refresh()
        storage.load_archive()
        table = storage.table
        rows = PoolRows()
        rows.tables["leads"] = [_with_keys(lead_doc(lead_from_doc(d)), d)
                                for d in table(LEADS).values()]  # fmt: skip
        rows.tables["touches"] = [touch_doc(touch_from_doc(d)) for d in table(TOUCHES).values()]
        rows.tables["dnc"] = [
            {"phone": d["phone"], "lead_id": d.get("lead_id"), "touch_id": d.get("touch_id"),
             "at": _time(d["at"])}
            for d in table(DNC).values()
        ]  # fmt: skip
        rows.tables["claims"] = [
            {"lead_id": d["lead_id"], "rep": d.get("rep", ""), "session": d.get("session", ""),
             "since": _time(d.get("since", d["expires_at"])), "expires_at": _time(d["expires_at"])}
            for d in table(CLAIMS).values()
        ]  # fmt: skip
        rows.tables["blitzes"] = [dict(d) for d in table(BLITZES).values()]
    return rows


def load(store: TinyLeadStore, rows: PoolRows) -> None:
    """Insert the rows in one durable write (the caller passes only rows not there yet).
    Each lead that gains rows gets its stored next action and report figures in the same
    write, as a touch would give it: a copied pool ranks its queue and sums its report
    from them at once, instead of replaying every lead until it is next written."""
    db = store._db
    with store._storage.transaction():
        for name, table in ((LEADS, "leads"), (TOUCHES, "touches"), (DNC, "dnc"),
                            (CLAIMS, "claims")):  # fmt: skip
            docs: list[Any] = rows.tables[table]
            if docs:
                db.table(name).insert_multiple(docs)
        changed = {d["id"] for d in rows.tables["leads"]}
        changed.update(d["lead_id"] for d in rows.tables["touches"])
        for lead_id in sorted(changed):
            store.restore_derived(lead_id)
        for record in rows.tables["blitzes"]:
            store.save_blitz(record)


__all__ = ["Doc", "dump", "load"]
