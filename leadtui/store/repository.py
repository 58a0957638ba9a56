"""`TinyLeadStore`: the LeadStore on TinyDB (journal storage + O(change) tables).

Every write method runs in one storage transaction: cross-process lock, catch up with
other processes, decide from the up-to-date indexes, change the documents through TinyDB
tables, one fsynced journal record. Reads first make a cheap "did anyone write?" check
and then answer from memory. The domain decides (check_touch, derive_status); this module
only stores. The reads are `LeadReads` (lead_reads.py), claims and blitz records
`SessionRecords` (session_records.py); this module adds the lead and touch writes and
opening the store.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from leadtui.domain.cadence import Cadence, assess, check_touch, derive_status
from leadtui.domain.inquiry import apply_inquiry, new_lead
from leadtui.domain.intake import MAX_NOTES
from leadtui.domain.model import (
    Lead,
    LeadDraft,
    LeadError,
    LeadStatus,
    Outcome,
    Touch,
)
from leadtui.domain.text import clean_text
from leadtui.domain.times import EARLIEST, TimeRangeError, check_clock, check_received
from leadtui.domain.window import CallingWindow
from leadtui.store import figures, next_cache
from leadtui.store.archive import (
    EMAILS,
    LEAD_IDS,
    PHONES,
    TOUCH_IDS,
    LeadArchiver,
    value_needle,
)
from leadtui.store.files import Tree
from leadtui.store.index import (
    DNC,
    LEADS,
    TOUCHES,
    email_key,
    iso,
    lead_doc,
    touch_doc,
    utc,
)
from leadtui.store.protocol import AddCounts, AddResult, LeadNotFound, StoreError
from leadtui.store.queue_reads import QueueReads
from leadtui.store.schema import SCHEMA, initial_tree
from leadtui.store.session_records import SessionRecords
from leadtui.store.storage import JournalStorage, Transaction

__all__ = ["SCHEMA", "TinyLeadStore", "doctor", "new_id", "open_store"]


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
        path, initial=initial_tree, compact_bytes=compact_bytes, archiver=LeadArchiver(clock),
        vouch=_vouch,
    )
    try:
        return TinyLeadStore(storage, cadence, window)
    except BaseException:
        storage.close()
        raise


def _vouch(tree: Tree) -> tuple[str, ...]:
    """The derived tables a new snapshot of `tree` vouches for: the next actions
    (next_cache.py) and the report figures (figures.py, asked first: next_cache.vouch
    clears the leads not vouched for)."""
    report = figures.vouch(tree)
    tables = tuple(name for name in next_cache.vouch(tree) if name != figures.FIGURES)
    return (*tables, figures.FIGURES) if report else tables


class TinyLeadStore(QueueReads, SessionRecords):
    """LeadStore implementation. Thread-safe; several processes may share one database."""

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
                figures.keep(self._storage, index, lead, str(doc_id), doc)
                results.append(AddResult(self._lead(lead.id), created=True))
        return results

    def add_leads_streamed(
        self, drafts: Iterable[LeadDraft], now: datetime, *, dry_run: bool = False
    ) -> AddCounts:
        from leadtui.store.bulk import add_streamed

        return add_streamed(self, drafts, now, dry_run=dry_run)

    def spool_encoder(self) -> Callable[[LeadDraft, datetime], bytes]:
        """How `add_leads_streamed` spools a draft (store/bulk.py), for callers that
        encode drafts ahead in other processes and hand them in as `SpooledDraft`s."""
        from leadtui.store.bulk import spool_record

        return spool_record

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
            self._index.writing_touches()
            lead = self._lead(lead_id)
            check_touch(lead, outcome, when)
            touch = Touch(
                id=self._unused(_Taken(self._index.has_touch_id), TOUCH_IDS),
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
        touch = index.touch_of(lead.id, key)
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

    def restore_derived(self, lead_id: str) -> None:
        """Store the lead's next action and report figures from what is stored (inside the
        caller's transaction): for rows written without them (`db copy`)."""
        self._renext(self._lead(lead_id))

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
            keys = index.touch_keys(lead.id)
            fresh = self._next_doc(replace(lead, status=status), doc, keys)
            if fresh != stored:
                storage.put(next_cache.NEXT, int(key), fresh)
        elif stored is not None:
            storage.delete(next_cache.NEXT, int(key))
        figures.keep(storage, index, replace(lead, status=status), key, doc)  # (figures.py)

    def _next_doc(self, lead: Lead, doc: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
        """The `next` document of a lead (`doc`: its document as stored) whose touches
        have these document keys (see next_cache.py)."""
        index = self._index
        touches = [index.touch_of(lead.id, key) for key in keys]
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

    def _unused(self, taken: Mapping[str, Any] | _Taken, archived: str) -> str:
        while True:
            candidate = new_id()
            if candidate not in taken and not self._storage.archive_holds(archived, candidate):
                return candidate

    # --- maintenance ------------------------------------------------------------------

    def batch(self) -> Transaction:
        """`with store.batch():` several writes become one durable write (one fsync)."""
        return self._storage.transaction()

    def compact(self) -> None:
        """Fold the journal into a fresh snapshot now (it also happens by itself)."""
        self._storage.compact()

    def compact_later(self) -> None:
        """Compactions run in a thread of their own after the write that made them due
        (the workstation's writes never wait for one); see JournalStorage.compact_later."""
        self._storage.compact_later()

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


class _Taken:
    """`in` answered by a function (an index lookup that need not build a whole map)."""

    __slots__ = ("_has",)

    def __init__(self, has: Callable[[str], bool]) -> None:
        self._has = has

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self._has(value)
