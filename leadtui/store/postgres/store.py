"""`PgLeadStore`: the LeadStore on a PostgreSQL server, for a team sharing one pool.

Every write is one transaction with client-generated ids and a write id recorded in
`applied_writes`: a retry after a lost connection finds its own earlier commit instead of
writing twice, and a write that never committed is simply made again. The domain decides
(check_touch, derive_status, the dedupe and dnc rules, note cleaning) exactly as for the
TinyDB store; this module only stores. Other processes' writes arrive by LISTEN/NOTIFY.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from types import MappingProxyType
from typing import Any

from leadtui.domain.cadence import check_touch, derive_status, evaluate
from leadtui.domain.figures import LeadFigures
from leadtui.domain.inquiry import apply_inquiry, new_lead
from leadtui.domain.model import Lead, LeadDraft, LeadError, LeadStatus, Outcome, Touch
from leadtui.domain.queue import Queued, may_call_due
from leadtui.domain.report_sums import FactGroup
from leadtui.domain.times import check_clock, check_received
from leadtui.domain.window import CallingWindow
from leadtui.store.copy import PoolRows
from leadtui.store.index import email_key, utc
from leadtui.store.postgres import figures as pg_figures
from leadtui.store.postgres.base import _psycopg
from leadtui.store.postgres.claims import PgClaims
from leadtui.store.postgres.queue import PgQueue
from leadtui.store.postgres.rows import (
    LEAD_COLUMNS,
    LEAD_WRITE,
    N_LEAD,
    NEXT_WRITE,
    TOUCH_COLUMNS,
    lead_from_row,
    lead_values,
    next_columns,
    touch_from_json,
    touch_from_row,
    touch_to_json,
)
from leadtui.store.protocol import AddCounts, AddResult, LeadNotFound
from leadtui.store.repository import _clean_note, _touch_time, new_id, not_last_message

_PLACES = ", ".join(["%s"] * len(LEAD_WRITE.split(",")))
_ADD_LOCK = 7413202  # advisory lock: one add_leads at a time (dedupe by phone/email)


class PgLeadStore(PgQueue, PgClaims):
    """LeadStore implementation over a connection pool. Thread-safe; many processes and
    hosts may share one database."""

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

        self._listener.changed()  # one round trip: has anyone written since the cache?
        self._catch_up()
        version = self._version
        if self._by_lead is None or self._by_lead[0] != version:
            self._by_lead = (version, self._query(run))
        return self._by_lead[1]

    def due_queue(
        self, now: datetime, window: CallingWindow, limit: int | None = None
    ) -> list[Queued]:
        """Every active lead with a next action under `window`, earliest due first (the
        protocol's due index). Replayed here from the touches with domain.cadence.assess,
        so it is never stale; `queue_head` is the indexed path for the first screen."""
        utc(now, "current time")
        active = self.active_leads()
        touches = self.touches_of(lead.id for lead in active)
        found: list[Queued] = []
        for lead in active:
            assessment = evaluate(lead, touches.get(lead.id, ()), self._cadence, window)
            if assessment.action is not None:
                found.append(Queued(lead, assessment.action, assessment.calls))
        found.sort(key=lambda q: q.action.due_at)
        return found if limit is None else found[:limit]

    def leads_with_touches(self) -> Iterator[tuple[Lead, list[Touch]]]:
        """Every lead with its touches, oldest first, read in pages of 2,000 leads (the
        report streams from here: memory follows a page, not the pool)."""
        after = -1
        while True:
            sql = f"SELECT seq, {LEAD_COLUMNS} FROM leads WHERE seq > %s ORDER BY seq LIMIT 2000"
            page = self._query(partial(_fetch_all, sql=sql, params=(after,)))
            if not page:
                return
            after = page[-1][0]
            leads = [lead_from_row(row[1:]) for row in page]
            touches = self.touches_of(lead.id for lead in leads)
            for lead in leads:
                yield lead, touches.get(lead.id, [])

    def report_figures(self) -> Iterator[LeadFigures]:
        return pg_figures.report_figures(self)

    def report_groups(self, since: datetime | None) -> Iterator[LeadFigures | FactGroup]:
        """`report_figures`, most leads added up by the server (see store/postgres/figures)."""
        return pg_figures.report_groups(self, since)

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

    def queue_head(self, now: datetime, limit: int, window: CallingWindow) -> list[Lead]:
        """The leads due now, in rank order from the stored next action, at most `limit`
        that may be called now (domain.queue.may_call_due): one indexed query per page, whatever
        the size of the pool."""
        now = utc(now, "current time")
        open_now: dict[tuple[str, ...], bool] = {}

        def run(conn: Any) -> list[Lead]:
            found: list[Lead] = []
            after: tuple[Any, ...] = (-1, float("-inf"), -1)
            page = max(limit * 2, 50)
            while len(found) < limit:
                rows = conn.execute(
                    f"SELECT {LEAD_COLUMNS}, next_asked, next_late, rank_group, rank_key, seq "
                    "FROM leads WHERE next_due IS NOT NULL AND next_due <= %s "
                    "AND (rank_group, rank_key, seq) > (%s, %s, %s) "
                    "ORDER BY rank_group, rank_key, seq LIMIT %s",
                    (now, *after, page),
                ).fetchall()
                for row in rows:
                    lead = lead_from_row(row)
                    if may_call_due(lead, row[N_LEAD], row[N_LEAD + 1], now, window, open_now):
                        found.append(lead)
                if len(rows) < page:
                    break
                after = tuple(rows[-1][N_LEAD + 2 :])
            return found[:limit]

        return self._query(run)

    # --- writing ------------------------------------------------------------------

    def _store_next(self, conn: Any, lead: Lead, touches: Sequence[Touch]) -> None:
        conn.execute(
            f"UPDATE leads SET status = %s, ({NEXT_WRITE}) = (%s, %s, %s, %s, %s, %s, %s), "
            "changed_at = now() WHERE id = %s",
            (lead.status.value, *next_columns(lead, touches, self._cadence, self._window), lead.id),
        )
        pg_figures.keep(conn, lead, touches)  # the report's figures (postgres/figures.py)

    def _existing(self, conn: Any, draft: LeadDraft) -> str | None:
        """The lead with the draft's number (or one of its other numbers) or email, any
        number of a lead counting: the earliest stored lead, as in the TinyDB index."""
        for phone in (draft.phone, *draft.other_phones):
            row = conn.execute(
                "SELECT id FROM leads WHERE phone = %s OR other_phones @> ARRAY[%s] "
                "ORDER BY seq LIMIT 1",
                (phone, phone),
            ).fetchone()
            if row is not None:
                return str(row[0])
        key = email_key(draft.email)
        if key:
            row = conn.execute(
                "SELECT id FROM leads WHERE email_key = %s OR other_email_keys @> ARRAY[%s] "
                "ORDER BY seq LIMIT 1",
                (key, key),
            ).fetchone()
            if row is not None:
                return str(row[0])
        return None

    def _add_one(
        self, conn: Any, draft: LeadDraft, lead_id: str, listed: _Listed, now: datetime
    ) -> AddResult:
        """One draft inside an add transaction: a known inquiry key answers as before; a
        match by number or email is a repeat inquiry (domain.inquiry); else a new lead."""
        key = draft.inquiry_key
        known = key and conn.execute(
            "SELECT lead_id, answer FROM inquiry_keys WHERE key = %s", (key,)
        ).fetchone()
        if known:  # this inquiry was added before: nothing is written again
            return AddResult(
                self._lead(conn, known[0]), created=known[1] == "created",
                reopened=known[1] == "reopened", replayed=True,
            )  # fmt: skip
        existing = self._existing(conn, draft)
        if existing is not None:
            touches = self._touches(conn, existing)
            before = self._lead(conn, existing, lock=True)
            after = apply_inquiry(before, touches, draft, dnc=listed, now=now)
            conn.execute(
                f"UPDATE leads SET ({LEAD_WRITE}) = ({_PLACES}), changed_at = now() WHERE id = %s",
                (*lead_values(after.lead), existing),
            )
            self._store_next(conn, after.lead, touches)
            if key:
                _record_key(conn, key, existing, "reopened" if after.reopened else "repeat")
            return AddResult(after.lead, created=False, reopened=after.reopened)
        lead = new_lead(lead_id, draft, listed=draft.phone in listed)
        while _insert_returning(
            conn, f"INSERT INTO leads ({LEAD_WRITE}) VALUES ({_PLACES})", lead_values(lead)
        ) is None:  # fmt: skip
            lead = replace(lead, id=new_id())  # 40-bit ids do meet in a big pool
        self._store_next(conn, lead, ())
        if key:
            _record_key(conn, key, lead.id, "created")
        return AddResult(lead, created=True)

    def add_leads(self, drafts: Sequence[LeadDraft], now: datetime) -> list[AddResult]:
        check_clock(now, "current time")
        drafts = list(drafts)
        for draft in drafts:
            check_received(draft.received_at, now)
        ids = [new_id() for _ in drafts]

        def run(conn: Any) -> list[AddResult]:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADD_LOCK,))
            listed = _Listed(conn)
            return [
                self._add_one(conn, draft, lead_id, listed, now)
                for draft, lead_id in zip(drafts, ids, strict=True)
            ]

        def encode(results: list[AddResult]) -> Any:
            return [[r.lead.id, r.created, r.reopened, r.replayed] for r in results]

        def decode(conn: Any, stored: Any) -> list[AddResult]:
            return [
                AddResult(self._lead(conn, i), created=c, reopened=r, replayed=p)
                for i, c, r, p in stored
            ]

        key = ("add", tuple(drafts), now)
        return self._write(key, run, encode, decode) if drafts else []

    def add_leads_streamed(
        self, drafts: Iterable[LeadDraft], now: datetime, *, dry_run: bool = False
    ) -> AddCounts:
        """Every draft in ONE transaction, consumed as they come (never all in memory):
        all or nothing. `dry_run`: the same work, rolled back. Not retried after a lost
        connection (the drafts cannot be read twice): StoreError, nothing written."""
        psycopg = _psycopg()
        check_clock(now, "current time")
        created = duplicates = reopened = 0
        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADD_LOCK,))
                listed = _Listed(conn)
                for draft in drafts:
                    check_received(draft.received_at, now)
                    result = self._add_one(conn, draft, new_id(), listed, now)
                    created += result.created
                    duplicates += not result.created
                    reopened += result.reopened and not result.replayed
                if dry_run:
                    raise psycopg.Rollback()
        except psycopg.Error as exc:
            raise self._error(exc) from None
        if not dry_run and (created or duplicates):
            self._listener.notify()
            with self._lock:
                self._version += 1
        return AddCounts(created, duplicates, reopened)

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
        dialed_at: datetime | None = None,
    ) -> Touch:
        outcome = Outcome(outcome)
        note = _clean_note(note)
        at = _touch_time(at)
        asked = check_clock(when, "time asked for") if when is not None else None
        dialed = check_clock(dialed_at, "dial time") if dialed_at is not None else None
        key = ("log", lead_id, outcome, at, note, asked, rep, override_window, blitz_id, dialed)
        touch = Touch(
            id=new_id(), lead_id=lead_id, outcome=outcome, at=at, note=note, when=asked,
            rep=rep, override_window=override_window, blitz_id=blitz_id, dialed_at=dialed,
        )  # fmt: skip

        def read(conn: Any) -> tuple[Any, Any]:
            return self._lead_for_write(conn, lead_id, touch.id)

        def run(conn: Any, cursors: tuple[Any, Any]) -> Touch:
            lead, listed, taken, touches = _lead_read(cursors, lead_id)
            check_touch(lead, outcome, when)
            new = replace(touch, id=_free_touch_id(conn)) if taken else touch
            conn.execute(
                "INSERT INTO touches (id, lead_id, outcome, at, note, asked_for, rep, "
                "override_window, blitz_id, dialed_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (new.id, lead_id, outcome.value, at, note, asked, rep, override_window,
                 blitz_id, dialed),
            )  # fmt: skip
            if outcome is Outcome.DNC:
                conn.execute(
                    "INSERT INTO dnc (phone, lead_id, touch_id, at) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (phone) DO NOTHING",
                    (lead.phone, lead_id, new.id, at),
                )
            # The new touch has the highest seq: it goes after every touch at or before it.
            touches.insert(bisect_right([t.at for t in touches], at), new)
            self._store_status(conn, lead, touches, listed=listed or outcome is Outcome.DNC)
            return new

        return self._write_piped(
            key, read, run, touch_to_json, lambda _conn, doc: touch_from_json(doc)
        )

    def _lead_for_write(self, conn: Any, lead_id: str, touch_id: str = "") -> tuple[Any, Any]:
        """Send (not wait for) the reads a touch write needs, under the lead's row lock:
        the lead, whether its number is on the do-not-call list, whether `touch_id` is
        taken, and its touches in order (read after the lock: a new snapshot)."""
        lead = conn.execute(
            f"SELECT {LEAD_COLUMNS}, EXISTS (SELECT 1 FROM dnc WHERE dnc.phone = leads.phone), "
            "EXISTS (SELECT 1 FROM touches WHERE id = %s) FROM leads WHERE id = %s FOR UPDATE",
            (touch_id, lead_id),
        )
        touches = conn.execute(
            f"SELECT {TOUCH_COLUMNS} FROM touches WHERE lead_id = %s ORDER BY at, seq",
            (lead_id,),
        )
        return lead, touches

    def _store_status(
        self, conn: Any, lead: Lead, touches: Sequence[Touch], *, listed: bool
    ) -> Lead:
        """Store the status derived from the touches (dnc sticks while the number is
        listed) with the next action; the UPDATE is sent without waiting for it."""
        base = replace(lead, status=LeadStatus.DNC if listed else LeadStatus.NEW)
        status = LeadStatus.DNC if listed else derive_status(base, touches, self._cadence)
        updated = replace(lead, status=status)
        self._store_next(conn, updated, touches)
        return updated

    def _remove_last(self, conn: Any, found: _Found) -> Touch | None:
        """Remove the lead's last touch (inside a pipelined write; `found` is what
        `_lead_for_write` read) and restore the lead's status and next action; None when
        the lead has no touch."""
        lead, listed, _taken, touches = found
        touches = list(touches)
        if not touches:
            return None
        touch = touches.pop()
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
            listed = keeper is not None
        self._store_status(conn, lead, touches, listed=listed)
        return touch

    def undo_last_touch(self, lead_id: str) -> Touch | None:
        """Remove the lead's last touch. Safe to call again after a failure whose outcome
        was unknown (a lost connection between the commit and its answer): the repeated
        call keeps the first call's write id and answers with what that one removed,
        instead of removing a second touch. A call after a success undoes one more."""
        return self._write_piped(
            ("undo", lead_id),
            lambda conn: self._lead_for_write(conn, lead_id),
            lambda conn, cursors: self._remove_last(conn, _lead_read(cursors, lead_id)),
            lambda t: touch_to_json(t) if t else None,
            lambda _conn, doc: touch_from_json(doc) if doc else None,
            remember=False,
        )

    def undo_touch(self, lead_id: str, touch_id: str) -> Touch:
        def run(conn: Any, cursors: tuple[Any, Any]) -> Touch:
            found = _lead_read(cursors, lead_id)
            touches = found[3]
            if not touches or touches[-1].id != touch_id:
                raise LeadError(not_last_message(touch_id, touches))
            removed = self._remove_last(conn, found)
            assert removed is not None
            return removed

        return self._write_piped(
            ("undo-touch", lead_id, touch_id), lambda conn: self._lead_for_write(conn, lead_id),
            run, touch_to_json, lambda _conn, doc: touch_from_json(doc), remember=False,
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
        done: int = self._write(("restore", new_id()), self.restore_next_actions_in,
                                lambda n: n, lambda _c, n: int(n))  # fmt: skip
        return done

    def dump_rows(self) -> PoolRows:
        """The whole pool as plain rows (db copy)."""
        from leadtui.store.postgres import transfer

        return self._query(transfer.dump)

    def load_rows(self, rows: PoolRows) -> None:
        """Insert the rows this pool lacks, in one transaction (db copy)."""
        from leadtui.store.postgres import transfer

        self._write(("load", new_id()), lambda conn: transfer.load(self, conn, rows),
                    lambda n: n, lambda _c, n: int(n))  # fmt: skip


class _Listed:
    """The do-not-call list as a container (`phone in listed`), read in the transaction."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __contains__(self, phone: object) -> bool:
        row = self._conn.execute("SELECT 1 FROM dnc WHERE phone = %s", (phone,)).fetchone()
        return row is not None


