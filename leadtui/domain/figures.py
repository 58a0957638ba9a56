"""One lead's part of the report: the compact figures a store keeps with each lead.

`lead_figures(lead, touches)` is everything `domain.metrics` needs from a lead and its
touches, computed once: its arrival and source (the report's scope), the figures of all
its touches (`LeadFact`), the same for each rep who logged a touch on it (the split by rep
and `report --rep`), and when each dial behind a blitz call started (blitz history). The
report only adds these up (`metrics.sum_figures`); whatever depends on the current time,
`--since`, the source asked for or the speed threshold is applied there, never here, so
a stored `LeadFigures` stays right until the lead or its touches change.

Stores keep them with the lead, written in the transaction that changed the lead, under a
fingerprint that includes `FACT_VERSION`: bump it whenever what a `LeadFact` means or how
it is computed changes, so every stored one is recomputed from the touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from leadtui.domain.model import Lead, LeadStatus, Outcome, Touch

__all__ = [
    "FACT_VERSION",
    "HOUR_CODES",
    "FactLike",
    "OUTCOME_CODES",
    "NO_REP",
    "NO_SOURCE",
    "LeadFact",
    "LeadFigures",
    "lead_fact",
    "lead_figures",
    "rep_key",
    "source_label",
]

#: The version of `LeadFact`'s meaning (part of every stored figures' fingerprint).
FACT_VERSION = 2
NO_SOURCE = "(no source)"
NO_REP = "(no rep)"


#: One letter per outcome (a `LeadFact` lists its touches' outcomes as a text of these).
OUTCOME_CODES: dict[Outcome, str] = {
    Outcome.NO_ANSWER: "n", Outcome.VM_HANGUP: "h", Outcome.VM_MESSAGE: "m",
    Outcome.TALKED: "t", Outcome.CALLBACK: "c", Outcome.APPOINTMENT: "a",
    Outcome.NOT_INTERESTED: "i", Outcome.BAD_NUMBER: "b", Outcome.DNC: "d", Outcome.WON: "w",
    Outcome.EMAIL: "e", Outcome.TEXT: "x",
}  # fmt: skip
_CODES = {outcome.value: code for outcome, code in OUTCOME_CODES.items()}
#: One character per call: its local hour * 2, + 1 if it reached the person (48 slots).
HOUR_CODES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"


class LeadFact(NamedTuple):
    """One lead's figures from a set of its touches (all of them, or one rep's).

    Plain values only (a store writes them as JSON): the touches' outcomes, one letter
    each (`OUTCOME_CODES`, time order); seconds from arrival to the first call (None:
    never called, never below 0); each call as one character of `HOUR_CODES` (its local
    hour and whether it reached the person, time order); attempts (calls up to and
    including the first contact, or all of them); and `flags`: 1 if any call reached the
    person, plus twice how the lead ended (`ended`). Its calls are `len(hours)`."""

    outcomes: str
    first_call: float | None
    hours: str
    attempts: int
    flags: int

    @property
    def reached(self) -> bool:
        """Whether any call reached the person."""
        return bool(self.flags & 1)

    @property
    def ended(self) -> int:
        """0 not exhausted, 1 exhausted never reached, 2 reached and then every follow-up
        went unanswered (judged on the touches since the inquiry that reopened it, if any)."""
        return self.flags >> 1


class FactLike(Protocol):
    """What the report reads of a `LeadFact`: a store may hand over any object with the
    same fields (its own decoded form), and `metrics.Tally` counts it the same way."""

    @property
    def outcomes(self) -> str: ...

    @property
    def first_call(self) -> float | None: ...

    @property
    def hours(self) -> str: ...

    @property
    def attempts(self) -> int: ...

    @property
    def flags(self) -> int: ...


class LeadFigures(NamedTuple):
    """Everything the report needs from one lead (see the module docstring).

    `reps`: rep key (`rep_key`) -> (the name as the rep spelt it, the fact of that rep's
    touches); `dials`: (blitz id, when the dial started) of each call logged in a blitz
    with a dial time."""

    source: str
    received_at: datetime
    fact: LeadFact
    reps: dict[str, tuple[str, LeadFact]]
    dials: list[tuple[str, datetime]]


def source_label(lead: Lead) -> str:
    """The lead's source as reports group it."""
    return lead.source.strip() or NO_SOURCE


def rep_key(name: str) -> str:
    """A rep's name as reports compare it: without case or outer spaces."""
    return name.strip().casefold()


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:  # an unknown zone in old data must not break the report
        return ZoneInfo("UTC")


def lead_fact(lead: Lead, touches: Sequence[Touch]) -> LeadFact:
    """The figures of `lead` from these of its touches (any order)."""
    touches = sorted(touches, key=lambda t: t.at)
    calls = [t for t in touches if t.outcome.is_call]
    seconds = None
    if calls:
        seconds = max(0.0, (calls[0].at - lead.received_at).total_seconds())
    tz = _zone(lead.timezone)
    hours = "".join(
        HOUR_CODES[call.at.astimezone(tz).hour * 2 + call.outcome.is_contact] for call in calls
    )
    attempts, reached = len(calls), False
    for number, call in enumerate(calls, start=1):
        if call.outcome.is_contact:
            attempts, reached = number, True
            break
    ended = 0
    if lead.status is LeadStatus.EXHAUSTED:
        restart = lead.reopened_at
        contact = any(t.outcome.is_contact for t in calls if restart is None or t.at >= restart)
        ended = 2 if contact else 1
    outcomes = "".join(_CODES[touch.outcome.value] for touch in touches)
    return LeadFact(outcomes, seconds, hours, attempts, int(reached) | ended << 1)


def lead_figures(lead: Lead, touches: Sequence[Touch]) -> LeadFigures:
    """The lead's part of the report (see `LeadFigures`)."""
    fact = lead_fact(lead, touches)
    by_rep: dict[str, list[Touch]] = {}
    for touch in touches:
        by_rep.setdefault(rep_key(touch.rep), []).append(touch)
    reps: dict[str, tuple[str, LeadFact]] = {}
    for key, mine in by_rep.items():
        spelling = min(t.rep.strip() for t in mine)
        reps[key] = (spelling, fact if len(mine) == len(touches) else lead_fact(lead, mine))
    dials = [
        (t.blitz_id, t.dialed_at)
        for t in touches
        if t.blitz_id is not None and t.dialed_at is not None
    ]
    return LeadFigures(source_label(lead), lead.received_at, fact, reps, dials)
