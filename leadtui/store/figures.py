"""Each lead's report figures, kept with the lead: the embedded store's side of the report.

Every write that changes a lead's figures (a touch, an undo, a repeat inquiry, a new lead)
stores, in the same journal record, `domain.figures.lead_figures` of the lead in the table
`figures`, under the same document key as the lead's document: `{"fp": FINGERPRINT, "f":
FIGURES}`, both texts. The fingerprint is `FACT_VERSION:touches:sum of their document
keys:the last touch's id:a digest of the lead fields the figures read` (as in next_cache.py: a
deleted touch and a new one never leave all of these unchanged). The report's read
(`report_figures`, store/figures_read.py) uses a stored one only when it equals the
fingerprint computed from what is in memory; otherwise it computes the lead's figures from
its touches (never a stale answer). Comparing the touch part means reading every working-set
lead's touches, so the snapshot vouches for the table as it does for the next actions
(`vouch`, parts.py): a reader then compares the version and the lead part only
(`matches_lead`), and the touch part of the leads not vouched for.

The table never enters the archive (the archiver moves leads and touches only), so an
archived lead's figures are read without its touches: an archived lead and its touches
cannot change while they sit in the archive (any write reads them back first, and then
writes fresh figures). As a guard against a writer that knows nothing of this table, the
archived leads' stored figures are used only when they account for exactly the leads and
touches the archive's summary lists; otherwise the archive is streamed (slow, right). An
archived lead's stored figures that do not read (not a text of the stored form) are
damage, reported as such: they cannot be computed again without the archive.

Stored form (`f`: the JSON text of a list, about 150 bytes a lead, so that parsing the
table parses one string per lead): `[source, received_at (µs since 1970), fact, reps,
dials]` where `fact` is a `LeadFact` as a list, `reps` lists one entry per rep: `[spelling]`
when the rep's fact is the lead's (one rep logged every touch), else `[spelling, *fact]`,
and `dials` (left out when empty) lists `[blitz id, dial start (µs)]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import TYPE_CHECKING, Any

from leadtui.domain.figures import FACT_VERSION, LeadFact, LeadFigures, lead_figures, rep_key
from leadtui.domain.model import Lead
from leadtui.store.files import Tree
from leadtui.store.index import LEADS, Doc, Index
from leadtui.store.next_cache import touch_parts
from leadtui.store.parts import loads

if TYPE_CHECKING:
    from leadtui.store.storage import JournalStorage

FIGURES = "figures"  # the table
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
#: Lead document fields the figures read (besides the touches).
LEAD_PART = ("status", "timezone", "received_at", "reopened_at", "source")


def lead_digest(doc: Doc) -> str:
    """The last part of a fingerprint: a digest of the lead fields the figures read."""
    return blake2b(repr(tuple(map(doc.get, LEAD_PART))).encode(), digest_size=8).hexdigest()


def fingerprint(doc: Doc, touch_keys: Sequence[str], last_touch_id: str) -> str:
    """What the figures of the lead `doc` with these touches depend on, as one short
    text: `version:touches:key sum:last touch id:digest of the lead fields`."""
    keys = f"{len(touch_keys)}:{sum(map(int, touch_keys))}"
    return f"{FACT_VERSION}:{keys}:{last_touch_id}:{lead_digest(doc)}"


_VERSION = f"{FACT_VERSION}:"


def matches_lead(fp: Any, doc: Doc) -> bool:
    """Whether a stored fingerprint is of this version and of the lead document `doc` as
    it is, its touch part taken on trust (a vouched table's: see `vouch`)."""
    return (
        type(fp) is str
        and fp.startswith(_VERSION)
        and fp.count(":") == 4
        and fp.endswith(":" + lead_digest(doc))
    )


def vouch(tree: Tree) -> bool:
    """Whether a snapshot of `tree` may vouch for the `figures` table (parts.py: the touch
    part of every working-set lead's stored fingerprint agrees with its touches, so a
    reader may take it on trust). Call it before `next_cache.vouch`, which clears the
    leads not vouched for (`unvouched`).

    Vouched already: then only the leads whose touches changed since in a record that
    did not write their next action (`LazyTree.note_op`) are checked. That suffices
    because every writer of ours that writes a lead's next action writes (or finds
    current) its figures in the same record (repository.py `_renext`, `add_leads`)."""
    if FIGURES not in tree:
        return False
    unvouched: set[str] = getattr(tree, "unvouched", set())
    if FIGURES in getattr(tree, "vouched", ()):
        return not unvouched or agrees(tree, unvouched)
    return agrees(tree, None)


def agrees(tree: Tree, only: set[str] | None) -> bool:
    """Does the touch part of the stored fingerprint of every working-set lead (of those
    in `only`, if given) match the lead's touches in `tree`?"""
    try:
        keys = {doc["id"]: key for key, doc in (tree.get(LEADS) or {}).items()}
        if only is not None:
            keys = {lead_id: keys[lead_id] for lead_id in only if lead_id in keys}
        # (a few leads' touches are found in the unparsed table's line, as for `next`)
        seen = touch_parts(tree, None if only is None else set(keys))
        by_key = getattr(tree, "doc_by_key", None)  # a LazyTree: a few leads' figures are
        few = only is not None and by_key is not None and len(keys) <= 64  # found unparsed
        table = {} if few else tree.get(FIGURES) or {}
        for lead_id, key in keys.items():
            if few:
                known, stored = by_key(FIGURES, key)  # type: ignore[misc]
                if not known:
                    table = tree.get(FIGURES) or {}
                    few, stored = False, table.get(key)
            else:
                stored = table.get(key)
            if stored is None:
                continue  # (none stored: the reader computes them)
            count, total, _, last = seen.get(lead_id) or (0, 0, None, "")
            fp = stored.get("fp")
            if type(fp) is not str or fp.split(":")[1:4] != [str(count), str(total), last]:
                return False
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return True


_COUNT = re.compile(rf"\n{FACT_VERSION}:(\d+):")  # (a literal start: searched fast)


def touch_total(fps: list[Any]) -> int | None:
    """The touches the stored fingerprints `fps` count together; None if one is not a
    fingerprint of this version (one pattern search over them all, not one per lead)."""
    if fps and set(map(type, fps)) != {str}:
        return None
    joined = "\n" + "\n".join(fps)
    if joined.count("\n") != len(fps):  # (a line break inside one of them)
        return None
    counts = _COUNT.findall(joined)
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


_BAD = (
    KeyError, TypeError, ValueError, IndexError, OverflowError, RecursionError, AttributeError,
)  # fmt: skip


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
