"""`leadtui db copy`: a whole pool from one backend to another, verified, safe to repeat.

Both backends dump their pool as the same plain rows (the TinyDB document forms: ISO-8601
UTC times, outcomes and statuses as text) and load rows they do not hold yet (by id; a dnc
number by phone; a claim by session), in one transaction. Afterwards the destination is
dumped again and, per table, the copied rows' count and SHA-256 checksum must equal the
source's: a second run copies nothing and verifies the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadtui.store.protocol import StoreError

Doc = dict[str, Any]
TABLES = ("leads", "touches", "dnc", "claims", "blitzes")
_KEYS: dict[str, Callable[[Doc], str]] = {
    "leads": lambda doc: doc["id"],
    "touches": lambda doc: doc["id"],
    "dnc": lambda doc: doc["phone"],
    "claims": lambda doc: doc["session"],
    "blitzes": lambda doc: str(doc["id"]),
}


@dataclass
class PoolRows:
    """A pool as plain rows, one list per table."""

    tables: dict[str, list[Doc]] = field(default_factory=lambda: {t: [] for t in TABLES})

    def keyed(self, table: str) -> dict[str, Doc]:
        key = _KEYS[table]
        return {key(doc): doc for doc in self.tables[table]}


@dataclass(frozen=True)
class TableCheck:
    table: str
    source: int
    copied: int  # rows the destination did not have
    checksum: str  # of the source's rows
    matches: bool  # the destination holds every source row exactly


def checksum(docs: list[Doc]) -> str:
    """SHA-256 over the rows in canonical JSON, in key order (independent of backend)."""
    digest = hashlib.sha256()
    for line in sorted(json.dumps(doc, sort_keys=True, ensure_ascii=False) for doc in docs):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _dumper(store: Any) -> tuple[Callable[[], PoolRows], Callable[[PoolRows], None]]:
    from leadtui.store.repository import TinyLeadStore

    if isinstance(store, TinyLeadStore):
        from leadtui.store import tiny_copy

        return (lambda: tiny_copy.dump(store)), (lambda rows: tiny_copy.load(store, rows))
    return store.dump_rows, store.load_rows


def copy_pool(source: Any, destination: Any) -> list[TableCheck]:
    """Copy what the destination lacks, then verify every table; StoreError when a row
    differs (the same id holds other data there)."""
    dump_source, _ = _dumper(source)
    dump_destination, load_destination = _dumper(destination)
    rows = dump_source()
    before = dump_destination()
    missing = PoolRows()
    for table in TABLES:
        have = before.keyed(table)
        missing.tables[table] = [
            doc for key, doc in rows.keyed(table).items() if key not in have
        ]
    if any(missing.tables.values()):
        load_destination(missing)
    after = dump_destination()
    checks = []
    for table in TABLES:
        wanted = rows.keyed(table)
        there = after.keyed(table)
        found = [there[key] for key in wanted if key in there]
        source_sum = checksum(list(wanted.values()))
        checks.append(
            TableCheck(
                table=table,
                source=len(wanted),
                copied=len(missing.tables[table]),
                checksum=source_sum,
                matches=len(found) == len(wanted) and checksum(found) == source_sum,
            )
        )
    bad = [check.table for check in checks if not check.matches]
    if bad:
        raise StoreError(
            "the copy does not match the source in " + ", ".join(bad)
            + " (the destination holds the same ids with other data)"
        )
    return checks
