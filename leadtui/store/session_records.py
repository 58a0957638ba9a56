"""Claims and blitz records in the lead store: `SessionRecords`, which leads a rep's session
holds (with their expiry) and the saved blitz sessions.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from leadtui.domain.window import CallingWindow
from leadtui.store.index import (
    BLITZES,
    CLAIMS,
    iso,
    parse_time,
    utc,
)
from leadtui.store.lead_reads import LeadReads
from leadtui.store.protocol import Claim


class SessionRecords(LeadReads):
    """Claims and blitz records (repository.py's `TinyLeadStore` adds the lead writes)."""

    # --- claims -----------------------------------------------------------------------

    def claim(self, lead_id: str, rep: str, session: str, now: datetime, ttl_seconds: int) -> Claim:
        now = utc(now, "current time")
        expires = now + timedelta(seconds=ttl_seconds)
        table = self._db.table(CLAIMS)
        with self._storage.transaction():
            self._lead(lead_id)
            holder = self._holder(lead_id, session, now)
            if holder is not None:  # another rep has it open: first come, first served
                claims = self._index.claims.items()
                keys = [int(k) for k, d in claims if d.get("session") == session]
                if keys:
                    table.remove(doc_ids=keys)
                return holder
            mine: int | None = None
            since = iso(now)
            for key, doc in list(self._index.claims.items()):
                ours = doc.get("session") == session and doc.get("lead_id") == lead_id
                if ours and mine is None:
                    mine, since = int(key), doc.get("since", since)
                elif doc.get("session") == session or _expired(doc, now):
                    table.remove(doc_ids=[int(key)])
            doc = {
                "lead_id": lead_id,
                "rep": rep,
                "session": session,
                "since": since,
                "expires_at": iso(expires),
            }
            if mine is None:
                table.insert(doc)
            else:
                table.update(doc, doc_ids=[mine])
        return Claim(lead_id=lead_id, rep=rep, session=session, expires_at=expires)

    def _holder(self, lead_id: str, session: str, now: datetime) -> Claim | None:
        """Another session's unexpired claim on the lead (the earliest), inside a transaction."""
        held = sorted(
            (
                (doc.get("since", ""), int(key), doc)
                for key, doc in self._index.claims.items()
                if doc.get("lead_id") == lead_id and doc.get("session") != session
                and not _expired(doc, now)
            ),
            key=lambda item: item[:2],
        )  # fmt: skip
        if not held:
            return None
        doc = held[0][2]
        return Claim(lead_id, doc.get("rep", ""), doc.get("session", ""),
                     parse_time(doc["expires_at"]))  # fmt: skip

    def take_next(
        self, rep: str, session: str, now: datetime, ttl_seconds: int, window: CallingWindow
    ) -> Claim | None:
        with self._storage.transaction():  # the cross-process lock makes pick + claim atomic
            held = set(self.claims(now))  # this session's own lead too: it moves on
            for lead in self.queue_head(now, len(held) + 1, window):
                if lead.id not in held:
                    return self.claim(lead.id, rep, session, now, ttl_seconds)
        return None

    def release(self, session: str) -> None:
        with self._storage.transaction():
            keys = [int(k) for k, d in self._index.claims.items() if d.get("session") == session]
            if keys:
                self._db.table(CLAIMS).remove(doc_ids=keys)

    def claims(self, now: datetime) -> dict[str, Claim]:
        now = utc(now, "current time")

        def answer() -> dict[str, Claim]:
            ordered = sorted(
                self._index.claims.items(), key=lambda kv: (kv[1].get("since", ""), int(kv[0]))
            )
            result: dict[str, Claim] = {}
            for _, doc in ordered:
                if _expired(doc, now) or doc["lead_id"] in result:
                    continue
                result[doc["lead_id"]] = Claim(
                    lead_id=doc["lead_id"],
                    rep=doc.get("rep", ""),
                    session=doc.get("session", ""),
                    expires_at=parse_time(doc["expires_at"]),
                )
            return result

        return self._read(answer)

    # --- blitz sessions ---------------------------------------------------------------

    def save_blitz(self, record: Mapping[str, Any]) -> None:
        blitz_id = record.get("id")
        if not isinstance(blitz_id, str) or not blitz_id:
            raise ValueError("a blitz record needs a string 'id'")
        table = self._db.table(BLITZES)
        try:
            with self._storage.transaction():
                key = self._index.blitzes.get(blitz_id)
                if key is None:
                    table.insert(dict(record))
                else:
                    self._storage.put(BLITZES, int(key), dict(record))
        except TypeError as exc:
            raise ValueError(f"a blitz record must be plain JSON data: {exc}") from exc

    def blitzes(self) -> list[dict[str, Any]]:
        def answer() -> list[dict[str, Any]]:
            table = self._storage.table(BLITZES)
            return [copy.deepcopy(table[key]) for key in sorted(table, key=int)]

        return self._read(answer)


def _expired(doc: Mapping[str, Any], now: datetime) -> bool:
    try:
        return parse_time(doc["expires_at"]) <= now
    except (KeyError, TypeError, ValueError):
        return True
