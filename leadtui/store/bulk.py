"""Adding a million leads without holding them: the store side of a streamed import.

`add_leads` keeps every new lead in the in-memory tree and the indexes (about 2 kB each:
2 GB for a million) and journals them as one record. This path does not:

1. Without the lock, the drafts are consumed as they come: a repeat of an earlier row of
   the same import (same phone, or same email) is set aside as that row's repeat inquiry;
   the others are spooled, one marshal record each, to an anonymous temporary file
   beside the database. Held in memory: the phones and emails seen (about 200 MB at a
   million rows) and the set-aside repeats.
2. Under the write lock (a normal transaction, so other processes' changes are caught up
   first), a pass over the spool finds the rows that match a lead already stored; those go
   through `add_leads` (the one place that records a repeat inquiry on a stored lead), in
   batches. A second pass streams the new leads' documents into a fresh snapshot written
   by `JournalStorage.commit_with_snapshot`: ONE durable write (temporary file, fsync,
   rename), all or nothing, so a crash or a full disk mid-way leaves the database as it
   was. This process then reads the new snapshot at its next read, like any other.

New lead ids are distinct within the import by construction (an odd-step walk over the
40-bit id space from a random start) and checked against the stored ids and the archive.
"""

from __future__ import annotations

import json
import marshal
import secrets
import struct
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from leadtui.domain.inquiry import apply_inquiry, new_lead
from leadtui.domain.model import LeadDraft
from leadtui.domain.times import check_clock, check_received
from leadtui.store.archive import EMAILS, LEAD_IDS, PHONES
from leadtui.store.documents import _time
from leadtui.store.index import LEADS, email_key, iso, lead_doc
from leadtui.store.protocol import AddCounts, SpooledDraft, StoreError

if TYPE_CHECKING:
    from leadtui.store.repository import TinyLeadStore

__all__ = ["add_streamed"]

_ID_SPACE = 1 << 40  # 8 base32 characters
_ID_STEP = 0x9E3779B97F & (_ID_SPACE - 1) | 1  # odd: every id once before repeating
EXISTING_BATCH = 2_000


# The spool is private to this process and lives only as long as the import. A record:
# its two lengths, the draft's fields (marshal: several times cheaper than JSON both ways)
# and the JSON document of the lead it creates when it is new, has no repeat in the file
# and is not on the do-not-call list (the usual case), without its leading `{"id":"",`:
# the id is put in front when the snapshot is written.
_HEAD = struct.Struct("<II")
_encode_json = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode


def spool_record(draft: LeadDraft, now: datetime) -> bytes:
    """A draft as `add_streamed` spools it; the import's workers make these ahead
    (`SpooledDraft`), so the importing process copies bytes instead of encoding."""
    received = iso(check_received(draft.received_at, now))
    body = _new_lead_body(draft, received).encode()
    data = marshal.dumps((draft.phone, email_key(draft.email), draft.name, draft.email,
                          draft.source, draft.timezone, received, draft.notes,
                          draft.other_phones, draft.zone_candidates))  # fmt: skip
    return _HEAD.pack(len(data), len(body)) + data + body


_text = json.encoder.encode_basestring_ascii  # what `_encode_json` writes for a string


def _new_lead_body(draft: LeadDraft, received: str) -> str:
    """`_encode_json(lead_doc(new_lead("", draft, listed=False)))` without its leading
    `{"id":"",`, written directly (the same keys, order and escapes; a test compares the
    two on generated drafts): a third of the cost."""
    others = [p for p in dict.fromkeys(draft.other_phones) if p != draft.phone]
    parts = [
        '"name":', _text(draft.name), ',"phone":', _text(draft.phone),
        ',"email":', _text(draft.email), ',"source":', _text(draft.source),
        ',"timezone":', _text(draft.timezone), ',"received_at":', _text(received),
        ',"status":"new","notes":', _text(draft.notes), ',"inquiries":[]',
    ]  # fmt: skip
    if others:
        parts += (',"other_phones":[', ",".join(map(_text, others)), "]")
    if draft.zone_candidates:
        parts += (',"zone_candidates":[', ",".join(map(_text, draft.zone_candidates)), "]")
    parts.append("}")
    return "".join(parts)


