"""Connecting to PostgreSQL: the optional driver, URL masking, one-line errors.

psycopg 3 is an optional extra (`pip install 'leadtui[postgres]'`); without it a
`postgresql://` database gives one clear line naming the extra. A password (in the URL, a
`password=` key word or a `?password=` parameter) is never shown: every message that names
the database goes through `mask_url`, and every driver message through `redact`.
"""

from __future__ import annotations

import logging
from typing import Any

from leadtui.dburl import is_postgres_url, mask_url, redact
from leadtui.store.protocol import StoreError

__all__ = ["MISSING_DRIVER", "connect", "driver", "is_postgres_url", "mask_url", "redact"]

MISSING_DRIVER = (
    "the PostgreSQL backend needs the 'postgres' extra: pip install 'leadtui[postgres]'"
)


# The pool logs each failed reconnection as a warning; with no handler configured Python
# would print them on stderr, over the workstation's screen. The store reports failures
# itself (StoreError, the UNSAVED counter), so the library's log stays silent unless an
# application configures logging.
for _name in ("psycopg", "psycopg.pool"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


def driver() -> Any:
    """The psycopg module; StoreError naming the extra when it is not installed."""
    try:
        import psycopg
    except ImportError:
        raise StoreError(MISSING_DRIVER) from None
    return psycopg


def pool_module() -> Any:
    try:
        import psycopg_pool
    except ImportError:
        raise StoreError(MISSING_DRIVER) from None
    return psycopg_pool


def connect(url: str, **kwargs: Any) -> Any:
    """One connection; StoreError (masked, one line) when the server cannot be reached."""
    psycopg = driver()
    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.Error as exc:
        raise StoreError(f"{mask_url(url)}: {redact(str(exc), url)}") from None
