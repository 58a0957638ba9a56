"""The report's read of the stored figures on the embedded store (store/figures.py says
what is stored and when a stored one is trusted).

The `figures` table's line is decoded straight from the snapshot's bytes when nothing has
parsed it yet (`LazyTree.checked_line`, plus the puts kept for it since: `LazyTree.pending`):
each document to a small struct whose `f` stays a slice of those bytes (`msgspec.Raw`),
never a dict of two strings. Each lead's text is then
decoded a few thousand at a time straight into `StoredLead` structs (typed: a text that
is not the stored form fails the decode, and that chunk is read lead by lead as
`figures.decode` reads it), and handed to the report's sums as a `StoredBatch`, never as
one `LeadFigures` (and its datetimes and dicts) a lead. Memory holds the snapshot's bytes,
one small struct per lead and one chunk of decoded leads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import UNSET, Raw, UnsetType

from leadtui.domain.figures import LeadFigures, lead_figures
from leadtui.domain.report_sums import StoredBatch
from leadtui.store.archive import LEAD_IDS, TOUCH_IDS
from leadtui.store.figures import FIGURES, decode, fingerprint, matches_lead, touch_total
from leadtui.store.files import damaged, paused_gc
from leadtui.store.parts import LazyTree, loads

if TYPE_CHECKING:
    from leadtui.store.lead_reads import LeadReads

__all__ = ["StoredFact", "StoredLead", "StoredRep", "decode_chunk", "report_figures"]


class StoredFact(msgspec.Struct, array_like=True, forbid_unknown_fields=True, gc=False):
    """A `LeadFact` as stored: `[outcomes, first_call, hours, attempts, flags]`."""

    outcomes: str
    first_call: float | None
    hours: str
    attempts: int
    flags: int


class StoredRep(msgspec.Struct, array_like=True, forbid_unknown_fields=True, gc=False):
    """A rep's entry: `[spelling]` (the rep's fact is the lead's: every field UNSET) or
    `[spelling, *fact]`."""

    spelling: str
    outcomes: str | UnsetType = UNSET
    first_call: float | None | UnsetType = UNSET
    hours: str | UnsetType = UNSET
    attempts: int | UnsetType = UNSET
    flags: int | UnsetType = UNSET


class StoredLead(msgspec.Struct, array_like=True, forbid_unknown_fields=True, gc=False):
    """One lead's stored text: `[source, received_at (µs), fact, reps, dials?]`."""

    source: str
    stamp: int
    fact: StoredFact
    reps: list[StoredRep]
    dials: tuple[tuple[str, int], ...] = ()


class _Doc(msgspec.Struct, gc=False):
    """A `figures` document as read for the report: `f` still JSON (a string literal)."""

    fp: Any = None
    f: Raw = Raw(b"null")


_table = msgspec.json.Decoder(dict[str, _Doc]).decode
_strings = msgspec.json.Decoder(list[str]).decode
_leads = msgspec.json.Decoder(list[StoredLead]).decode
_CHUNK = 4096  # leads decoded at once (the report counts them as they come)
_PEEKS = 16  # leads not vouched for whose touches are looked up one by one (peeked)


def decode_chunk(texts: list[str]) -> list[StoredLead] | None:
    """Stored texts decoded in one call; None if any of them is not the stored form."""
    try:
        rows = _leads("[" + ",".join(texts) + "]")
    except (msgspec.DecodeError, UnicodeError, ValueError, RecursionError):
        return None
    if len(rows) != len(texts):
        return None
    for row in rows:
        for rep in row.reps:  # `[spelling, outcomes]` and the like: neither form
            if rep.outcomes is not UNSET and rep.flags is UNSET:
                return None
    return rows


def _texts(items: list[Any]) -> list[Any]:
    """The stored texts: `Raw` string literals decoded (one call when they all are),
    strings as they are; an item that is neither gives None."""
    if items and set(map(type, items)) == {Raw}:
        try:
            texts = _strings(b"[" + b",".join(items) + b"]")
            if len(texts) == len(items):
                return texts
        except (msgspec.DecodeError, UnicodeError, ValueError):
            pass
    found = []
    for item in items:  # (one by one: the standard library for what msgspec refuses)
        text = item
        if type(item) is Raw:
            try:
                text = loads(memoryview(item))
            except (ValueError, UnicodeError, RecursionError):
                text = None
        found.append(text if type(text) is str else None)
    return found


def _chunks(items: list[Any]) -> Iterator[tuple[int, StoredBatch | list[LeadFigures | None]]]:
    """(start, decoded) for each chunk of stored texts (`Raw` or str): a `StoredBatch`
    when the whole chunk decodes at once, else `decode` of each text."""
    for start in range(0, len(items), _CHUNK):
        texts = _texts(items[start : start + _CHUNK])
        rows = None if None in texts else decode_chunk(texts)
        if rows is not None:
            yield start, StoredBatch(rows, UNSET)
        else:
            yield start, [None if text is None else decode({"f": text}) for text in texts]