def _raw_records(spool: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(marshal data, document body) of each record."""
    spool.seek(0)
    read, size = spool.read, _HEAD.size
    while head := read(size):
        length, body = _HEAD.unpack(head)
        yield read(length), read(body)


def _records(spool: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    """(phone, email key, name, email, source, zone, received ISO, notes, other phones,
    zone candidates)."""
    for data, _ in _raw_records(spool):
        yield marshal.loads(data)


def _draft(record: tuple[Any, ...]) -> LeadDraft:
    phone, _, name, email, source, zone, received, notes, others, candidates = record
    return LeadDraft(name, phone, email, source, zone, _time(received), notes, others, candidates)


# base32 (RFC 4648, lower case) of ten bits at a time: `_id` is
# `base64.b32encode(number.to_bytes(5, "big")).decode().lower()` (a test compares them)
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_PAIRS = [a + b for a in _B32 for b in _B32]


def _id(number: int) -> str:
    pairs = _PAIRS
    return (pairs[number >> 30 & 1023] + pairs[number >> 20 & 1023]
            + pairs[number >> 10 & 1023] + pairs[number & 1023])  # fmt: skip


def _spool(
    drafts: Iterable[LeadDraft], directory: Any, now: datetime
) -> tuple[IO[bytes], int, dict[int, list[bytes]], int]:
    """Phase 1: (spool of first occurrences, their count, repeats by the number of the
    first occurrence they repeat, repeats count). A draft repeats an earlier one of this
    import when one of its numbers or its email is a number or email of that earlier one
    or of its repeats so far: what `add_leads` would find, one draft after the other."""
    try:
        spool = tempfile.TemporaryFile(dir=directory)
    except OSError as exc:
        raise _unsaved(directory, exc) from exc
    owner_of_phone: dict[str, int] = {}
    owner_of_email: dict[str, int] = {}
    repeats: dict[int, list[bytes]] = {}
    firsts = repeated = 0

    def write(data: bytes) -> None:
        try:
            spool.write(data)
        except OSError as exc:  # only the spool's own errors: reading errors pass as they are
            raise _unsaved(directory, exc) from exc

    try:
        for draft in drafts:
            email = email_key(draft.email)
            phones = (draft.phone, *draft.other_phones) if draft.other_phones else None
            if phones is None:
                owner = owner_of_phone.get(draft.phone)
            else:
                owner = next((owner_of_phone[p] for p in phones if p in owner_of_phone), None)
            if owner is None and email:
                owner = owner_of_email.get(email)
            line = draft.spooled if type(draft) is SpooledDraft else spool_record(draft, now)
            if owner is None:
                owner = firsts
                write(line)
                firsts += 1
            else:
                repeats.setdefault(owner, []).append(line)
                repeated += 1
            for phone in phones or (draft.phone,):
                owner_of_phone.setdefault(phone, owner)
            if email:
                owner_of_email.setdefault(email, owner)
        try:
            spool.flush()
        except OSError as exc:
            raise _unsaved(directory, exc) from exc
    except BaseException:
        spool.close()
        raise
    return spool, firsts, repeats, repeated


def _unsaved(directory: Any, exc: OSError) -> StoreError:
    return StoreError(
        f"could not save to {directory} (a temporary file for the import): "
        f"{exc.strerror or exc}; nothing was saved"
    )


def add_streamed(
    store: TinyLeadStore, drafts: Iterable[LeadDraft], now: datetime, *, dry_run: bool = False
) -> AddCounts:
    """See the module docstring and `LeadStore.add_leads_streamed`."""
    check_clock(now, "current time")
    spool, firsts, repeats, repeated = _spool(drafts, store.path.parent, now)
    with spool:
        if dry_run:
            return _count(store, spool, repeats, repeated)
        if not firsts:
            return AddCounts(0, repeated)
        storage = store._storage
        with storage.transaction():
            stored, reopened = _mark_stored(store, spool, firsts, repeats, now)
            created = firsts - stored.count(1)
            if created:  # else the repeat inquiries are one journal record, as usual
                members = _members(store, spool, stored, repeats, storage.next_id(LEADS), now)
                storage.commit_with_snapshot(LEADS, members)
        return AddCounts(created, firsts + repeated - created, reopened)


def _count(
    store: TinyLeadStore, spool: IO[bytes], repeats: dict[int, list[bytes]], repeated: int
) -> AddCounts:
    created = matched = 0
    with store._storage.thread_lock:
        store._storage.refresh()
        for record in _records(spool):
            if store._existing(_draft(record)) is None:
                created += 1
            else:
                matched += 1
    return AddCounts(created, matched + repeated)


def _mark_stored(
    store: TinyLeadStore,
    spool: IO[bytes],
    count: int,
    repeats: dict[int, list[bytes]],
    now: datetime,
) -> tuple[bytearray, int]:
    """Pass 1 under the lock: 1 for each spooled row that matches a stored lead (its
    inquiry, and its repeats', go through `add_leads`), 0 for a new lead; and how many
    closed leads those inquiries reopened."""
    stored = bytearray(count)
    batch: list[LeadDraft] = []
    reopened = 0
    index, storage = store._index, store._storage
    if not (index.by_phone or index.by_email or storage.archive_count(PHONES)
            or storage.archive_count(EMAILS)):  # fmt: skip
        return stored, 0  # nothing stored to match (the test below fails for every row)
    for number, record in enumerate(_records(spool)):
        phones, email = (record[0], *record[8]), record[1]
        if not (
            any(p in index.by_phone or storage.archive_holds(PHONES, p) for p in phones)
            or (email and (email in index.by_email or storage.archive_holds(EMAILS, email)))
        ):
            continue  # cannot match a stored lead (the same test as `_existing`)
        draft = _draft(record)
        if store._existing(draft) is None:
            continue
        stored[number] = 1
        batch.append(draft)
        batch.extend(_draft(_unpacked(more)) for more in repeats.pop(number, ()))
        if len(batch) >= EXISTING_BATCH:
            reopened += sum(result.reopened for result in store.add_leads(batch, now))
            batch = []
    if batch:
        reopened += sum(result.reopened for result in store.add_leads(batch, now))
    return stored, reopened


def _unpacked(data: bytes) -> tuple[Any, ...]:
    (length, _) = _HEAD.unpack_from(data)
    record: tuple[Any, ...] = marshal.loads(data[_HEAD.size : _HEAD.size + length])
    return record


def _members(
    store: TinyLeadStore,
    spool: IO[bytes],
    stored: bytearray,
    repeats: dict[int, list[bytes]],
    first_doc_id: int,
    now: datetime,
) -> Iterator[bytes]:
    """Pass 2: the new leads' documents as snapshot members, in file order: `new_lead`,
    then `apply_inquiry` for each repeat in the file, as `add_leads` would do."""
    index, storage = store._index, store._storage
    dnc = index.dnc
    taken = index.leads
    number = secrets.randbelow(_ID_SPACE)
    doc_id = first_doc_id
    for row, (data, body) in enumerate(_raw_records(spool)):
        if stored[row]:
            continue
        while True:
            number = (number + _ID_STEP) % _ID_SPACE
            lead_id = _id(number)
            if lead_id not in taken and not storage.archive_holds(LEAD_IDS, lead_id):
                break
        more = repeats.get(row)
        record = marshal.loads(data) if more or dnc else None
        if record is None or (not more and record[0] not in dnc):
            # new_lead(lead_id, draft, listed=False) as spool_record encoded it
            yield b'"%d":{"id":"%s",%s' % (doc_id, lead_id.encode(), body)
        else:
            draft = _draft(record)
            lead = new_lead(lead_id, draft, listed=draft.phone in dnc)
            for inquiry in more or ():
                lead = apply_inquiry(lead, (), _draft(_unpacked(inquiry)), dnc=dnc, now=now).lead
            yield b'"%d":%s' % (doc_id, _encode_json(lead_doc(lead)).encode())
        doc_id += 1
