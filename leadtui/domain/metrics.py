"""Report figures: what speed and persistence earn. Pure functions of leads and touches.

Definitions (the README's "Report JSON" section repeats them for users):

- **Speed to lead** of a lead: from `received_at` to its first *call* touch (any call
  outcome; email/text do not count). Median is the middle value (mean of the two middle
  ones for an even count); the 90th percentile is the nearest-rank one: the smallest value
  with at least 90% of the values at or below it. *Within the threshold* means first called
  at most `threshold` after arrival; *never called* means no call touch at all. Both shares
  are of every lead in scope.
- **Contact**: a call outcome where the rep spoke with the lead (`Outcome.is_contact`:
  talked, callback, appointment, not interested, won). A *dial* is any call outcome.
  Contact rate per dial = contacts / dials; per lead = leads ever reached / leads.
- **Persistency**: attempts per lead = calls up to and including the first contact, or all
  calls for a lead never reached (still in progress or exhausted). *Unreached leads* are
  those never reached (never-called ones included); the report gives the share of them
  with at least 6 attempts and their median (typical) number of attempts. *Exhausted*:
  leads whose cadence ran out without any contact; *follow-ups exhausted*: leads that were
  reached and then left every follow-up call unanswered (both judged on the touches of the
  lead's current round, since a repeat inquiry that reopened it).
- **Contact rate by hour**: dials and contacts by the hour of the day on the lead's own
  clock when the call was logged.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadtui.domain.blitz import BlitzSession, BlitzState, Tallies, record_status
from leadtui.domain.figures import (
    HOUR_CODES,
    NO_SOURCE,
    OUTCOME_CODES,
    FactLike,
    lead_fact,
    source_label,
)
from leadtui.domain.model import Lead, Outcome, Touch

__all__ = [
    "PERSISTENT_ATTEMPTS",
    "SPEED_BUCKETS",
    "BlitzSummary",
    "ContactRate",
    "Figures",
    "HourRate",
    "Persistency",
    "SpeedToLead",
    "Tally",
    "blitz_history",
    "by_source",
    "compute",
    "median",
    "percentile",
    "select_leads",
    "share",
    "source_label",
    "NO_SOURCE",
]

PERSISTENT_ATTEMPTS = 6  # article 001: six to twelve touches are what works

# Speed-to-lead histogram: (label, upper bound in seconds, inclusive); the last is open.
SPEED_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<=1m", 60),
    ("1-5m", 5 * 60),
    ("5-30m", 30 * 60),
    ("30m-2h", 2 * 3600),
    ("2h-1d", 24 * 3600),
    (">1d", math.inf),
)
NEVER = "never"
_LETTERS = tuple(OUTCOME_CODES.values())
_BATCH = 4096  # facts a Tally counts at once


def median(values: Sequence[float], *, ordered: bool = False) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None when empty.
    `ordered`: the values are sorted already."""
    if not values:
        return None
    ordered_values = values if ordered else sorted(values)
    return _middle(ordered_values)


def _middle(ordered: Sequence[float]) -> float:
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], pct: float, *, ordered: bool = False) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `pct`% at or below it.
    `ordered`: the values are sorted already."""
    if not values:
        return None
    ordered_values = values if ordered else sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered_values)))
    return float(ordered_values[rank - 1])


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class SpeedToLead:
    """How fast leads got their first call."""

    leads: int
    called: int
    median_seconds: float | None
    p90_seconds: float | None
    within_threshold: int
    never_called: int
    histogram: tuple[tuple[str, int], ...]  # SPEED_BUCKETS labels + "never"


@dataclass(frozen=True, slots=True)
class ContactRate:
    """How often a dial, and a lead, reached a person."""

    dials: int
    contacts: int
    leads: int
    leads_reached: int

    @property
    def per_dial(self) -> float | None:
        return share(self.contacts, self.dials)

    @property
    def per_lead(self) -> float | None:
        return share(self.leads_reached, self.leads)


@dataclass(frozen=True, slots=True)
class Persistency:
    """How many attempts leads got before contact or giving up."""

    attempts: tuple[tuple[int, int], ...]  # (attempts, leads) for 0..max
    mean_attempts: float | None
    median_attempts: float | None
    unreached: int
    unreached_persistent: int  # unreached with >= PERSISTENT_ATTEMPTS attempts
    unreached_median_attempts: float | None
    exhausted: int  # the cadence ran out without any contact
    follow_ups_exhausted: int = 0  # reached, then every follow-up went unanswered


@dataclass(frozen=True, slots=True)
class HourRate:
    """Dials and contacts in one hour of the lead's local day."""

    hour: int
    dials: int
    contacts: int

    @property
    def rate(self) -> float | None:
        return share(self.contacts, self.dials)


