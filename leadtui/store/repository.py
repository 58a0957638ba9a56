"""`TinyLeadStore`: the LeadStore on TinyDB (journal storage + O(change) tables).

Every write method runs in one storage transaction: cross-process lock, catch up with
other processes, decide from the up-to-date indexes, change the documents through TinyDB
tables, one fsynced journal record. Reads first make a cheap "did anyone write?" check
and then answer from memory. The domain decides (check_touch, derive_status); this module
only stores.
"""

from __future__ import annotations

import base64
import copy
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from leadtui.domain.cadence import Cadence, assess, check_touch, derive_status
from leadtui.domain.inquiry import apply_inquiry, new_lead
from leadtui.domain.intake import MAX_NOTES
from leadtui.domain.model import (
    ACTIVE_STATUSES,
    Lead,
    LeadDraft,
    LeadError,
    LeadStatus,
    NextAction,
    Outcome,
    Touch,
)
from leadtui.domain.queue import Queued, rank
from leadtui.domain.text import clean_text
from leadtui.domain.times import EARLIEST, TimeRangeError, check_clock, check_received
from leadtui.domain.window import CallingWindow
from leadtui.store import next_cache
from leadtui.store.archive import (
    EMAILS,
    LEAD_IDS,
    PHONES,
    TOUCH_IDS,
    LeadArchiver,
    lead_needles,
    value_needle,
)
from leadtui.store.files import Tree, damaged, paused_gc, too_new
from leadtui.store.index import (
    BLITZES,
    CLAIMS,
    DNC,
    LEADS,
    META,
    TOUCHES,
    Index,
    email_key,
    iso,
    lead_doc,
    lead_from_doc,
    parse_time,
    time_key,
    touch_doc,
    touch_from_doc,
    utc,
)
from leadtui.store.protocol import AddCounts, AddResult, Claim, LeadNotFound, StoreError
from leadtui.store.schema import SCHEMA, initial_tree
from leadtui.store.storage import JournalStorage, Transaction
from leadtui.store.tables import LeadDB

__all__ = ["SCHEMA", "TinyLeadStore", "doctor", "new_id", "open_store"]

T = TypeVar("T")
_ACTIVE = frozenset(status.value for status in ACTIVE_STATUSES)


def new_id() -> str:
    """8 random lowercase base32 characters."""
    return base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()


def open_store(
    path: Path,
    *,
    cadence: Cadence,
    compact_bytes: int | None = None,
    clock: Callable[[], datetime] | None = None,
    window: CallingWindow | None = None,
) -> TinyLeadStore:
    """Open (or create) the database at `path`. StoreError names the file on any problem;
    an existing file is never changed by opening it. `clock` (default: the system's) says
    when closed leads have been idle long enough for the archive (see store/archive.py).
    `window` (default: the default calling window) is the one each write computes the
    lead's next action for (see store/next_cache.py); reads may ask for any window."""
    storage = JournalStorage(
        path, initial=initial_tree, compact_bytes=compact_bytes, archiver=LeadArchiver(clock)
    )
    try:
        return TinyLeadStore(storage, cadence, window)
    except BaseException:
        storage.close()
        raise


