"""One fixture for the store contract suite: the same tests run on TinyDB and PostgreSQL.

`Backend.open()` opens another store on the same pool (a second process's view, or a
reopen after close); `kind` says which backend, for the rare check of a backend's own
storage (a TinyDB journal line, a PostgreSQL row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadtui.domain.cadence import Cadence, load_cadence

CADENCE = load_cadence()


@dataclass
class Backend:
    kind: str  # "tinydb" or "postgres"
    where: str  # the TinyDB file or the PostgreSQL URL
    cadence: Cadence = field(default=CADENCE)
    opened: list[Any] = field(default_factory=list)

    def open(self, **options: Any) -> Any:
        if self.kind == "tinydb":
            from leadtui.store.repository import open_store

            store = open_store(Path(self.where), cadence=self.cadence, **options)
        else:
            from leadtui.store.postgres import open_pg_store

            store = open_pg_store(self.where, cadence=self.cadence, **options)
        self.opened.append(store)
        return store

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run SQL straight on the PostgreSQL database (tests of the rows themselves)."""
        import psycopg

        with psycopg.connect(self.where, autocommit=True) as conn:
            cur = conn.execute(statement, params or None)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def close_all(self) -> None:
        for store in self.opened:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - a test may have closed it already
                pass