@dataclass(frozen=True, slots=True)
class Figures:
    """Every report figure for one group of leads."""

    leads: int
    speed: SpeedToLead
    contact: ContactRate
    persistency: Persistency
    outcomes: dict[str, int]  # every Outcome value, zeros included
    by_hour: tuple[HourRate, ...]  # 24 entries, hour 0..23


class Tally:
    """The totals behind one group's `Figures`: facts are added one by one and counted a
    few thousand at a time (list and text operations, not per-lead Python work). Only the
    seconds to the first call are kept one per lead; attempts and how each lead ended are
    counted by (attempts, flags) shape, so merging tallies costs the number of shapes."""

    def __init__(self, threshold: timedelta) -> None:
        self.limit = threshold.total_seconds()
        self.leads = 0
        self.speeds: list[float] = []
        self.shapes: Counter[tuple[int, int]] = Counter()  # (attempts, flags) -> leads
        self.outcomes: Counter[str] = Counter()  # outcome letter -> touches
        self.hours: Counter[str] = Counter()  # hour character -> calls
        self._pending: list[FactLike] = []

    def add(self, fact: FactLike) -> None:
        pending = self._pending
        pending.append(fact)
        if len(pending) >= _BATCH:
            self._count()

    def add_many(self, facts: Sequence[FactLike]) -> None:
        """Count these facts now (`LeadFact`s, or any `FactLike`)."""
        self._count()
        self._add_facts(facts)

    def add_group(
        self,
        count: int,
        outcomes: Mapping[str, int],
        hours: Mapping[str, int],
        speeds: list[float],
        attempts: int,
        flags: int,
    ) -> None:
        """`count` leads that share `attempts` and `flags` at once (a store grouped them):
        how many of each outcome letter and hour code their facts hold, and the seconds to
        the first call of those that were called (any order). The same totals as adding
        each lead's fact."""
        self.leads += count
        self.outcomes.update(outcomes)
        self.hours.update(hours)
        self.speeds += speeds
        self.shapes[(attempts, flags)] += count

    @classmethod
    def merged(cls, threshold: timedelta, tallies: Iterable[Tally]) -> Tally:
        """One tally of every fact added to `tallies`."""
        total = cls(threshold)
        for tally in tallies:
            tally._count()
            total.leads += tally.leads
            total.speeds += tally.speeds
            total.shapes.update(tally.shapes)
            total.outcomes.update(tally.outcomes)
            total.hours.update(tally.hours)
        return total

    def _count(self) -> None:
        if self._pending:
            facts, self._pending = self._pending, []
            self._add_facts(facts)

    def _add_facts(self, facts: Sequence[FactLike]) -> None:
        self.leads += len(facts)
        outcomes = "".join([fact.outcomes for fact in facts])
        counts = {code: outcomes.count(code) for code in _LETTERS}  # (12 scans: faster)
        self.outcomes.update(counts if sum(counts.values()) == len(outcomes) else outcomes)
        self.hours.update("".join([fact.hours for fact in facts]))
        self.speeds += [fact.first_call for fact in facts if fact.first_call is not None]
        self.shapes.update([(fact.attempts, fact.flags) for fact in facts])

    def sort(self) -> None:
        """Count what is pending and sort the speeds in place (a tally merged from sorted
        ones then sorts a few sorted runs, which costs little)."""
        self._count()
        self.speeds.sort()

    def figures(self) -> Figures:
        self.sort()
        speeds = self.speeds
        attempts: Counter[int] = Counter()  # attempts -> leads
        unreached: Counter[int] = Counter()  # the same, of the leads never reached
        reached = exhausted = follow_ups_out = 0
        for (count, flags), leads in self.shapes.items():
            attempts[count] += leads
            if flags & 1:
                reached += leads
            else:
                unreached[count] += leads
            ended = flags >> 1
            if ended == 1:
                exhausted += leads
            elif ended == 2:
                follow_ups_out += leads
        never = self.leads - len(speeds)
        top = max(attempts, default=-1)
        buckets, below = [], 0
        for label, upper in SPEED_BUCKETS:  # speed <= upper: in the first bucket it fits
            upto = bisect_right(speeds, upper)
            buckets.append((label, upto - below))
            below = upto
        buckets.append((NEVER, never))
        hour_dials, hour_contacts = [0] * 24, [0] * 24
        for code, calls in self.hours.items():
            slot = HOUR_CODES.index(code)
            hour_dials[slot >> 1] += calls
            if slot & 1:
                hour_contacts[slot >> 1] += calls
        letters = {code: outcome.value for outcome, code in OUTCOME_CODES.items()}
        outcomes = {letters[code]: n for code, n in self.outcomes.items()}
        counted = sum(attempts.values())
        return Figures(
            leads=self.leads,
            speed=SpeedToLead(
                leads=self.leads,
                called=len(speeds),
                median_seconds=median(speeds, ordered=True),
                p90_seconds=percentile(speeds, 90, ordered=True),
                within_threshold=bisect_right(speeds, self.limit),
                never_called=never,
                histogram=tuple(buckets),
            ),
            contact=ContactRate(
                dials=sum(hour_dials),
                contacts=sum(hour_contacts),
                leads=self.leads,
                leads_reached=reached,
            ),
            persistency=Persistency(
                attempts=tuple((n, attempts[n]) for n in range(top + 1)),
                mean_attempts=(sum(n * leads for n, leads in attempts.items()) / counted)
                if counted
                else None,
                median_attempts=counted_median(attempts),
                unreached=sum(unreached.values()),
                unreached_persistent=sum(
                    leads for n, leads in unreached.items() if n >= PERSISTENT_ATTEMPTS
                ),
                unreached_median_attempts=counted_median(unreached),
                exhausted=exhausted,
                follow_ups_exhausted=follow_ups_out,
            ),
            outcomes={outcome.value: outcomes.get(outcome.value, 0) for outcome in Outcome},
            by_hour=tuple(HourRate(h, hour_dials[h], hour_contacts[h]) for h in range(24)),
        )


