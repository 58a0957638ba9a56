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
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import TYPE_CHECKING, Any

from leadtui.domain.figures import FACT_VERSION, LeadFact, LeadFigures, lead_figures
from leadtui.domain.model import Lead
from leadtui.store.archive import LEAD_IDS, TOUCH_IDS
from leadtui.store.files import paused_gc
from leadtui.store.index import Doc, Index

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


def _touch_count(fp: Any) -> int | None:
    """The number of touches a stored fingerprint counts, if it is of this version."""
    if type(fp) is not str:
        return None
    parts = fp.split(":", 2)
    if len(parts) < 3 or parts[0] != str(FACT_VERSION) or not parts[1].isdigit():
        return None
    return int(parts[1])


def _fact(fact: LeadFact) -> list[Any]:
    return [fact.outcomes, fact.first_call, fact.hours, fact.dials, fact.attempts,
            fact.reached, fact.ended]  # fmt: skip


def encode(fp: str, figures: LeadFigures) -> dict[str, str]:
    """The `figures` document of a lead: two texts (cheap to parse at open, when the
    store reads its working set; the report parses `f`)."""
    reps = {
        key: [spelling, 0 if fact is figures.fact else _fact(fact)]
        for key, (spelling, fact) in figures.reps.items()
    }
    dials = [[blitz_id, (at - _EPOCH) // _MICRO] for blitz_id, at in figures.dials]
    stamp = (figures.received_at - _EPOCH) // _MICRO
    values = [figures.source, stamp, _fact(figures.fact), reps, dials]
    return {"fp": fp, "f": json.dumps(values, separators=(",", ":"))}


def _read_fact(values: Any) -> LeadFact:
    outcomes, first, hours, dials, attempts, reached, ended = values
    if not (
        type(outcomes) is dict
        and (first is None or type(first) in (int, float))
        and type(hours) is list
        and type(dials) is int
        and type(attempts) is int
        and type(reached) is bool
        and type(ended) is int
    ):
        raise TypeError(values)
    return LeadFact(outcomes, None if first is None else float(first), hours, dials, attempts,
                    reached, ended)  # fmt: skip


def decode(stored: Any) -> LeadFigures | None:
    """The figures in a `figures` document, or None when it is not well formed."""
    try:
        source, stamp, fact_values, reps, dials = json.loads(stored["f"])
        fact = _read_fact(fact_values)
        if type(source) is not str or type(stamp) is not int or type(reps) is not dict:
            return None
        by_rep = {
            key: (spelling, fact if values == 0 else _read_fact(values))
            for key, (spelling, values) in reps.items()
        }
        return LeadFigures(
            source,
            _EPOCH + stamp * _MICRO,
            fact,
            by_rep,
            [(blitz_id, _EPOCH + at * _MICRO) for blitz_id, at in dials],
        )
    except (KeyError, TypeError, ValueError, OverflowError, RecursionError):
        return None


def keep(storage: JournalStorage, index: Index, lead: Lead, key: str, doc: Doc) -> None:
    """Store the figures of `lead` (its document `doc` as written, under `key`) from its
    touches in the index; inside the write's transaction."""
    keys = index.touch_order.get(lead.id, ())
    touches = [index.touch(k) for k in keys]
    fp = fingerprint(doc, keys, touches[-1].id if touches else "")
    fresh = encode(fp, lead_figures(lead, touches))
    if storage.table(FIGURES).get(key) != fresh:
        storage.put(FIGURES, int(key), fresh)


def report_figures(reads: LeadReads) -> Iterator[LeadFigures]:
    """Every lead's figures: stored ones where their fingerprint matches, the others
    computed from the touches (see the module docstring)."""
    from leadtui.store.lead_reads import _segment_leads

    index, storage = reads._index, reads._storage

    def answer() -> tuple[list[LeadFigures], Any, set[str]]:
        table = storage.table(FIGURES)
        order, docs = index.touch_order, index.touch_docs
        found: list[LeadFigures] = []
        working: set[str] = set()
        with paused_gc():
            for lead_id, (key, doc) in index.leads.items():
                working.add(key)
                keys = order.get(lead_id, ())
                stored = table.get(key)
                got = None
                if stored is not None:
                    last = docs[keys[-1]]["id"] if keys else ""
                    if stored.get("fp") == fingerprint(doc, keys, last):
                        got = decode(stored)
                if got is None:
                    lead = index.lead(lead_id)
                    assert lead is not None
                    got = lead_figures(lead, index.touches(lead_id))
                found.append(got)
            archived = storage.archive_count(LEAD_IDS)
            if not archived:
                return found, None, set()
            kept, touches = [], 0
            for key, stored in table.items():
                if key in working:
                    continue
                count = _touch_count(stored.get("fp"))
                got = None if count is None else decode(stored)
                if got is None or count is None:
                    break
                kept.append(got)
                touches += count
            else:
                if len(kept) == archived and touches == storage.archive_count(TOUCH_IDS):
                    found.extend(kept)
                    return found, None, set()
        return found, storage.archive_segments(), set(index.leads)

    found, segments, known = reads._read(answer)
    yield from found
    del found
    if segments is not None:
        for segment in segments:
            for lead, touches in _segment_leads(reads.path, segment, known):
                yield lead_figures(lead, touches)
