"""Claims and blitz records on PostgreSQL: which rep has which lead open, taking the
next lead without two reps ever getting the same one, and blitz session records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from leadtui.domain.queue import may_call_due
from leadtui.domain.window import CallingWindow
from leadtui.store.index import utc
from leadtui.store.postgres.base import PgBase
from leadtui.store.postgres.rows import LEAD_COLUMNS, N_LEAD, lead_from_row
from leadtui.store.protocol import Claim
from leadtui.store.repository import new_id


class PgClaims(PgBase):
    """The claims and blitz half of the PostgreSQL store."""

    # --- claims -------------------------------------------------------------------

    def claim(self, lead_id: str, rep: str, session: str, now: datetime, ttl_seconds: int) -> Claim:
        now = utc(now, "current time")
        expires = now + timedelta(seconds=ttl_seconds)

        def run(conn: Any) -> Claim:
            self._lead(conn, lead_id, lock=True)  # claims of one lead take turns
            conn.execute("DELETE FROM claims WHERE expires_at <= %s AND session <> %s",
                         (now, session))  # fmt: skip
            holder = conn.execute(
                "SELECT lead_id, rep, session, expires_at FROM claims WHERE lead_id = %s "
                "AND session <> %s AND expires_at > %s ORDER BY since, seq LIMIT 1",
                (lead_id, session, now),
            ).fetchone()
            if holder is not None:  # another rep has it open: first come, first served
                conn.execute("DELETE FROM claims WHERE session = %s", (session,))
                return Claim(holder[0], holder[1], holder[2], utc(holder[3]))
            conn.execute(
                "INSERT INTO claims (session, lead_id, rep, since, expires_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (session) DO UPDATE SET "
                "since = CASE WHEN claims.lead_id = EXCLUDED.lead_id "
                "AND claims.expires_at > %s THEN claims.since ELSE EXCLUDED.since END, "
                "lead_id = EXCLUDED.lead_id, rep = EXCLUDED.rep, expires_at = EXCLUDED.expires_at",
                (session, lead_id, rep, now, expires, now),
            )
            return Claim(lead_id=lead_id, rep=rep, session=session, expires_at=expires)

        def encode(claim: Claim) -> Any:
            return [claim.rep, claim.session, claim.expires_at.isoformat()]

        def decode(_conn: Any, stored: Any) -> Claim:
            if not isinstance(stored, list):  # written by an earlier version
                return Claim(lead_id, rep, session, expires)
            return Claim(lead_id, stored[0], stored[1], datetime.fromisoformat(stored[2]))

        return self._write(
            ("claim", lead_id, rep, session, now, ttl_seconds), run, encode, decode
        )

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
                "NOT EXISTS (SELECT 1 FROM claims c WHERE c.lead_id = l.id AND c.expires_at > %s)"
            )
            rows = conn.execute(
                f"SELECT {LEAD_COLUMNS}, next_asked, next_late FROM leads l "
                f"WHERE next_due IS NOT NULL AND next_due <= %s AND {free} "
                "ORDER BY rank_group, rank_key, seq LIMIT 500",
                (now, now),
            ).fetchall()
            open_now: dict[tuple[str, ...], bool] = {}
            for row in rows:
                lead = lead_from_row(row)
                lead_id = lead.id
                if not may_call_due(lead, row[N_LEAD], row[N_LEAD + 1], now, window, open_now):
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