class TinyLeadStore:
    """LeadStore implementation. Thread-safe; several processes may share one database."""

    def __init__(
        self, storage: JournalStorage, cadence: Cadence, window: CallingWindow | None = None
    ) -> None:
        self._storage = storage
        self.path = storage.path
        self._cadence = cadence
        self._window = window or CallingWindow()
        # lead id -> ((index epoch, lead revision, settings part), status, next action,
        # calls): what due_queue found, reused while none of those changed
        self._assessed: dict[str, tuple[Any, LeadStatus, NextAction | None, int]] = {}
        self._db = LeadDB(storage)
        self._check_schema()
        self._index = Index(self.path)
        storage.add_listener(self._index)
        self._by_lead: tuple[int, Mapping[str, Sequence[Touch]]] | None = None

    def _check_schema(self) -> None:
        meta = self._storage.table(META).get("1")
        schema = meta.get("schema") if isinstance(meta, dict) else None
        if type(schema) is not int:
            raise damaged(self.path, "unexpected content: no schema version")
        if schema > SCHEMA:
            raise too_new(self.path, "schema", schema, SCHEMA)

    def _read(self, answer: Callable[[], T]) -> T:
        with self._storage.thread_lock:
            self._storage.refresh()
            return answer()

    def _lead(self, lead_id: str) -> Lead:
        lead = self._index.lead(lead_id)
        if lead is None and self._storage.archive_holds(LEAD_IDS, lead_id):
            self._from_archive(lead_id)
            lead = self._index.lead(lead_id)
        if lead is None:
            raise LeadNotFound(lead_id)
        return lead

    def _from_archive(self, lead_id: str) -> None:
        """Bring one archived lead and its touches into memory: the segments that hold
        them, not the whole archive (the whole archive when they cannot be told)."""
        storage = self._storage
        storage.load_holding(lead_needles(lead_id))
        if self._index.lead(lead_id) is None and storage.archive_holds(LEAD_IDS, lead_id):
            storage.load_archive()

    def _everything(self) -> None:
        """Bring the archive into memory (for answers about every lead)."""
        self._storage.load_archive()

    # --- reading ----------------------------------------------------------------------

    def leads(self) -> list[Lead]:
        index = self._index

        def answer() -> list[Lead]:
            self._everything()
            with paused_gc():
                return [index.lead(lead_id) for lead_id in index.leads]  # type: ignore[misc]

        return self._read(answer)

    def active_leads(self) -> list[Lead]:
        index = self._index

        def answer() -> list[Lead]:
            with paused_gc():  # the status is read off the document: closed leads cost nothing
                return [
                    index.lead(lead_id)  # type: ignore[misc]
                    for lead_id, (_, doc) in index.leads.items()
                    if doc.get("status", "new") in _ACTIVE
                ]

        return self._read(answer)

    def get_lead(self, lead_id: str) -> Lead:
        return self._read(lambda: self._lead(lead_id))

    def touches(self, lead_id: str) -> list[Touch]:
        def answer() -> list[Touch]:
            self._lead(lead_id)
            return self._index.touches(lead_id)

        return self._read(answer)

    def touches_of(self, lead_ids: Iterable[str]) -> Mapping[str, list[Touch]]:
        index = self._index

        def answer() -> Mapping[str, list[Touch]]:
            wanted = list(lead_ids)
            for lead_id in wanted:
                if lead_id not in index.leads and self._storage.archive_holds(LEAD_IDS, lead_id):
                    self._from_archive(lead_id)
            return index.touches_view(wanted)

        return self._read(answer)

    def leads_with_touches(self) -> Iterator[tuple[Lead, list[Touch]]]:
        index = self._index

        def answer() -> tuple[list[tuple[Lead, list[Touch]]], Iterator[Tree], set[str]]:
            with paused_gc():
                working = [(index.lead(i), index.touches(i)) for i in index.leads]
            return working, self._storage.archive_segments(), set(index.leads)  # type: ignore[return-value]

        working, segments, known = self._read(answer)
        yield from working
        del working
        for segment in segments:
            yield from _segment_leads(self.path, segment, known)

    def touches_by_lead(self) -> Mapping[str, Sequence[Touch]]:
        def answer() -> Mapping[str, Sequence[Touch]]:
            self._everything()
            version = self._storage.version
            if self._by_lead is None or self._by_lead[0] != version:
                self._by_lead = (version, MappingProxyType(self._index.touches_by_lead()))
            return self._by_lead[1]

        return self._read(answer)

    def due_queue(
        self, now: datetime, window: CallingWindow, limit: int | None = None
    ) -> list[Queued]:
        """Every active lead that has a next action (for `window`), earliest due first;
        the first `limit` of them when given. The actions stored with the leads are used
        where their fingerprint matches; the others are replayed from the touches."""
        utc(now, "current time")

        def answer() -> list[Queued]:
            index, memo = self._index, self._assessed
            base = next_cache.settings_part(self._cadence, window)
            order, docs = index.touch_order, index.touch_docs
            epoch, revision = index.epoch, index.revision
            stored = self._storage.table(next_cache.NEXT)
            found: list[Queued] = []
            with paused_gc():
                for lead_id, (key, doc) in index.leads.items():
                    if doc.get("status", "new") not in _ACTIVE:
                        continue
                    seen = (epoch, revision.get(lead_id, 0), base)
                    hit = memo.get(lead_id)
                    if hit is None or hit[0] != seen:
                        keys = order.get(lead_id, ())
                        last = docs[keys[-1]]["id"] if keys else ""
                        fp = next_cache.fingerprint(base, doc, keys, last)
                        known = next_cache.decode(stored.get(key), lead_id, fp)
                        if known is None:
                            known = self._replay(lead_id, window)
                        hit = memo[lead_id] = (seen, *known)
                    if hit[2] is not None:
                        found.append(Queued(self._lead(lead_id), hit[2], hit[3]))
            found.sort(key=_due_key)
            return found if limit is None else found[:limit]

        return self._read(answer)

    def _replay(
        self, lead_id: str, window: CallingWindow
    ) -> tuple[LeadStatus, NextAction | None, int]:
        """A lead's assessment from its touches (when no stored one matches)."""
        lead = self._lead(lead_id)
        try:
            status, fields, calls = assess(
                lead, self._index.touches(lead_id), self._cadence, window
            )
        except OverflowError:  # a stored time near year 1 or 9999: left off the queue
            return lead.status, None, 0  # (doctor finds it and sets it aside)
        return status, None if fields is None else NextAction(*fields), calls

    def lead_count(self) -> int:
        def answer() -> int:
            return len(self._index.leads) + self._storage.archive_count(LEAD_IDS)

        return self._read(answer)

    def is_dnc(self, phone: str) -> bool:
        return self._read(lambda: phone in self._index.dnc)

    def changed(self) -> bool:
        return self._storage.changed()

    def version(self) -> int:
        return self._storage.version

    # --- writing ----------------------------------------------------------------------

    def add_leads(self, drafts: Sequence[LeadDraft], now: datetime) -> list[AddResult]:
        check_clock(now, "current time")
        index, table = self._index, self._db.table(LEADS)
        results: list[AddResult] = []
        with self._storage.transaction():
            for draft in drafts:
                check_received(draft.received_at, now)
                existing = self._existing(draft)  # (brings in the archive on a match)
                key = draft.inquiry_key
                known = index.by_key.get(key) if key else None
                if known is not None:
                    first = index.leads[known][1].get("keys", {}).get(key)
                    results.append(
                        AddResult(
                            self._lead(known),
                            created=first == "created",
                            reopened=first == "reopened",
                            replayed=True,
                        )
                    )
                    continue
                if existing is not None:
                    doc_key, doc = index.leads[existing]
                    before = self._lead(existing)
                    after = apply_inquiry(
                        before, index.touches(existing), draft, dnc=index.dnc, now=now
                    )
                    changes = _replacing(doc, lead_doc(after.lead))
                    if key:
                        answer = "reopened" if after.reopened else "repeat"
                        changes["keys"] = {**doc.get("keys", {}), key: answer}
                    table.update(changes, doc_ids=[int(doc_key)])
                    self._renext(self._lead(existing))
                    results.append(
                        AddResult(self._lead(existing), created=False, reopened=after.reopened)
                    )
                    continue
                lead_id = self._unused(index.leads, LEAD_IDS)
                lead = new_lead(lead_id, draft, listed=draft.phone in index.dnc)
                doc = lead_doc(lead)
                if key:
                    doc["keys"] = {key: "created"}
                doc_id = table.insert(doc)
                if lead.status.active:
                    self._storage.put(next_cache.NEXT, doc_id, self._next_doc(lead, doc, ()))
                results.append(AddResult(self._lead(lead.id), created=True))
        return results

    def add_leads_streamed(
        self, drafts: Iterable[LeadDraft], now: datetime, *, dry_run: bool = False
    ) -> AddCounts:
        from leadtui.store.bulk import add_streamed

        return add_streamed(self, drafts, now, dry_run=dry_run)

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
        with self._storage.transaction():
            lead = self._lead(lead_id)
            check_touch(lead, outcome, when)
            touch = Touch(
                id=self._unused(self._index.touch_ids, TOUCH_IDS),
                lead_id=lead_id,
                outcome=outcome,
                at=_touch_time(at),
                note=note,
                when=check_clock(when, "time asked for") if when is not None else None,
                rep=rep,
                override_window=override_window,
                blitz_id=blitz_id,
                dialed_at=utc(dialed_at, "dial time") if dialed_at is not None else None,
            )
            self._db.table(TOUCHES).insert(touch_doc(touch))
            if outcome is Outcome.DNC and lead.phone not in self._index.dnc:
                self._db.table(DNC).insert(
                    {"phone": lead.phone, "lead_id": lead_id, "touch_id": touch.id, "at": iso(at)}
                )
            self._restatus(lead)
        return touch

    def undo_last_touch(self, lead_id: str) -> Touch | None:
        index = self._index
        with self._storage.transaction():
            lead = self._lead(lead_id)
            keys = index.touch_keys(lead_id)
            if not keys:
                return None
            return self._remove_touch(lead, keys[-1])

    def undo_touch(self, lead_id: str, touch_id: str) -> Touch:
        index = self._index
        with self._storage.transaction():
            lead = self._lead(lead_id)
            keys = index.touch_keys(lead_id)
            key = index.touch_ids.get(touch_id)
            if key is None or key not in keys or key != keys[-1]:
                raise LeadError(not_last_message(touch_id, index.touches(lead_id)))
            return self._remove_touch(lead, key)

    def _remove_touch(self, lead: Lead, key: str) -> Touch:
        """Remove one touch (inside a transaction) and restore the lead's status."""
        index = self._index
        touch = index.touch(key)
        self._db.table(TOUCHES).remove(doc_ids=[int(key)])
        if touch.outcome is Outcome.DNC and lead.phone in index.dnc:
            keeper = self._dnc_touch(lead.phone)
            dnc_key = int(index.dnc[lead.phone])
            if keeper is None:
                self._db.table(DNC).remove(doc_ids=[dnc_key])
            else:
                self._db.table(DNC).update({"touch_id": keeper.id}, doc_ids=[dnc_key])
        self._restatus(lead)
        return touch

    def queue_head(self, now: datetime, limit: int, window: CallingWindow) -> list[Lead]:
        """The first `limit` leads of the ranked queue due now (computed the usual way:
        every active lead's next action, ranked)."""
        active = self.active_leads()
        entries = rank(
            active, self.touches_of(lead.id for lead in active), now, self._cadence, window,
            timedelta(0),
        )  # fmt: skip
        return [entry.lead for entry in entries[:limit]]

    def add_note(self, lead_id: str, text: str, at: datetime) -> Lead:
        stamp = utc(at, "note time").strftime("[%Y-%m-%d %H:%M UTC]")
        text = _clean_note(text)
        with self._storage.transaction():
            self._lead(lead_id)  # (from the archive if it is there)
            key, doc = self._index.leads.get(lead_id) or (None, None)
            if key is None or doc is None:
                raise LeadNotFound(lead_id)
            notes = doc.get("notes", "")
            entry = f"{stamp} {text}"
            notes = f"{notes}\n{entry}" if notes else entry
            self._db.table(LEADS).update({"notes": notes}, doc_ids=[int(key)])
            return self._lead(lead_id)

    def _restatus(self, lead: Lead) -> None:
        """Derive the status from the touches; dnc sticks while the number is listed. The
        lead's next action for the store's window goes with it (see next_cache.py)."""
        index = self._index
        listed = lead.phone in index.dnc
        touches = index.touches(lead.id)
        base = replace(lead, status=LeadStatus.DNC if listed else LeadStatus.NEW)
        status = derive_status(base, touches, self._cadence)
        if listed:
            status = LeadStatus.DNC
        self._renext(lead, status)

    def _renext(self, lead: Lead, status: LeadStatus | None = None) -> None:
        """Store the lead's `status` (default: as it is) and its next action with it (an
        active lead's; a closed lead keeps none)."""
        index, storage = self._index, self._storage
        status = lead.status if status is None else status
        key, doc = index.leads[lead.id]
        if status is not lead.status:
            doc = {**doc, "status": status.value}
            storage.put(LEADS, int(key), doc)
        stored = storage.table(next_cache.NEXT).get(key)
        if status.active:
            keys = index.touch_order.get(lead.id, ())
            fresh = self._next_doc(replace(lead, status=status), doc, keys)
            if fresh != stored:
                storage.put(next_cache.NEXT, int(key), fresh)
        elif stored is not None:
            storage.delete(next_cache.NEXT, int(key))

    def _next_doc(self, lead: Lead, doc: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
        """The `next` document of a lead (`doc`: its document as stored) whose touches
        have these document keys (see next_cache.py)."""
        index = self._index
        touches = [index.touch(key) for key in keys]
        last = touches[-1].id if touches else ""
        base = next_cache.settings_part(self._cadence, self._window)
        fp = next_cache.fingerprint(base, doc, keys, last)
        return next_cache.encode(lead.id, fp, assess(lead, touches, self._cadence, self._window))

    def _dnc_touch(self, phone: str) -> Touch | None:
        """A remaining dnc touch on the lead with this number (numbers are unique)."""
        index = self._index
        lead_id = index.by_phone.get(phone)
        for touch in reversed(index.touches(lead_id) if lead_id else []):
            if touch.outcome is Outcome.DNC:
                return touch
        return None

    def _existing(self, draft: LeadDraft) -> str | None:
        """The id of the lead with the draft's phone number (or one of its other numbers)
        or email, if there is one; any number of a lead counts, not only the one to call."""
        index, email = self._index, email_key(draft.email)
        phones = (draft.phone, *draft.other_phones)
        for attempt in range(2):
            existing = next((index.by_phone[p] for p in phones if p in index.by_phone), None)
            if existing is None and email:
                existing = index.by_email.get(email)
            if existing is not None or attempt:
                return existing
            storage = self._storage
            held = [p for p in phones if storage.archive_holds(PHONES, p)]
            if not (held or email and storage.archive_holds(EMAILS, email)):
                return None
            # the segments holding the numbers (or the address as the draft spells it);
            # the whole archive when that does not find every lead the lookups promise
            needles = [value_needle(p) for p in held]
            if draft.email:
                needles.append(value_needle(draft.email))
            storage.load_holding(needles)
            if all(p in index.by_phone for p in held):
                found = next((index.by_phone[p] for p in phones if p in index.by_phone), None)
                if found is None and email:
                    found = index.by_email.get(email)
                if found is not None:
                    self._from_archive(found)  # (its touches, if any sit in other segments)
                    return found
            storage.load_archive()
        return None

    def _unused(self, taken: Mapping[str, Any], archived: str) -> str:
        while True:
            candidate = new_id()
            if candidate not in taken and not self._storage.archive_holds(archived, candidate):
                return candidate

    # --- claims -----------------------------------------------------------------------

    def claim(self, lead_id: str, rep: str, session: str, now: datetime, ttl_seconds: int) -> Claim:
        now = utc(now, "current time")
        expires = now + timedelta(seconds=ttl_seconds)
        table = self._db.table(CLAIMS)
        with self._storage.transaction():
            self._lead(lead_id)
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

    # --- maintenance ------------------------------------------------------------------

    def batch(self) -> Transaction:
        """`with store.batch():` several writes become one durable write (one fsync)."""
        return self._storage.transaction()

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now (it also happens by itself)."""
        self._storage.compact()

    def close(self) -> None:
        self._storage.close()

    def __enter__(self) -> TinyLeadStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _replacing(old: Mapping[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new` as an update of `old`: optional fields `new` leaves out are cleared."""
    for name in ("other_phones", "other_emails", "zone_candidates"):
        if name in old and name not in new:
            new[name] = []
    if "reopened_at" in old and "reopened_at" not in new:
        new["reopened_at"] = None
    return new


def _segment_leads(
    path: Path, segment: Tree, known: set[str]
) -> Iterator[tuple[Lead, list[Touch]]]:
    """The leads of one archive segment with their touches (oldest first, as the index
    orders them), but those already in memory (`known` ids)."""
    try:
        by_lead: dict[str, list[tuple[str, int, Touch]]] = {}
        with paused_gc():
            for key, doc in segment.get(TOUCHES, {}).items():
                touch = touch_from_doc(doc)
                by_lead.setdefault(touch.lead_id, []).append((time_key(doc["at"]), int(key), touch))
            leads = [
                lead_from_doc(doc)
                for doc in segment.get(LEADS, {}).values()
                if doc.get("id") not in known
            ]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise damaged(path, "unexpected content in an archive segment") from None
    for lead in leads:
        rows = by_lead.get(lead.id, [])
        rows.sort(key=_first_two)
        yield lead, [row[2] for row in rows]


def _first_two(row: tuple[str, int, Touch]) -> tuple[str, int]:
    return row[0], row[1]


def _due_key(item: Queued) -> datetime:
    return item.action.due_at


def _clean_note(text: str) -> str:
    """A note as stored: no escape sequences, controls, bidi tricks or lone surrogates
    (every face writes notes through here); LeadError when it is too long."""
    return clean_text(text, max_length=MAX_NOTES, multiline=True, field="note")


def _touch_time(at: datetime) -> datetime:
    """A touch time in UTC, refused (TimeRangeError) outside 2000-01-01 .. 2999-12-31:
    the store has no `now` here, so the faces check the upper bound (now + a day)."""
    value = check_clock(at, "touch time")
    if value < EARLIEST:
        raise TimeRangeError(f"touch time {value.isoformat()} out of range (before 2000)")
    return value


def not_last_message(touch_id: str, touches: Sequence[Touch]) -> str:
    """Why `undo_touch` refuses (the same words on every backend); `touches` oldest first."""
    touch = next((t for t in touches if t.id == touch_id), None)
    if touch is None:
        return f"touch {touch_id} is no longer on this lead: nothing undone"
    last = touches[-1]
    by = f" by {last.rep}" if last.rep else ""
    return (
        f"{touch.outcome} is no longer the lead's last touch ({last.outcome} was "
        f"logged after it{by}): nothing undone"
    )


def _expired(doc: Mapping[str, Any], now: datetime) -> bool:
    try:
        return parse_time(doc["expires_at"]) <= now
    except (KeyError, TypeError, ValueError):
        return True


def doctor(
    path: Path,
    *,
    repair: bool = False,
    now: datetime | None = None,
    cadence: Cadence | None = None,
) -> list[str]:
    """Check the database (and restore the last good state when `repair`, setting aside
    stored times out of range); report lines."""
    from leadtui.store.doctor import run_doctor

    def opener(at: Path, with_cadence: Cadence) -> TinyLeadStore:
        return open_store(at, cadence=with_cadence)

    return run_doctor(path, repair=repair, now=now, cadence=cadence, opener=opener)


_ = StoreError  # re-exported for callers that import errors from here
