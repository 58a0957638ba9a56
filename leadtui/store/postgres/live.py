"""LISTEN/NOTIFY: how a PostgreSQL store learns that another process wrote.

After every committed write the store sends `pg_notify('leadtui', <writer token>)` in a
transaction of its own (inside the write it would serialise all committing writers);
PostgreSQL delivers it to every listening connection. `changed()` makes one empty
round trip on the listening connection (PostgreSQL hands over queued notifications before
it answers) and reports whether a notification from another store arrived: the cost does
not depend on the size of the pool. After a lost connection the listener reconnects and
reports a change, because notifications sent while it was away are gone.
"""

from __future__ import annotations

import threading
from typing import Any

from leadtui.store.postgres.connect import connect
from leadtui.store.protocol import StoreError

CHANNEL = "leadtui"


class Listener:
    """One autocommit connection that LISTENs on the leadtui channel."""

    def __init__(self, url: str, token: str, conn: Any | None = None) -> None:
        self._url = url
        self._token = token
        self._lock = threading.Lock()
        self._pending = False
        self._conn: Any | None = None
        self._attach(conn if conn is not None else connect(url, autocommit=True))

    def _attach(self, conn: Any) -> None:
        conn.add_notify_handler(self._heard)
        conn.execute(f"LISTEN {CHANNEL}")
        self._conn = conn

    def _heard(self, notify: Any) -> None:
        if notify.payload != self._token:
            self._pending = True

    def _reconnect(self) -> None:
        import psycopg

        self._drop()
        try:
            conn = connect(self._url, autocommit=True)
        except StoreError:
            return
        try:
            self._attach(conn)
        except psycopg.Error:  # the server went away again between connect and LISTEN
            conn.close()
            return
        self._pending = True  # what was sent meanwhile is lost: assume a change

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close
                pass
            self._conn = None

    def changed(self) -> bool:
        """True when another process wrote since the last `take_pending`."""
        import psycopg

        with self._lock:
            if self._conn is None or self._conn.closed:
                self._reconnect()
            elif self._conn is not None:
                try:
                    self._conn.execute("SELECT 1")
                except psycopg.Error:
                    self._reconnect()
            return self._pending

    def notify(self) -> None:
        """Tell every listener that this store wrote (after its commit). Best effort: a
        listener that misses it still sees the change at its next read of the pool."""
        import psycopg

        with self._lock:
            if self._conn is None or self._conn.closed:
                self._reconnect()
            if self._conn is None:
                return
            try:
                self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, self._token))
            except psycopg.Error:
                self._reconnect()

    def take_pending(self) -> bool:
        """Whether a change was heard (and forget it: the caller is reading now)."""
        with self._lock:
            pending, self._pending = self._pending, False
            return pending

    def close(self) -> None:
        with self._lock:
            self._drop()