def _stored_table(storage: Any) -> dict[str, Any]:
    """The `figures` table: decoded here from its line while nothing has parsed it
    (documents as `_Doc`), else the parsed table (documents as dicts)."""
    tree = storage.read()
    line = tree.checked_line(FIGURES) if isinstance(tree, LazyTree) else None
    if line is not None:
        try:
            table = _table(line)
        except (msgspec.DecodeError, UnicodeError, ValueError, RecursionError):
            table = None  # (parsed as usual below: a damaged table says so)
        if table is not None and all(map(str.isdigit, table)):
            # as `LazyTree._load` would: documents read back, then the puts kept since
            for key, doc in tree.absent.get(FIGURES, {}).items():
                table.setdefault(key, doc)
            for op in tree.pending.get(FIGURES, ()):
                if op[0] == "p":
                    table[op[2]] = op[3]
                else:
                    table.pop(op[2], None)
            return table
    parsed: dict[str, Any] = storage.table(FIGURES)
    return parsed


def _parts(stored: Any) -> tuple[Any, Any]:
    """(fingerprint, text) of a stored document, whichever way it was decoded (the text:
    a `Raw` string literal, a str, or None when it cannot be one)."""
    if type(stored) is _Doc:
        return stored.fp, stored.f
    if not isinstance(stored, dict):
        return None, None
    text = stored.get("f")
    return stored.get("fp"), text if type(text) is str else None


Found = tuple[list[LeadFigures], list[tuple[str, Any]], list[Any], Any, set[str]]


def report_figures(reads: LeadReads) -> Iterator[LeadFigures | StoredBatch]:
    """Every lead's figures: stored ones where their fingerprint matches (as
    `StoredBatch`es), the others computed from the touches (see store/figures.py). The
    stored texts are found under the store's lock and decoded a chunk at a time as the
    report counts them."""
    from leadtui.store.lead_reads import _segment_leads

    index, storage = reads._index, reads._storage

    def answer() -> Found:
        computed: list[LeadFigures] = []
        working: list[tuple[str, Any]] = []  # (lead id, stored text) of the working set
        keys_seen: set[str] = set()
        # a vouched table's touch parts are trusted but for the leads in `unvouched`
        unvouched = storage.vouched(FIGURES)
        order = docs = None  # (every touch indexed at once, when cheaper than peeks)
        if unvouched is None or len(unvouched) > _PEEKS:
            order, docs = index.touch_order, index.touch_docs
        with paused_gc():
            table = _stored_table(storage)
            for lead_id, (key, doc) in index.leads.items():
                keys_seen.add(key)
                stored = table.get(key)
                if stored is not None:
                    fp, text = _parts(stored)
                    if text is not None:
                        if unvouched is not None and lead_id not in unvouched:
                            current = matches_lead(fp, doc)
                        elif order is not None and docs is not None:
                            keys = order.get(lead_id, ())
                            last = docs[keys[-1]]["id"] if keys else ""
                            current = fp == fingerprint(doc, keys, last)
                        else:
                            peeked = index.touch_keys(lead_id)
                            last = index.touch_of(lead_id, peeked[-1]).id if peeked else ""
                            current = fp == fingerprint(doc, peeked, last)
                        if current:
                            working.append((lead_id, text))
                            continue
                lead = index.lead(lead_id)
                assert lead is not None
                computed.append(lead_figures(lead, index.touches(lead_id)))
            archived = storage.archive_count(LEAD_IDS)
            if not archived:
                return computed, working, [], None, set()
            rest = [stored for key, stored in table.items() if key not in keys_seen]
            try:
                fps, texts = [doc.fp for doc in rest], [doc.f for doc in rest]
            except AttributeError:  # (documents parsed as dicts, all or some)
                fps, texts = [], []
                for fp, text in map(_parts, rest):
                    fps.append(fp)
                    texts.append(text)
            if len(rest) == archived and touch_total(fps) == storage.archive_count(TOUCH_IDS):
                return computed, working, texts, None, set()
        return computed, working, [], storage.archive_segments(), set(index.leads)

    computed, working, archived_texts, segments, known = reads._read(answer)
    yield from computed
    del computed
    for start, rows in _chunks([text for _, text in working]):
        if isinstance(rows, StoredBatch):
            yield rows
            continue
        for n, got in enumerate(rows):
            yield got if got is not None else _computed(reads, working[start + n][0])
    del working
    for _, rows in _chunks(archived_texts):
        if isinstance(rows, StoredBatch):
            yield rows
            continue
        for got in rows:
            if got is None:  # an archived lead's stored figures that do not parse
                raise damaged(reads.path, "unreadable report figures of an archived lead")
            yield got
    if segments is not None:
        for segment in segments:
            for lead, touches in _segment_leads(reads.path, segment, known):
                yield lead_figures(lead, touches)


def _computed(reads: LeadReads, lead_id: str) -> LeadFigures:
    """One lead's figures from its touches (its stored text did not parse)."""
    return reads._read(lambda: lead_figures(reads._lead(lead_id), reads._index.touches(lead_id)))
