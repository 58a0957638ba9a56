"""The report's sums: each lead's stored figures (`domain.figures`) added up in one pass,
overall, per source and per rep (see `sum_figures`). A store may also hand over many
leads at once: as a `FactGroup` (leads that share everything but their arrival and first
call, grouped by the database server) or as a `StoredBatch` (leads as the store decoded
them, added up in one loop without a `LeadFigures` each).

Each lead's fact is counted once, in a cell of (source, rep name as spelt): the common
lead, whose touches were all logged by one rep, counts for its source and its rep at once;
a lead worked by several reps (or none) counts for its source in the cell (source, None)
and each rep's own fact in the cell (None, rep). A source's totals, a rep's and the
overall ones are then merged from the cells' (sorted) lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from leadtui.domain.figures import NO_REP, FactLike, LeadFigures, lead_figures, rep_key
from leadtui.domain.metrics import Figures, Tally
from leadtui.domain.model import Lead, Touch

__all__ = ["FactGroup", "StoredBatch", "Sums", "figures_of", "sum_figures"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_FLUSH = 4096  # leads read one by one between two countings of the cells' facts

Cell = tuple[str | None, str | None]  # (source label, the rep's name as spelt)


@dataclass(frozen=True, slots=True)
class Sums:
    """The report's figures added up from each lead's `LeadFigures` (see `sum_figures`)."""

    overall: Figures
    by_source: dict[str, Figures]  # sorted by source name (any case)
    by_rep: dict[str, Figures]  # by the rep's name, sorted the same way
    sources: set[str]  # every lead's source label, in scope or not
    dials: dict[str, list[datetime]]  # blitz id -> when its dials started, every lead's


class FactGroup(NamedTuple):
    """`leads` leads of one source whose touches were all logged by one rep (`rep`: the
    name as spelt, None for leads without touches), with no blitz dial, that share
    `attempts` and `flags`; `in_scope`: whether they were received since the report's
    `since`. `outcomes` and `hours` join their facts' texts (any order), `speeds` lists
    the seconds to the first call of those that were called. Adding it is the same as
    adding each lead's `LeadFigures`."""

    source: str
    rep: str | None
    in_scope: bool
    leads: int
    outcomes: str
    hours: str
    speeds: list[float]
    attempts: int
    flags: int


class StoredBatch(NamedTuple):
    """Many leads' figures as a store decoded them; adding it is the same as adding each
    lead's `LeadFigures`. Each of `rows` has the fields `source` (the label, as
    `LeadFigures.source`), `stamp` (`received_at` in microseconds since 1970 UTC), `fact`
    (a `FactLike`), `reps` (one entry per rep: `spelling`, the name as spelt, and the
    fields of the rep's own fact, or `outcomes` is `same` when the rep's fact is the
    lead's) and `dials` ((blitz id, dial start in microseconds since 1970 UTC) pairs)."""

    rows: Sequence[Any]
    same: object


class _Cells:
    """The cells' facts (pending until `flush`) and their tallies."""

    def __init__(self, threshold: timedelta) -> None:
        self.threshold = threshold
        self.pending: dict[Cell, list[FactLike]] = {}
        self.tallies: dict[Cell, Tally] = {}

    def tally(self, cell: Cell) -> Tally:
        tally = self.tallies.get(cell)
        if tally is None:
            tally = self.tallies[cell] = Tally(self.threshold)
        return tally

    def flush(self) -> None:
        for cell, facts in self.pending.items():
            self.tally(cell).add_many(facts)
        self.pending.clear()

    def split(self, label: str, fact: FactLike, reps: Iterable[tuple[str, FactLike]]) -> None:
        """A lead whose reps' facts are not all its own: the fact for the source, each
        rep's for the rep."""
        pending = self.pending
        pending.setdefault((label, None), []).append(fact)
        for spelling, rep_fact in reps:
            pending.setdefault((None, spelling), []).append(rep_fact)


class _Scope:
    """`sum_figures`' scope, checked lead by lead when there is one."""

    def __init__(self, since: datetime | None, source: str | None, rep: str | None) -> None:
        self.since = since
        self.since_stamp = None if since is None else (since - _EPOCH) // _MICRO
        self.source = source.strip().casefold() if source else None
        self.rep = rep_key(rep) if rep is not None else None
        self.any = since is not None or self.source is not None or self.rep is not None


def sum_figures(
    rows: Iterable[LeadFigures | FactGroup | StoredBatch],
    threshold: timedelta,
    *,
    since: datetime | None = None,
    source: str | None = None,
    rep: str | None = None,
) -> Sums:
    """Add up the leads' figures in one pass: those received at or after `since` from
    `source` (any case) count overall, for their source and for each rep who touched them;
    with `rep`, only that rep's touches count (and only the leads the rep touched), exactly
    as if the lead had no other touches. Equal to `compute_pairs` over the same leads."""
    scope = _Scope(since, source, rep)
    cells = _Cells(threshold)
    sources: set[str] = set()
    dials: dict[str, list[datetime]] = {}
    loose = 0  # LeadFigures read since the last flush
    for row in rows:
        if isinstance(row, StoredBatch):
            _add_batch(row, cells, scope, sources, dials)
            cells.flush()
        elif isinstance(row, FactGroup):
            _add_group(row, cells, scope)
            sources.add(row.source)
        else:
            _add_figures(row, cells, scope, sources, dials)
            loose += 1
            if loose >= _FLUSH:
                cells.flush()
                loose = 0
    cells.flush()
    return _totals(cells, threshold, sources if scope.any else None, dials)


