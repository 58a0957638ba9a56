"""The PostgreSQL backend: one pool shared by a team (optional extra `postgres`).

`open_pg_store(url, cadence=...)` gives a `LeadStore`; nothing above the store knows which
backend it talks to. psycopg is imported only when a PostgreSQL database is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadtui.store.postgres.connect import driver, is_postgres_url, mask_url

if TYPE_CHECKING:
    from leadtui.domain.cadence import Cadence
    from leadtui.domain.window import CallingWindow
    from leadtui.store.postgres.store import PgLeadStore

__all__ = ["is_postgres_url", "mask_url", "open_pg_store"]


def open_pg_store(
    url: str, *, cadence: Cadence, window: CallingWindow | None = None
) -> PgLeadStore:
    """Connect to the database at `url` and check its schema (StoreError, one line,
    password masked, on any problem)."""
    driver()  # the one clear line when the extra is missing
    from leadtui.store.postgres.store import PgLeadStore

    return PgLeadStore(url, cadence, window=window)
