"""The plumbing under the PostgreSQL store: the connection pool, the listener, and the
read and idempotent-write helpers every method goes through (see store.py)."""

from __future__ import annotations

import json
import secrets
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from leadtui.domain.cadence import Cadence
from leadtui.domain.model import Lead, Touch
from leadtui.domain.window import CallingWindow
from leadtui.store.postgres.connect import connect, mask_url, pool_module, redact
from leadtui.store.postgres.live import CHANNEL, Listener
from leadtui.store.postgres.rows import LEAD_COLUMNS, TOUCH_COLUMNS, lead_from_row, touch_from_row
from leadtui.store.postgres.schema import check_schema
from leadtui.store.protocol import LeadNotFound, StoreError
from leadtui.store.repository import new_id

R = TypeVar("R")
_RETRY_SECONDS = 5.0  # then StoreError: the workstation shows UNSAVED and its outbox retries
_DONE_KEEP = 512  # write ids of the last completed writes, for a caller's retry


class PgBase:
    """A pool of connections to one leadtui database, and how reads and writes use it."""

    def __init__(
        self,
        url: str,
        cadence: Cadence,
        *,
        window: CallingWindow | None = None,
        max_connections: int = 4,
        retry_seconds: float = _RETRY_SECONDS,
    ) -> None:
        self.url = url
        self.path = mask_url(url)  # what messages name: never the password
        self._cadence = cadence
        self._window = window or CallingWindow()
        self._retry_seconds = retry_seconds
        self._token = secrets.token_hex(8)
        self._version = 0
        self._lock = threading.Lock()
        self._in_doubt: dict[tuple[Any, ...], str] = {}
        self._done: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._by_lead: tuple[int, Mapping[str, Sequence[Touch]]] | None = None
        psycopg = _psycopg()
        first = connect(url, autocommit=True)
        try:
            first.execute("SET TimeZone TO 'UTC'")
            check_schema(first, self.path)
            self._role = str(first.execute("SELECT current_user").fetchone()[0])
            self._listener = Listener(url, self._token, first)
        except psycopg.Error as exc:  # the server went away between connect and here
            first.close()
            raise self._error(exc) from None
        except BaseException:
            first.close()
            raise
        pools = pool_module()
        self._pool = pools.ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            # autocommit: a read is one statement, not BEGIN + query + the pool's ROLLBACK;
            # writes open their transaction themselves (conn.transaction(), or BEGIN).
            kwargs={"connect_timeout": 10, "autocommit": True},
            configure=_configure,
            check=_check,
            timeout=10,
            open=True,
            name="leadtui",
        )

    @property
    def role(self) -> str:
        """The database role this store writes as (kept on every touch)."""
        return self._role

    # --- plumbing -----------------------------------------------------------------

    def _error(self, exc: BaseException) -> StoreError:
        return StoreError(f"{self.path}: {redact(str(exc), self.url)}")

    def _query(self, run: Callable[[Any], R]) -> R:
        """Run a read on a pooled connection (one retry when the connection was lost)."""
        psycopg = _psycopg()
        self._catch_up()
        for attempt in range(2):
            try:
                with self._pool.connection() as conn:
                    return run(conn)
            except psycopg.OperationalError as exc:
                if attempt:
                    raise self._error(exc) from None
            except psycopg.Error as exc:
                raise self._error(exc) from None
            except _pool_errors() as exc:
                raise self._error(exc) from None
        raise AssertionError("unreachable")

    def _write(
        self,
        key: tuple[Any, ...],
        run: Callable[[Any], R],
        encode: Callable[[R], Any],
        decode: Callable[[Any, Any], R],
        *,
        remember: bool = True,
    ) -> R:
        """One write transaction, idempotent under retries.

        `key` names the logical write (method and arguments, times to the microsecond):
        a call that failed while its outcome was unknown, or one that succeeded a moment
        ago, keeps its write id, so calling again with the same arguments (the
        workstation's outbox does, after any failure) finds the earlier commit instead of
        writing twice (`remember=False`: only after an unknown outcome). `decode(conn,
        stored)` rebuilds the answer of a write already made."""

        def body(conn: Any, write_id: str) -> R:
            with conn.transaction():
                done = conn.execute(
                    "SELECT result FROM applied_writes WHERE id = %s", (write_id,)
                ).fetchone()
                if done is not None:
                    return decode(conn, done[0])
                result = run(conn)
                conn.execute(
                    "INSERT INTO applied_writes (id, result) VALUES (%s, %s)",
                    (write_id, json.dumps(encode(result))),
                )
            # Told after the commit, in a transaction of its own: a NOTIFY inside the
            # write would make PostgreSQL serialise every committing writer behind one
            # lock (each waiting for the other's WAL flush: 95 ms per log with 20 reps).
            self._listener.notify()
            return result

        return self._attempts(key, body, remember=remember)

    def _write_piped(
        self,
        key: tuple[Any, ...],
        read: Callable[[Any], Any],
        run: Callable[[Any, Any], R],
        encode: Callable[[R], Any],
        decode: Callable[[Any, Any], R],
        *,
        remember: bool = True,
    ) -> R:
        """`_write` in two round trips, for the writes a rep makes all day (log, undo).

        In pipeline mode: BEGIN, the applied_writes check and `read(conn)` (statements
        whose cursors it returns unread) go out together and come back in ONE round
        trip; `run(conn, cursors)` then decides in Python and sends its writes without
        waiting; the applied_writes row, COMMIT and the NOTIFY (its own transaction: it
        writes no WAL, and synchronous_commit is off for it alone in case a server did;
        it is a notice, not data) are the second round trip. The write itself is
        flushed to disk before this returns (synchronous_commit on)."""

        def body(conn: Any, write_id: str) -> R:
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    done_cursor = conn.execute(
                        "SELECT result FROM applied_writes WHERE id = %s", (write_id,)
                    )
                    cursors = read(conn)
                    done = done_cursor.fetchone()  # the first round trip
                    if done is not None:
                        result = decode(conn, done[0])
                        conn.execute("COMMIT")
                        return result
                    result = run(conn, cursors)
                    conn.execute(
                        "INSERT INTO applied_writes (id, result) VALUES (%s, %s)",
                        (write_id, json.dumps(encode(result))),
                    )
                    conn.execute("COMMIT")
                    conn.execute("BEGIN")
                    conn.execute(
                        "SELECT set_config('synchronous_commit', 'off', true), "
                        "pg_notify(%s, %s)",
                        (CHANNEL, self._token),
                    )
                    conn.execute("COMMIT")
                # leaving the pipeline waits for the second round trip (COMMIT included)
            except BaseException:
                _roll_back(conn)
                raise
            return result

        return self._attempts(key, body, remember=remember)

    def _attempts(
        self, key: tuple[Any, ...], body: Callable[[Any, str], R], *, remember: bool
    ) -> R:
        """Run `body(conn, write_id)` until it is known to have committed or failed: an
        unknown outcome (lost connection, server restart) is tried again with the same
        write id for up to `retry_seconds`, then StoreError (the id is kept for the
        caller's own retry of the same call)."""
        psycopg = _psycopg()
        earlier = self._in_doubt.get(key) or (self._done.get(key) if remember else None)
        write_id = earlier or new_id() + new_id()
        deadline = time.monotonic() + self._retry_seconds
        delay = 0.05
        while True:
            try:
                with self._pool.connection() as conn:
                    result = body(conn, write_id)
                self._in_doubt.pop(key, None)
                with self._lock:
                    self._version += 1
                    self._done[key] = write_id
                    if len(self._done) > _DONE_KEEP:
                        self._done.popitem(last=False)
                return result
            except (psycopg.OperationalError, psycopg.errors.SerializationFailure,
                    psycopg.errors.DeadlockDetected, *_pool_errors()) as exc:  # fmt: skip
                self._in_doubt[key] = write_id
                if time.monotonic() > deadline:
                    raise self._error(exc) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except psycopg.Error as exc:
                self._in_doubt.pop(key, None)
                raise self._error(exc) from None

    def _catch_up(self) -> None:
        if self._listener.take_pending():
            with self._lock:
                self._version += 1

    def _lead(self, conn: Any, lead_id: str, *, lock: bool = False) -> Lead:
        sql = f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = %s" + (" FOR UPDATE" if lock else "")
        row = conn.execute(sql, (lead_id,)).fetchone()
        if row is None:
            raise LeadNotFound(lead_id)
        return lead_from_row(row)

    def _touches(self, conn: Any, lead_id: str) -> list[Touch]:
        rows = conn.execute(
            f"SELECT {TOUCH_COLUMNS} FROM touches WHERE lead_id = %s ORDER BY at, seq",
            (lead_id,),
        ).fetchall()
        return [touch_from_row(row) for row in rows]

    # --- life cycle ---------------------------------------------------------------

    def close(self) -> None:
        self._listener.close()
        self._pool.close()

    def __enter__(self) -> PgBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _configure(conn: Any) -> None:
    conn.execute("SET TimeZone TO 'UTC'")


def _check(conn: Any) -> None:
    """The pool's check of a connection it hands out, without a round trip when it can:
    an idle connection's socket has nothing to read unless the server closed it (a
    restart, a kill) or sent a notice; only then is it asked with an empty query."""
    if conn.closed or conn.broken:
        raise _psycopg().OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if readable:
        conn.execute("")


def _roll_back(conn: Any) -> None:
    """End a transaction a failed pipelined write left open (nothing of it committed)."""
    psycopg = _psycopg()
    status = conn.pgconn.transaction_status
    if status in (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR):
        try:
            conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # a broken connection: the pool discards it


def _psycopg() -> Any:
    import psycopg

    return psycopg


def _pool_errors() -> tuple[type[BaseException], ...]:
    import psycopg_pool

    return (psycopg_pool.PoolTimeout,)