def _add_figures(
    row: LeadFigures,
    cells: _Cells,
    scope: _Scope,
    sources: set[str],
    dials: dict[str, list[datetime]],
) -> None:
    """`sum_figures`' step for one lead's `LeadFigures`."""
    label, received_at, fact, by_rep, blitz_dials = row
    for blitz_id, dialed_at in blitz_dials:
        dials.setdefault(blitz_id, []).append(dialed_at)
    if scope.any:
        sources.add(label)
        if scope.since is not None and received_at < scope.since:
            return
        if scope.source is not None and label.casefold() != scope.source:
            return
        if scope.rep is not None:
            mine = by_rep.get(scope.rep)
            if mine is None:
                return
            cells.pending.setdefault((label, mine[0]), []).append(mine[1])
            return
    if len(by_rep) == 1:
        spelling, rep_fact = next(iter(by_rep.values()))
        if rep_fact is fact:
            cells.pending.setdefault((label, spelling), []).append(fact)
            return
    elif not by_rep:
        cells.pending.setdefault((label, None), []).append(fact)
        return
    cells.split(label, fact, by_rep.values())


def _add_batch(
    batch: StoredBatch,
    cells: _Cells,
    scope: _Scope,
    sources: set[str],
    dials: dict[str, list[datetime]],
) -> None:
    """`sum_figures`' step for a `StoredBatch`: one loop, one dict lookup a lead."""
    same = batch.same
    if scope.any:
        for row in batch.rows:
            if row.dials:
                _note_dials(dials, row.dials)
            _add_scoped(row, same, cells, scope, sources)
        return
    pending = cells.pending
    find = pending.get
    for row in batch.rows:
        reps = row.reps
        if row.dials:
            _note_dials(dials, row.dials)
        if len(reps) == 1:
            only = reps[0]
            if only.outcomes is not same:
                cells.split(row.source, row.fact, [(only.spelling, only)])
                continue
            cell: Cell = (row.source, only.spelling)
        elif not reps:
            cell = (row.source, None)
        else:
            fact = row.fact
            entries = [(r.spelling, fact if r.outcomes is same else r) for r in reps]
            cells.split(row.source, fact, entries)
            continue
        facts = find(cell)
        if facts is None:
            facts = pending[cell] = []
        facts.append(row.fact)


def _note_dials(dials: dict[str, list[datetime]], stored: Iterable[tuple[str, int]]) -> None:
    """A stored lead's blitz dials ((blitz id, µs since 1970 UTC)) noted by blitz."""
    for blitz_id, at in stored:
        dials.setdefault(blitz_id, []).append(_EPOCH + at * _MICRO)


def _add_scoped(row: Any, same: object, cells: _Cells, scope: _Scope, sources: set[str]) -> None:
    """One stored lead of a `StoredBatch` when the report has a scope."""
    label = row.source
    sources.add(label)
    if scope.since_stamp is not None and row.stamp < scope.since_stamp:
        return
    if scope.source is not None and label.casefold() != scope.source:
        return
    fact = row.fact
    entries = [(r.spelling, fact if r.outcomes is same else r) for r in row.reps]
    if scope.rep is not None:
        for spelling, rep_fact in entries:
            if rep_key(spelling) == scope.rep:
                cells.pending.setdefault((label, spelling), []).append(rep_fact)
                return
        return
    if len(entries) == 1 and entries[0][1] is fact:
        cells.pending.setdefault((label, entries[0][0]), []).append(fact)
    elif not entries:
        cells.pending.setdefault((label, None), []).append(fact)
    else:
        cells.split(label, fact, entries)


def _add_group(group: FactGroup, cells: _Cells, scope: _Scope) -> None:
    """`sum_figures`' step for a `FactGroup` (its rep's facts are the leads' facts)."""
    label, spelling = group.source, group.rep
    if not group.in_scope:
        return
    if scope.source is not None and label.casefold() != scope.source:
        return
    if scope.rep is not None and (spelling is None or rep_key(spelling) != scope.rep):
        return
    outcomes, hours = Counter(group.outcomes), Counter(group.hours)  # (counted once)
    counts = (group.leads, outcomes, hours, group.speeds, group.attempts, group.flags)
    cells.tally((label, spelling)).add_group(*counts)


def _totals(
    cells: _Cells,
    threshold: timedelta,
    sources: set[str] | None,
    dials: dict[str, list[datetime]],
) -> Sums:
    """The sums from the cells: each source's and each rep's tally merged from theirs,
    the overall one from the sources' (`sources`: None when every lead was in scope)."""
    by_label: dict[str, list[Tally]] = {}
    by_key: dict[str, list[Tally]] = {}
    spellings: dict[str, set[str]] = {}
    for (label, spelling), tally in cells.tallies.items():
        tally.sort()  # (the merged lists are then sorted runs)
        if label is not None:
            by_label.setdefault(label, []).append(tally)
        if spelling is not None:
            key = rep_key(spelling)
            by_key.setdefault(key, []).append(tally)
            spellings.setdefault(key, set()).add(spelling)
    names = {key: min(spellings[key]) or NO_REP for key in by_key}
    by_rep_figures = {
        names[key]: Tally.merged(threshold, tallies).figures() for key, tallies in by_key.items()
    }
    groups = {name: Tally.merged(threshold, by_label[name]) for name in by_label}
    by_source = {name: groups[name].figures() for name in sorted(groups, key=str.casefold)}
    overall = Tally.merged(threshold, groups.values())  # (the sources cover every lead)
    return Sums(
        overall.figures(),
        by_source,
        {name: by_rep_figures[name] for name in sorted(by_rep_figures, key=str.casefold)},
        set(groups) if sources is None else sources,
        dials,
    )


def figures_of(pairs: Iterable[tuple[Lead, Sequence[Touch]]]) -> Iterable[LeadFigures]:
    """Each lead's figures computed from its touches (for a store that keeps none)."""
    return (lead_figures(lead, touches) for lead, touches in pairs)
