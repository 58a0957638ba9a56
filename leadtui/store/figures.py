"""Each lead's report figures, kept with the lead: the embedded store's side of the report.

Every write that changes a lead's figures (a touch, an undo, a repeat inquiry, a new lead)
stores, in the same journal record, `domain.figures.lead_figures` of the lead in the table
`figures`, under the same document key as the lead's document: `{"fp": FINGERPRINT, "f":
FIGURES}`, both texts. The fingerprint is `FACT_VERSION:touches:sum of their document
keys:the last touch's id:a digest of the lead fields the figures read` (as in next_cache.py: a
deleted touch and a new one never leave all of these unchanged). `report_figures` uses a
stored one only when it equals the fingerprint computed from what is in memory; otherwise
it computes the lead's figures from its touches (never a stale answer).

The table never enters the archive (the archiver moves leads and touches only), so an
archived lead's figures are read without its touches: an archived lead and its touches
cannot change while they sit in the archive (any write reads them back first, and then
writes fresh figures). As a guard against a writer that knows nothing of this table, the
archived leads' stored figures are used only when they account for exactly the leads and
touches the archive's summary lists; otherwise the archive is streamed (slow, right).

Stored form (`f`: the JSON text of a list, about 150 bytes a lead, so that opening the
working set parses one string per lead): `[source, received_at (µs since 1970),
fact, reps, dials]` where `fact` is a `LeadFact` as a list, `reps` maps a rep key to
`[spelling, fact or 0]` (0: the same as the lead's, when one rep logged every touch) and
`dials` lists `[blitz id, dial start (µs)]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import TYPE_CHECKING, Any

from leadtui.domain.figures import FACT_VERSION, LeadFact, LeadFigures, lead_figures, rep_key
from leadtui.domain.model import Lead
from leadtui.store.archive import LEAD_IDS, TOUCH_IDS
from leadtui.store.files import damaged, paused_gc
from leadtui.store.index import Doc, Index
from leadtui.store.parts import loads

if TYPE_CHECKING:
    from leadtui.store.lead_reads import LeadReads
    from leadtui.store.storage import JournalStorage

FIGURES = "figures"  # the table
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
#: Lead document fields the figures read (besides the touches).
LEAD_PART = ("status", "timezone", "received_at", "reopened_at", "source")


def fingerprint(doc: Doc, touch_keys: Sequence[str], last_touch_id: str) -> str:
    """What the figures of the lead `doc` with these touches depend on, as one short
    text: `version:touches:key sum:last touch id:digest of the lead fields`."""
    part = repr(tuple(doc.get(name) for name in LEAD_PART)).encode()
    digest = blake2b(part, digest_size=8).hexdigest()
    return f"{FACT_VERSION}:{len(touch_keys)}:{sum(map(int, touch_keys))}:{last_touch_id}:{digest}"


_COUNT = re.compile(rf"^{FACT_VERSION}:(\d+):", re.MULTILINE)


def touch_total(fps: list[Any]) -> int | None:
    """The touches the stored fingerprints `fps` count together; None if one is not a
    fingerprint of this version (one pattern search over them all, not one per lead)."""
    if not all(type(fp) is str and "\n" not in fp for fp in fps):
        return None
    counts = _COUNT.findall("\n".join(fps))
    return sum(map(int, counts)) if len(counts) == len(fps) else None


def _fact(fact: LeadFact) -> list[Any]:
    return list(fact)


def encode(fp: str, figures: LeadFigures) -> dict[str, str]:
    """The `figures` document of a lead: two texts (cheap to parse at open, when the
    store reads its working set; the report parses `f`)."""
    reps = [
        [spelling] if fact is figures.fact else [spelling, *_fact(fact)]
        for spelling, fact in figures.reps.values()
    ]
    stamp = (figures.received_at - _EPOCH) // _MICRO
    values: list[Any] = [figures.source, stamp, _fact(figures.fact), reps]
    if figures.dials:
        values.append([[blitz_id, (at - _EPOCH) // _MICRO] for blitz_id, at in figures.dials])
    return {"fp": fp, "f": json.dumps(values, ensure_ascii=False, separators=(",", ":"))}


_make_fact = LeadFact._make
_rep_keys: dict[str, str] = {}  # spelling -> rep_key (a few names, read many times)
_new = tuple.__new__


def _read_fact(values: Any) -> LeadFact:
    outcomes, first, hours, attempts, flags = values
    if type(first) is int:
        values[1] = float(first)
    elif first is not None and type(first) is not float:
        raise TypeError(values)
    if type(outcomes) is not str or type(hours) is not str:
        raise TypeError(values)
    if type(attempts) is not int or type(flags) is not int:
        raise TypeError(values)
    return _make_fact(values)


def _figures(values: Any) -> LeadFigures:
    if len(values) == 4:
        source, stamp, fact_values, reps = values
        dials = []
    else:
        source, stamp, fact_values, reps, stored_dials = values
        dials = [(str(blitz_id), _EPOCH + at * _MICRO) for blitz_id, at in stored_dials]
    fact = _read_fact(fact_values)
    if type(source) is not str or type(stamp) is not int or type(reps) is not list:
        raise TypeError(values)
    by_rep = {}
    for entry in reps:
        spelling = entry[0]
        key = _rep_keys.get(spelling)
        if key is None:
            key = _rep_keys[spelling] = rep_key(spelling)
        by_rep[key] = (spelling, _read_fact(entry[1:]) if len(entry) > 1 else fact)
    return _new(LeadFigures, (source, _EPOCH + timedelta(0, 0, stamp), fact, by_rep, dials))


_BAD = (KeyError, TypeError, ValueError, OverflowError, RecursionError, AttributeError)


def decode(stored: Any) -> LeadFigures | None:
    """The figures in a `figures` document, or None when it is not well formed."""
    try:
        return _figures(loads(stored["f"]))
    except _BAD:
        return None


def decode_joined(joined: str, count: int) -> list[LeadFigures] | None:
    """`count` `f` texts joined by commas, decoded; None if any does not parse."""
    try:
        parsed = loads("[" + joined + "]")
        if type(parsed) is not list or len(parsed) != count:
            return None
        return [_figures(values) for values in parsed]
    except _BAD:
        return None


def decode_many(texts: list[str]) -> list[LeadFigures | None]:
    """`decode` of many `f` texts, parsed as one JSON document (one call, not one each)."""
    try:
        parsed = loads("[" + ",".join(texts) + "]")
    except (ValueError, RecursionError):
        parsed = None
    if type(parsed) is not list or len(parsed) != len(texts):
        return [decode({"f": text}) for text in texts]
    found: list[LeadFigures | None] = []
    for values in parsed:
        try:
            found.append(_figures(values))
        except _BAD:
            found.append(None)
    return found


def keep(storage: JournalStorage, index: Index, lead: Lead, key: str, doc: Doc) -> None:
    """Store the figures of `lead` (its document `doc` as written, under `key`) from its
    touches in the index; inside the write's transaction."""
    keys = index.touch_keys(lead.id)
    touches = [index.touch_of(lead.id, k) for k in keys]
    fp = fingerprint(doc, keys, touches[-1].id if touches else "")
    fresh = encode(fp, lead_figures(lead, touches))
    # (while the table is not parsed, the put waits for it without parsing it: parts.py)
    if not storage.loaded(FIGURES) or storage.table(FIGURES).get(key) != fresh:
        storage.put(FIGURES, int(key), fresh)


