"""The report's sums: each lead's stored figures (`domain.figures`) added up in one pass,
overall, per source and per rep (see `sum_figures`). A store may also hand over many
leads at once as a `FactGroup` (leads that share everything but their arrival and first
call, grouped by the database server)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from leadtui.domain.figures import NO_REP, LeadFigures, lead_figures, rep_key
from leadtui.domain.metrics import Figures, Tally
from leadtui.domain.model import Lead, Touch

__all__ = ["FactGroup", "Sums", "figures_of", "sum_figures"]


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


def sum_figures(
    rows: Iterable[LeadFigures | FactGroup],
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
    wanted_source = source.strip().casefold() if source else None
    wanted_rep = rep_key(rep) if rep is not None else None
    groups: dict[str, Tally] = {}
    reps: dict[str, Tally] = {}
    names: dict[str, str] = {}  # rep key -> the name shown (the first in sort order)
    sources: set[str] = set()
    dials: dict[str, list[datetime]] = {}
    scoped = since is not None or wanted_source is not None or wanted_rep is not None
    for row in rows:
        if isinstance(row, FactGroup):
            _add_group(row, groups, reps, names, threshold, wanted_source, wanted_rep)
            sources.add(row.source)
            continue
        label, received_at, fact, by_rep, blitz_dials = row
        if blitz_dials:
            for blitz_id, dialed_at in blitz_dials:
                dials.setdefault(blitz_id, []).append(dialed_at)
        if scoped:
            sources.add(label)
            if since is not None and received_at < since:
                continue
            if wanted_source is not None and label.casefold() != wanted_source:
                continue
            if wanted_rep is not None:
                mine = by_rep.get(wanted_rep)
                if mine is None:
                    continue
                fact = mine[1]
                by_rep = {wanted_rep: mine}
        tally = groups.get(label)
        if tally is None:
            tally = groups[label] = Tally(threshold)
        tally.add(fact)
        for key, (spelling, rep_fact) in by_rep.items():
            _rep_tally(reps, names, key, spelling, threshold).add(rep_fact)
    if not scoped:  # every lead was in scope: a group each
        sources.update(groups)
    by_rep_figures = {names[key]: reps[key].figures() for key in reps}
    by_source = {name: groups[name].figures() for name in sorted(groups, key=str.casefold)}
    overall = Tally.merged(threshold, groups.values())  # (the sources cover every lead)
    return Sums(
        overall.figures(),
        by_source,
        {name: by_rep_figures[name] for name in sorted(by_rep_figures, key=str.casefold)},
        sources,
        dials,
    )


def _add_group(
    group: FactGroup,
    groups: dict[str, Tally],
    reps: dict[str, Tally],
    names: dict[str, str],
    threshold: timedelta,
    wanted_source: str | None,
    wanted_rep: str | None,
) -> None:
    """`sum_figures`' step for a `FactGroup` (its rep's facts are the leads' facts)."""
    label, spelling = group.source, group.rep
    if not group.in_scope:
        return
    if wanted_source is not None and label.casefold() != wanted_source:
        return
    key = None if spelling is None else rep_key(spelling)
    if wanted_rep is not None and key != wanted_rep:
        return
    outcomes, hours = Counter(group.outcomes), Counter(group.hours)  # (counted once)
    counts = (group.leads, outcomes, hours, group.speeds, group.attempts, group.flags)
    tally = groups.get(label)
    if tally is None:
        tally = groups[label] = Tally(threshold)
    tally.add_group(*counts)
    if key is None or spelling is None:
        return
    _rep_tally(reps, names, key, spelling, threshold).add_group(*counts)


def _rep_tally(
    reps: dict[str, Tally], names: dict[str, str], key: str, spelling: str, threshold: timedelta
) -> Tally:
    """The rep's tally (made on first use); `names` keeps the name shown for the rep: the
    first of its spellings in sort order."""
    tally = reps.get(key)
    if tally is None:
        tally = reps[key] = Tally(threshold)
        names[key] = spelling or NO_REP
    elif spelling and spelling < names[key]:
        names[key] = spelling
    return tally


def figures_of(pairs: Iterable[tuple[Lead, Sequence[Touch]]]) -> Iterable[LeadFigures]:
    """Each lead's figures computed from its touches (for a store that keeps none)."""
    return (lead_figures(lead, touches) for lead, touches in pairs)