def counted_median(counts: Mapping[int, int]) -> float | None:
    """`median` of the values `counts` holds (value -> how many times); None when empty."""
    total = sum(counts.values())
    if not total:
        return None
    wanted = (total - 1) // 2, total // 2  # the middle positions (one twice when odd)
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(value)
        if len(found) == 2:
            break
    if total % 2:
        return float(found[1])
    return (found[0] + found[1]) / 2


def compute(
    leads: Sequence[Lead], touches_by_lead: Mapping[str, Sequence[Touch]], threshold: timedelta
) -> Figures:
    """All figures for `leads` (each with its touches)."""
    return compute_by_source(leads, touches_by_lead, threshold, per_source=False)[0]


def compute_by_source(
    leads: Sequence[Lead],
    touches_by_lead: Mapping[str, Sequence[Touch]],
    threshold: timedelta,
    *,
    per_source: bool = True,
) -> tuple[Figures, dict[str, Figures]]:
    """The figures for all `leads` and for each source (sorted by name), in one pass:
    each lead's touches are read once and added to the overall and its source's totals."""
    pairs = ((lead, touches_by_lead.get(lead.id, ())) for lead in leads)
    return compute_pairs(pairs, threshold, per_source=per_source)


def compute_pairs(
    pairs: Iterable[tuple[Lead, Sequence[Touch]]],
    threshold: timedelta,
    *,
    per_source: bool = True,
) -> tuple[Figures, dict[str, Figures]]:
    """`compute_by_source` from (lead, its touches) pairs, each seen once and then let go
    (a store can stream them: a report never needs every lead in memory at once)."""
    overall = Tally(threshold)
    groups: dict[str, Tally] = {}
    for lead, touches in pairs:
        fact = lead_fact(lead, touches)
        overall.add(fact)
        if per_source:
            label = source_label(lead)
            tally = groups.get(label)
            if tally is None:
                tally = groups[label] = Tally(threshold)
            tally.add(fact)
    return overall.figures(), {
        name: groups[name].figures() for name in sorted(groups, key=str.casefold)
    }