_CHUNK = 4096  # stored texts decoded at once (the figures are counted as they come)


def report_figures(reads: LeadReads) -> Iterator[LeadFigures]:
    """Every lead's figures: stored ones where their fingerprint matches, the others
    computed from the touches (see the module docstring). The stored texts are taken
    under the store's lock and decoded a chunk at a time as the report counts them, so
    memory holds the texts, not every lead's decoded figures."""
    from leadtui.store.lead_reads import _segment_leads

    index, storage = reads._index, reads._storage

    def answer() -> tuple[list[LeadFigures], list[tuple[str, str]], list[str], Any, set[str]]:
        table = storage.table(FIGURES)
        order, docs = index.touch_order, index.touch_docs
        computed: list[LeadFigures] = []
        stored_texts: list[tuple[str, str]] = []  # (lead id, text) of the working set
        working: set[str] = set()
        with paused_gc():
            for lead_id, (key, doc) in index.leads.items():
                working.add(key)
                keys = order.get(lead_id, ())
                stored = table.get(key)
                if stored is not None:
                    text = stored.get("f")
                    last = docs[keys[-1]]["id"] if keys else ""
                    if type(text) is str and stored.get("fp") == fingerprint(doc, keys, last):
                        stored_texts.append((lead_id, text))
                        continue
                lead = index.lead(lead_id)
                assert lead is not None
                computed.append(lead_figures(lead, index.touches(lead_id)))
            archived = storage.archive_count(LEAD_IDS)
            if not archived:
                return computed, stored_texts, [], None, set()
            rest = [stored for key, stored in table.items() if key not in working]
            texts = [stored.get("f") for stored in rest]
            touches = touch_total([stored.get("fp") for stored in rest])
            if (
                len(rest) == archived
                and touches == storage.archive_count(TOUCH_IDS)
                and all(type(text) is str for text in texts)
            ):
                return computed, stored_texts, texts, None, set()  # type: ignore[return-value]
        return computed, stored_texts, [], storage.archive_segments(), set(index.leads)

    computed, stored_texts, archived_texts, segments, known = reads._read(answer)
    yield from computed
    del computed
    for start in range(0, len(stored_texts), _CHUNK):
        chunk = stored_texts[start : start + _CHUNK]
        for got, (lead_id, _) in zip(decode_many([t for _, t in chunk]), chunk, strict=True):
            yield got if got is not None else _computed(reads, lead_id)
    del stored_texts
    for start in range(0, len(archived_texts), _CHUNK):
        for got in decode_many(archived_texts[start : start + _CHUNK]):
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
