"""`PgLeadStore`: the LeadStore on a PostgreSQL server, for a team sharing one pool.

Every write is one transaction with client-generated ids and a write id recorded in
`applied_writes`: a retry after a lost connection finds its own earlier commit instead of
writing twice, and a write that never committed is simply made again. The domain decides
(check_touch, derive_status, the dedupe and dnc rules, note cleaning) exactly as for the
TinyDB store; this module only stores. Other processes' writes arrive by LISTEN/NOTIFY.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar

from leadtui.domain.cadence import Cadence, check_touch, derive_status
from leadtui.domain.model import Lead, LeadDraft, LeadError, LeadStatus, Outcome, Touch
from leadtui.domain.window import CallingWindow, is_open
from leadtui.store.copy import PoolRows
from leadtui.store.index import email_key, utc
from leadtui.store.postgres.connect import connect, mask_url, pool_module, redact
from leadtui.store.postgres.live import Listener
from leadtui.store.postgres.rows import (
    LEAD_COLUMNS,
    TOUCH_COLUMNS,
    lead_from_row,
    next_columns,
    touch_from_json,
    touch_from_row,
    touch_to_json,
)
from leadtui.store.postgres.schema import check_schema
from leadtui.store.protocol import AddResult, Claim, LeadNotFound, StoreError
from leadtui.store.repository import _clean_note, new_id, not_last_message

R = TypeVar("R")
_ADD_LOCK = 7413202  # advisory lock: one add_leads at a time (dedupe by phone/email)
_RETRY_SECONDS = 5.0  # then StoreError: the workstation shows UNSAVED and its outbox retries
_DONE_KEEP = 512  # write ids of the last completed writes, for a caller's retry


class PgLeadStore:
    """LeadStore implementation over a connection pool. Thread-safe; many processes and
    hosts may share one database."""

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
        first = connect(url, autocommit=True)
        try:
            first.execute("SET TimeZone TO 'UTC'")
            check_schema(first, self.path)
            self._role = str(first.execute("SELECT current_user").fetchone()[0])
        except BaseException:
            first.close()
            raise
        self._listener = Listener(url, self._token, first)
        pools = pool_module()
        self._pool = pools.ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"connect_timeout": 10},
            configure=_configure,
            check=pools.ConnectionPool.check_connection,
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
        psycopg = _psycopg()
        earlier = self._in_doubt.get(key) or (self._done.get(key) if remember else None)
        write_id = earlier or new_id() + new_id()
        deadline = time.monotonic() + self._retry_seconds
        delay = 0.05
        while True:
            try:
                with self._pool.connection() as conn:
                    with conn.transaction():
                        done = conn.execute(
                            "SELECT result FROM applied_writes WHERE id = %s", (write_id,)
                        ).fetchone()
                        if done is not None:
                            result = decode(conn, done[0])
                        else:
                            result = run(conn)
                            conn.execute(
                                "INSERT INTO applied_writes (id, result) VALUES (%s, %s)",
                                (write_id, json.dumps(encode(result))),
                            )
                            conn.execute("SELECT pg_notify('leadtui', %s)", (self._token,))
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

    # --- reading ------------------------------------------------------------------

    def leads(self) -> list[Lead]:
        return self._query(
            lambda conn: [
                lead_from_row(row)
                for row in conn.execute(f"SELECT {LEAD_COLUMNS} FROM leads ORDER BY seq")
            ]
        )

    def active_leads(self) -> list[Lead]:
        sql = (
            f"SELECT {LEAD_COLUMNS} FROM leads WHERE status IN "
            "('new', 'working', 'contacted', 'callback', 'appointment') ORDER BY seq"
        )
        return self._query(lambda conn: [lead_from_row(row) for row in conn.execute(sql)])

    def get_lead(self, lead_id: str) -> Lead:
        return self._query(lambda conn: self._lead(conn, lead_id))

    def touches(self, lead_id: str) -> list[Touch]:
        def run(conn: Any) -> list[Touch]:
            touches = self._touches(conn, lead_id)
            if not touches:
                self._lead(conn, lead_id)
            return touches

        return self._query(run)

    def touches_of(self, lead_ids: Iterable[str]) -> dict[str, list[Touch]]:
        wanted = list(dict.fromkeys(lead_ids))

        def run(conn: Any) -> dict[str, list[Touch]]:
            result: dict[str, list[Touch]] = {lead_id: [] for lead_id in wanted}
            for start in range(0, len(wanted), 5000):
                rows = conn.execute(
                    f"SELECT {TOUCH_COLUMNS} FROM touches WHERE lead_id = ANY(%s) ORDER BY at, seq",
                    (wanted[start : start + 5000],),
                )
                for row in rows:
                    result[row[1]].append(touch_from_row(row))
            return result

        return self._query(run) if wanted else {}

    def touches_by_lead(self) -> Mapping[str, Sequence[Touch]]:
        def run(conn: Any) -> Mapping[str, Sequence[Touch]]:
            grouped: dict[str, list[Touch]] = {
                row[0]: [] for row in conn.execute("SELECT id FROM leads ORDER BY seq")
            }
            for row in conn.execute(f"SELECT {TOUCH_COLUMNS} FROM touches ORDER BY at, seq"):
                grouped.setdefault(row[1], []).append(touch_from_row(row))
            return MappingProxyType({k: tuple(v) for k, v in grouped.items()})

        self._catch_up()
        version = self._version
        if self._by_lead is None or self._by_lead[0] != version:
            self._by_lead = (version, self._query(run))
        return self._by_lead[1]

    def lead_count(self) -> int:
        sql = "SELECT count(*) FROM leads"
        return self._query(lambda conn: int(conn.execute(sql).fetchone()[0]))

    def is_dnc(self, phone: str) -> bool:
        return self._query(
            lambda conn: (
                conn.execute("SELECT 1 FROM dnc WHERE phone = %s", (phone,)).fetchone() is not None
            )
        )

    def changed(self) -> bool:
        return self._listener.changed()

    def version(self) -> int:
        self._catch_up()
        return self._version

    def due_queue(self, now: datetime, limit: int, window: CallingWindow) -> list[Lead]:
        """The leads due now, in rank order from the stored next action, at most `limit`
        whose calling window is open at `now` (or whose time was asked for): one indexed
        query per page, whatever the size of the pool."""
        now = utc(now, "current time")
        open_now: dict[str, bool] = {}

        def run(conn: Any) -> list[Lead]:
            found: list[Lead] = []
            after: tuple[int, float] = (-1, float("-inf"))
            page = max(limit * 2, 50)
            while len(found) < limit:
                rows = conn.execute(
                    f"SELECT {LEAD_COLUMNS}, next_asked, rank_group, rank_key FROM leads "
                    "WHERE next_due IS NOT NULL AND next_due <= %s "
                    "AND (rank_group, rank_key) > (%s, %s) "
                    "ORDER BY rank_group, rank_key LIMIT %s",
                    (now, after[0], after[1], page),
                ).fetchall()
                for row in rows:
                    lead = lead_from_row(row)
                    if not row[10]:
                        tz = lead.timezone
                        if tz not in open_now:
                            open_now[tz] = is_open(window, tz, now)
                        if not open_now[tz]:
                            continue
                    found.append(lead)
                if len(rows) < page:
                    break
                after = (rows[-1][11], rows[-1][12])
            return found[:limit]

        return self._query(run)

    # --- writing ------------------------------------------------------------------

    def _store_next(self, conn: Any, lead: Lead, touches: Sequence[Touch]) -> None:
        conn.execute(
            "UPDATE leads SET status = %s, next_kind = %s, next_message = %s, next_due = %s, "
            "next_asked = %s, rank_group = %s, rank_key = %s, changed_at = now() WHERE id = %s",
            (lead.status.value, *next_columns(lead, touches, self._cadence, self._window), lead.id),
        )

    def _restatus(self, conn: Any, lead: Lead, touches: Sequence[Touch]) -> Lead:
        """Derive the status from the touches (dnc sticks while the number is listed) and
        store it with the next action."""
        listed = conn.execute("SELECT 1 FROM dnc WHERE phone = %s", (lead.phone,)).fetchone()
        base = replace(lead, status=LeadStatus.DNC if listed else LeadStatus.NEW)
        status = LeadStatus.DNC if listed else derive_status(base, touches, self._cadence)
        updated = replace(lead, status=status)
        self._store_next(conn, updated, touches)
        return updated

    def _existing(self, conn: Any, draft: LeadDraft) -> str | None:
        row = conn.execute(
            "SELECT id FROM leads WHERE phone = %s ORDER BY seq LIMIT 1", (draft.phone,)
        ).fetchone()
        key = email_key(draft.email)
        if row is None and key:
            row = conn.execute(
                "SELECT id FROM leads WHERE email_key = %s ORDER BY seq LIMIT 1", (key,)
            ).fetchone()
        return row[0] if row else None

    def add_leads(self, drafts: Sequence[LeadDraft], now: datetime) -> list[AddResult]:
        utc(now, "current time")
        drafts = list(drafts)
        received = [utc(d.received_at, "received time") for d in drafts]
        ids = [new_id() for _ in drafts]

        def run(conn: Any) -> list[AddResult]:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADD_LOCK,))
            results: list[AddResult] = []
            for draft, at, lead_id in zip(drafts, received, ids, strict=True):
                existing = self._existing(conn, draft)
                if existing is not None:
                    conn.execute(
                        "UPDATE leads SET inquiries = inquiries || %s::timestamptz, "
                        "changed_at = now() WHERE id = %s",
                        (at, existing),
                    )
                    lead = self._lead(conn, existing)
                    self._store_next(conn, lead, self._touches(conn, existing))
                    results.append(AddResult(lead, created=False))
                    continue
                listed = conn.execute(
                    "SELECT 1 FROM dnc WHERE phone = %s", (draft.phone,)
                ).fetchone()
                lead = Lead(
                    id=lead_id, name=draft.name, phone=draft.phone, email=draft.email,
                    source=draft.source, timezone=draft.timezone, received_at=at,
                    status=LeadStatus.DNC if listed else LeadStatus.NEW, notes=draft.notes,
                )  # fmt: skip
                inserted = conn.execute(
                    "INSERT INTO leads (id, name, phone, email, email_key, source, timezone, "
                    "received_at, status, notes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (id) DO NOTHING RETURNING id",
                    (lead.id, lead.name, lead.phone, lead.email, email_key(lead.email),
                     lead.source, lead.timezone, at, lead.status.value, lead.notes),
                ).fetchone()  # fmt: skip
                if inserted is None:  # an id another writer took: vanishingly rare
                    raise _psycopg().errors.SerializationFailure("lead id taken; retrying")
                self._store_next(conn, lead, ())
                results.append(AddResult(lead, created=True))
            return results

        def encode(results: list[AddResult]) -> Any:
            return [[r.lead.id, r.created] for r in results]

        def decode(conn: Any, stored: Any) -> list[AddResult]:
            return [AddResult(self._lead(conn, i), created=c) for i, c in stored]

        key = ("add", tuple(zip(drafts, received, strict=True)))
        return self._write(key, run, encode, decode) if drafts else []

    def log_touch(
        self,
        lead_id: str,
        outcome: Outcome,
        at: datetime,
        *,
        note: str = "",
        when: datetime | None = None,
        rep: str = "",
        override_window: bool = False,
        blitz_id: str | None = None,
    ) -> Touch:
        outcome = Outcome(outcome)
        note = _clean_note(note)
        at = utc(at, "touch time")
        asked = utc(when, "time asked for") if when is not None else None
        key = ("log", lead_id, outcome, at, note, asked, rep, override_window, blitz_id)
        touch_id = new_id()

        def run(conn: Any) -> Touch:
            lead = self._lead(conn, lead_id, lock=True)
            check_touch(lead, outcome, when)
            touch = Touch(
                id=touch_id, lead_id=lead_id, outcome=outcome, at=at, note=note, when=asked,
                rep=rep, override_window=override_window, blitz_id=blitz_id,
            )  # fmt: skip
            conn.execute(
                "INSERT INTO touches (id, lead_id, outcome, at, note, asked_for, rep, "
                "override_window, blitz_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (touch.id, lead_id, outcome.value, at, note, asked, rep, override_window,
                 blitz_id),
            )  # fmt: skip
            if outcome is Outcome.DNC:
                conn.execute(
                    "INSERT INTO dnc (phone, lead_id, touch_id, at) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (phone) DO NOTHING",
                    (lead.phone, lead_id, touch.id, at),
                )
            self._restatus(conn, lead, self._touches(conn, lead_id))
            return touch

        return self._write(key, run, touch_to_json, lambda _conn, doc: touch_from_json(doc))

    def _remove_touch(self, conn: Any, lead: Lead, touch: Touch) -> None:
        conn.execute("DELETE FROM touches WHERE id = %s", (touch.id,))
        if touch.outcome is Outcome.DNC:
            keeper = conn.execute(
                "SELECT t.id FROM touches t JOIN leads l ON l.id = t.lead_id "
                "WHERE l.phone = %s AND t.outcome = 'dnc' ORDER BY t.at DESC, t.seq DESC "
                "LIMIT 1",
                (lead.phone,),
            ).fetchone()
            if keeper is None:
                conn.execute("DELETE FROM dnc WHERE phone = %s", (lead.phone,))
            else:
                conn.execute(
                    "UPDATE dnc SET touch_id = %s WHERE phone = %s", (keeper[0], lead.phone)
                )
        self._restatus(conn, lead, self._touches(conn, lead.id))

    def undo_last_touch(self, lead_id: str) -> Touch | None:
        def run(conn: Any) -> Touch | None:
            lead = self._lead(conn, lead_id, lock=True)
            touches = self._touches(conn, lead_id)
            if not touches:
                return None
            self._remove_touch(conn, lead, touches[-1])
            return touches[-1]

        return self._write(
            ("undo", lead_id, new_id()),  # each call undoes one more: never the same key
            run,
            lambda t: touch_to_json(t) if t else None,
            lambda _conn, doc: touch_from_json(doc) if doc else None,
        )

    def undo_touch(self, lead_id: str, touch_id: str) -> Touch:
        def run(conn: Any) -> Touch:
            lead = self._lead(conn, lead_id, lock=True)
            touches = self._touches(conn, lead_id)
            if not touches or touches[-1].id != touch_id:
                raise LeadError(not_last_message(touch_id, touches))
            self._remove_touch(conn, lead, touches[-1])
            return touches[-1]

        return self._write(
            ("undo-touch", lead_id, touch_id), run, touch_to_json,
            lambda _conn, doc: touch_from_json(doc), remember=False,
        )  # fmt: skip

    def add_note(self, lead_id: str, text: str, at: datetime) -> Lead:
        at = utc(at, "note time")
        stamp = at.strftime("[%Y-%m-%d %H:%M UTC]")
        entry = f"{stamp} {_clean_note(text)}"

        def run(conn: Any) -> Lead:
            row = conn.execute(
                "UPDATE leads SET notes = CASE WHEN notes = '' THEN %s ELSE notes || "
                "E'\\n' || %s END, changed_at = now() WHERE id = %s RETURNING id",
                (entry, entry, lead_id),
            ).fetchone()
            if row is None:
                raise LeadNotFound(lead_id)
            return self._lead(conn, lead_id)

        return self._write(
            ("note", lead_id, at, entry), run, lambda lead: lead.id,
            lambda conn, stored: self._lead(conn, stored),
        )  # fmt: skip

    def restore_next_actions_in(self, conn: Any, lead_ids: Sequence[str] | None = None) -> int:
        """Recompute the stored next action of these leads (all when None) from their
        touches, inside the caller's transaction; returns how many it wrote."""
        where, params = ("", ()) if lead_ids is None else (" WHERE id = ANY(%s)", (list(lead_ids),))
        leads = [
            lead_from_row(r)
            for r in conn.execute(f"SELECT {LEAD_COLUMNS} FROM leads{where}", params)
        ]
        touches: dict[str, list[Touch]] = {lead.id: [] for lead in leads}
        touch_where = "" if lead_ids is None else " WHERE lead_id = ANY(%s)"
        for row in conn.execute(
            f"SELECT {TOUCH_COLUMNS} FROM touches{touch_where} ORDER BY at, seq", params
        ):
            if row[1] in touches:
                touches[row[1]].append(touch_from_row(row))
        for lead in leads:
            self._store_next(conn, lead, touches[lead.id])
        return len(leads)

    def restore_next_actions(self) -> int:
        """Recompute every lead's stored next action (doctor --repair)."""
        return self._write(("restore", new_id()), self.restore_next_actions_in, lambda n: n,
                           lambda _c, n: int(n))  # fmt: skip

    def dump_rows(self) -> PoolRows:
        """The whole pool as plain rows (db copy)."""
        from leadtui.store.postgres import transfer

        return self._query(transfer.dump)

    def load_rows(self, rows: PoolRows) -> None:
        """Insert the rows this pool lacks, in one transaction (db copy)."""
        from leadtui.store.postgres import transfer

        self._write(("load", new_id()), lambda conn: transfer.load(self, conn, rows),
                    lambda n: n, lambda _c, n: int(n))  # fmt: skip

    # --- claims -------------------------------------------------------------------

    def claim(self, lead_id: str, rep: str, session: str, now: datetime, ttl_seconds: int) -> Claim:
        now = utc(now, "current time")
        expires = now + timedelta(seconds=ttl_seconds)

        def run(conn: Any) -> Claim:
            self._lead(conn, lead_id, lock=True)  # claims of one lead take turns
            conn.execute("DELETE FROM claims WHERE expires_at <= %s AND session <> %s",
                         (now, session))  # fmt: skip
            conn.execute(
                "INSERT INTO claims (session, lead_id, rep, since, expires_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (session) DO UPDATE SET "
                "since = CASE WHEN claims.lead_id = EXCLUDED.lead_id "
                "AND claims.expires_at > %s THEN claims.since ELSE EXCLUDED.since END, "
                "lead_id = EXCLUDED.lead_id, rep = EXCLUDED.rep, expires_at = EXCLUDED.expires_at",
                (session, lead_id, rep, now, expires, now),
            )
            return Claim(lead_id=lead_id, rep=rep, session=session, expires_at=expires)

        return self._write(
            ("claim", lead_id, rep, session, now, ttl_seconds), run, lambda _c: None,
            lambda _conn, _stored: Claim(lead_id, rep, session, expires),
        )  # fmt: skip

    def take_next(
        self, rep: str, session: str, now: datetime, ttl_seconds: int, window: CallingWindow
    ) -> Claim | None:
        now = utc(now, "current time")
        expires = now + timedelta(seconds=ttl_seconds)

        def run(conn: Any) -> Claim | None:
            # Candidates in rank order (no lock), then lock the first free one: a row
            # another rep is taking right now is skipped, not waited for, and a row with an
            # unexpired claim of another session is re-checked under the lock.
            free = (  # this session's own lead is not free either: it moves on
                "NOT EXISTS (SELECT 1 FROM claims c WHERE c.lead_id = l.id "
                "AND c.expires_at > %s)"
            )
            rows = conn.execute(
                "SELECT id, timezone, next_asked FROM leads l WHERE next_due IS NOT NULL "
                f"AND next_due <= %s AND {free} ORDER BY rank_group, rank_key LIMIT 500",
                (now, now),
            ).fetchall()
            for lead_id, tz, asked in rows:
                if not (asked or is_open(window, tz, now)):
                    continue
                still = f"id = %s AND next_due IS NOT NULL AND next_due <= %s AND {free}"
                locked = conn.execute(
                    f"SELECT id FROM leads l WHERE {still} FOR UPDATE SKIP LOCKED",
                    (lead_id, now, now),
                ).fetchone()
                if locked is None:
                    continue
                # The lock may come after the statement's snapshot: a rep who claimed or
                # closed the lead and committed in between is seen by a new statement.
                if conn.execute(f"SELECT 1 FROM leads l WHERE {still}",
                                (lead_id, now, now)).fetchone() is None:  # fmt: skip
                    continue
                conn.execute("DELETE FROM claims WHERE session = %s", (session,))
                conn.execute(
                    "INSERT INTO claims (session, lead_id, rep, since, expires_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (session, lead_id, rep, now, expires),
                )
                return Claim(lead_id, rep, session, expires)
            return None

        def encode(claim: Claim | None) -> Any:
            return claim.lead_id if claim else None

        return self._write(
            ("take", rep, session, now, ttl_seconds), run, encode,
            lambda _c, lead_id: Claim(lead_id, rep, session, expires) if lead_id else None,
            remember=False,
        )  # fmt: skip

    def release(self, session: str) -> None:
        self._write(
            ("release", session, new_id()),
            lambda conn: conn.execute("DELETE FROM claims WHERE session = %s", (session,)) and None,
            lambda _r: None,
            lambda _conn, _stored: None,
        )

    def claims(self, now: datetime) -> dict[str, Claim]:
        now = utc(now, "current time")

        def run(conn: Any) -> dict[str, Claim]:
            rows = conn.execute(
                "SELECT lead_id, rep, session, expires_at FROM claims WHERE expires_at > %s "
                "ORDER BY since, seq",
                (now,),
            )
            result: dict[str, Claim] = {}
            for lead_id, rep, session, expires in rows:
                if lead_id not in result:
                    result[lead_id] = Claim(lead_id, rep, session, utc(expires))
            return result

        return self._query(run)

    # --- blitz sessions -----------------------------------------------------------

    def save_blitz(self, record: Mapping[str, Any]) -> None:
        blitz_id = record.get("id")
        if not isinstance(blitz_id, str) or not blitz_id:
            raise ValueError("a blitz record needs a string 'id'")
        try:
            text = json.dumps(dict(record), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a blitz record must be plain JSON data: {exc}") from exc
        self._write(
            ("blitz", blitz_id, text),
            lambda conn: conn.execute(
                "INSERT INTO blitzes (id, record) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record",
                (blitz_id, text),
            ) and None,
            lambda _r: None,
            lambda _conn, _stored: None,
        )  # fmt: skip

    def blitzes(self) -> list[dict[str, Any]]:
        return self._query(
            lambda conn: [
                json.loads(row[0]) if isinstance(row[0], str) else row[0]
                for row in conn.execute("SELECT record::text FROM blitzes ORDER BY seq")
            ]
        )

    # --- life cycle ---------------------------------------------------------------

    def close(self) -> None:
        self._listener.close()
        self._pool.close()

    def __enter__(self) -> PgLeadStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _configure(conn: Any) -> None:
    conn.execute("SET TimeZone TO 'UTC'")
    conn.commit()


def _psycopg() -> Any:
    import psycopg

    return psycopg


def _pool_errors() -> tuple[type[BaseException], ...]:
    import psycopg_pool

    return (psycopg_pool.PoolTimeout,)