def select_leads(
    leads: Iterable[Lead], *, since: datetime | None = None, source: str | None = None
) -> list[Lead]:
    """The leads a report covers: received at or after `since`, from `source` (any case)."""
    covered = report_scope(since=since, source=source)
    return [lead for lead in leads if covered(lead)]


def report_scope(
    *, since: datetime | None = None, source: str | None = None
) -> Callable[[Lead], bool]:
    """Whether a lead is one a report covers (see `select_leads`)."""
    wanted = source.strip().casefold() if source else None

    def covered(lead: Lead) -> bool:
        if since is not None and lead.received_at < since:
            return False
        return wanted is None or source_label(lead).casefold() == wanted

    return covered


def by_source(
    leads: Sequence[Lead], touches_by_lead: Mapping[str, Sequence[Touch]], threshold: timedelta
) -> dict[str, Figures]:
    """The figures for each source, sorted by source name."""
    return compute_by_source(leads, touches_by_lead, threshold)[1]


@dataclass(frozen=True, slots=True)
class BlitzSummary:
    """One past (or running) blitz as history shows it."""

    id: str
    start: datetime
    end: datetime | None
    planned_minutes: float
    goal: int | None
    state: BlitzState
    minutes_used: float
    tallies: Tallies

    @property
    def ended_early(self) -> bool:
        return self.state is BlitzState.ENDED_EARLY

    @property
    def dials_per_hour(self) -> float | None:
        if self.minutes_used <= 0:
            return None
        return self.tallies.dials * 60.0 / self.minutes_used


def _last_saved(record: Mapping[str, Any]) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(record["updated_at"]))
    except (KeyError, TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def blitz_history(
    records: Iterable[Mapping[str, Any]], now: datetime, *, since: datetime | None = None
) -> tuple[list[BlitzSummary], int]:
    """Stored blitz records as summaries, oldest first, and how many were unreadable."""
    summaries: list[BlitzSummary] = []
    broken = 0
    for record in records:
        try:
            session = BlitzSession.from_record(record)
        except ValueError:
            broken += 1
            continue
        if since is not None and session.started_at < since:
            continue
        state = record_status(session, now)
        stop = session.ended_at or now
        if session.ended_at is None and state is BlitzState.ENDED_EARLY:
            stop = _last_saved(record) or session.due_end()  # abandoned: last known moment
        summaries.append(
            BlitzSummary(
                id=session.id,
                start=session.started_at,
                end=session.ended_at,
                planned_minutes=session.planned_minutes,
                goal=session.goal,
                state=state,
                minutes_used=session.elapsed(stop) / 60.0,
                tallies=session.tallies,
            )
        )
    summaries.sort(key=lambda s: s.start.astimezone(UTC))
    return summaries, broken