def _insert_returning(conn: Any, insert: str, values: Sequence[Any]) -> str | None:
    """Run an INSERT of a row with a client-made id; None when that id is taken."""
    row = conn.execute(f"{insert} ON CONFLICT (id) DO NOTHING RETURNING id", values).fetchone()
    return None if row is None else str(row[0])


_Found = tuple[Lead, bool, bool, list[Touch]]  # lead, listed, touch id taken, touches


def _lead_read(cursors: tuple[Any, Any], lead_id: str) -> _Found:
    """The answers to `_lead_for_write`: (lead, listed, touch id taken, touches)."""
    lead_cursor, touch_cursor = cursors
    row = lead_cursor.fetchone()
    touches = [touch_from_row(t) for t in touch_cursor.fetchall()]
    if row is None:
        raise LeadNotFound(lead_id)
    return lead_from_row(row), bool(row[N_LEAD]), bool(row[N_LEAD + 1]), touches


def _free_touch_id(conn: Any) -> str:
    """A touch id no touch has yet (40-bit random ids do meet in a big pool)."""
    while True:
        touch_id = new_id()
        if conn.execute("SELECT 1 FROM touches WHERE id = %s", (touch_id,)).fetchone() is None:
            return touch_id


def _record_key(conn: Any, key: str, lead_id: str, answer: str) -> None:
    """Remember an inquiry key with what its first arrival did (created/repeat/reopened)."""
    conn.execute(
        "INSERT INTO inquiry_keys (key, lead_id, answer) VALUES (%s, %s, %s) "
        "ON CONFLICT (key) DO NOTHING",
        (key, lead_id, answer),
    )


def _fetch_all(conn: Any, *, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return list(conn.execute(sql, params).fetchall())
