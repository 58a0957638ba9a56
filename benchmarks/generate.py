"""Synthetic lead databases for the benchmarks, built through the real store API.

A database of N leads looks like a team's pool after months of use (seeded, so every run
builds the same one):

- about 2% fresh leads that arrived in the last three hours and were never called
  (some still hot, most aging);
- about 20% recent leads (0-21 days old) worked through the cadence by a rep who calls
  a little after each call falls due; a quarter of them fell behind (overdue, mid-cadence);
- the rest are older leads, worked until they were reached, closed or exhausted.

Zones: New York, Chicago, Denver, Los Angeles (US numbers), London (UK numbers) and
Sydney (AU numbers); several sources. Numbers come from the ranges set aside for fiction
first (US 555-01xx: 80,000; UK 07700 900xxx and 020 7946 0xxx; AU 0x 5550 xxxx and
0x 7010 xxxx), which cover every size up to 50,000 but for some UK leads; larger pools
(200,000, 1,000,000) continue with numbers phonenumbers calls valid for the same country.

The touches are planned with the real cadence engine (`next_action`) and then written with
`open_store`, `add_leads` and `log_touch`; every 2,000 leads go into one store transaction
so generating 50,000 leads takes seconds, not 200,000 fsyncs.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leadtui.domain.cadence import Cadence, next_action
from leadtui.domain.model import Lead, LeadDraft, Message, Outcome, Touch
from leadtui.domain.window import CallingWindow

#: The benchmarks' "now": a Monday, 19:00 UTC = 14:00 New York, 11:00 Los Angeles,
#: 19:00 London and 06:00 (closed) in Sydney.
BENCH_NOW = datetime(2026, 11, 16, 19, 0, tzinfo=UTC)
SEED = 7
CHUNK = 2_000  # leads per store transaction while building

ZONES: tuple[tuple[str, str, float], ...] = (  # zone, country of the number, share
    ("America/New_York", "US", 0.34),
    ("America/Chicago", "US", 0.22),
    ("America/Denver", "US", 0.08),
    ("America/Los_Angeles", "US", 0.22),
    ("Europe/London", "UK", 0.04),
    ("Australia/Sydney", "AU", 0.10),
)
SOURCES: tuple[tuple[str, float], ...] = (
    ("web-form", 0.35),
    ("google-ads", 0.2),
    ("facebook", 0.15),
    ("referral", 0.1),
    ("webinar", 0.08),
    ("chat", 0.07),
    ("trade-show", 0.05),
)
FIRST = (
    "Ada Bea Cal Dana Eli Fay Gus Hana Ivo Jo Kai Lena Milo Nia Omar Pia Quinn Rosa Sam Tara "
    "Uma Vic Wes Xena Yuri Zoe Ana Ben Cleo Dev Emi Finn Gia Hugo Iris Jude Kira Luis Maya Noor"
).split()
LAST = (
    "Abbott Baker Chen Diaz Evans Fischer Garcia Hughes Ito Jensen Kowalski Lopez Moreau Nakamura "
    "Okafor Patel Quist Rossi Silva Tanaka Urban Vargas Walsh Xu Young Zimmer Brennan Costa Dubois "
    "Eriksen"
).split()
US_FICTIONAL = 80_000
MAX_TOUCHES = 24
#: Older leads get a touch budget (mean about 3) and are then closed: pools are mostly
#: leads that were reached or given up on early, which keeps about four touches a lead.
OLD_BUDGETS = (1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8)
CLOSINGS = (Outcome.NOT_INTERESTED, Outcome.NOT_INTERESTED, Outcome.BAD_NUMBER, Outcome.WON)
WINDOW = CallingWindow()


@dataclass(slots=True)
class PlannedLead:
    """One lead to store and the touches to log on it, oldest first."""

    draft: LeadDraft
    touches: list[Touch] = field(default_factory=list)


def _us_numbers() -> Iterator[str]:
    """US: the fictional 555-0100..0199 in every area code 200-999 (80,000), then valid
    numbers of the area codes and exchanges phonenumbers knows (555 left out)."""
    for n in range(US_FICTIONAL):
        yield f"+1{200 + n // 100:03d}55501{n % 100:02d}"
    for area in range(201, 1000):
        for exchange in range(201, 1000):
            if exchange == 555 or not _valid(f"+1{area:03d}{exchange:03d}0100"):
                continue
            for line in range(10_000):
                yield f"+1{area:03d}{exchange:03d}{line:04d}"


def _uk_numbers() -> Iterator[str]:
    """UK: Ofcom's drama ranges (07700 900xxx, 020 7946 0xxx), then valid mobiles."""
    for n in range(1_000):
        yield f"+447700900{n:03d}"
    for n in range(1_000):
        yield f"+442079460{n:03d}"
    for block in range(1_000, 10_000):
        if _valid(f"+447{block:04d}00000"):
            for n in range(100_000):
                yield f"+447{block:04d}{n:05d}"


def _au_numbers() -> Iterator[str]:
    """AU: ACMA's fictional ranges (02/03/07/08 5550 xxxx and 7010 xxxx), then valid
    mobiles."""
    for prefix in ("25550", "35550", "75550", "85550", "27010", "37010", "77010", "87010"):
        for n in range(10_000):
            yield f"+61{prefix}{n:04d}"
    for block in range(400, 500):
        if _valid(f"+61{block}000000"):
            for n in range(1_000_000):
                yield f"+61{block}{n:06d}"


def _valid(number: str) -> bool:
    import phonenumbers

    return phonenumbers.is_valid_number(phonenumbers.parse(number))


class _Phones:
    """Unique numbers per country, fictional ranges first (the sizes up to 50,000 use
    those only, apart from the UK's 2,000); past them, numbers phonenumbers calls valid
    (ranges checked per block), so 200,000 and 1,000,000 leads get real-looking numbers
    of their own country. Never dialled: the benchmarks only store them."""

    def __init__(self) -> None:
        self._sources = {"US": _us_numbers(), "UK": _uk_numbers(), "AU": _au_numbers()}

    def next(self, country: str) -> tuple[str, str]:
        return next(self._sources[country]), country


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(weighted, weights=[row[-1] for row in weighted])[0]


def _outcome(rng: random.Random, kind: str, message: Message) -> Outcome:
    """What came of a call: mostly nobody there; reached more often once in contact."""
    roll = rng.random()
    if kind in ("follow-up", "callback", "appointment"):
        if roll < 0.5:
            return rng.choice((Outcome.NO_ANSWER, Outcome.VM_HANGUP))
        return rng.choices(
            (
                Outcome.WON,
                Outcome.NOT_INTERESTED,
                Outcome.TALKED,
                Outcome.CALLBACK,
                Outcome.APPOINTMENT,
            ),
            weights=(25, 30, 25, 10, 10),
        )[0]
    if roll < 0.01:
        return Outcome.BAD_NUMBER
    if roll < 0.015:
        return Outcome.DNC
    if roll < 0.15:
        return rng.choices(
            (
                Outcome.TALKED,
                Outcome.CALLBACK,
                Outcome.APPOINTMENT,
                Outcome.NOT_INTERESTED,
                Outcome.WON,
            ),
            weights=(35, 15, 10, 30, 10),
        )[0]
    if message is not Message.NONE and rng.random() < 0.6:
        return Outcome.VM_MESSAGE
    return rng.choice((Outcome.NO_ANSWER, Outcome.NO_ANSWER, Outcome.VM_HANGUP))


def _work(
    rng: random.Random,
    lead: Lead,
    cadence: Cadence,
    cutoff: datetime,
    reps: Sequence[str],
    limit: int = MAX_TOUCHES,
) -> list[Touch]:
    """Replay a rep working the lead until `cutoff`: each call a little after it is due.
    After `limit` touches a lead still open is closed (its last call says so)."""
    touches: list[Touch] = []
    rep = rng.choice(reps)
    while True:
        action = next_action(lead, touches, cadence, WINDOW)
        if action is None:
            break
        if len(touches) >= limit:
            at = max(action.due_at, touches[-1].at + timedelta(minutes=1))
            if at <= cutoff:
                closing = rng.choice(CLOSINGS)
                touches.append(_touch(lead, len(touches), closing, at, None, rep))
            break
        at = action.due_at + timedelta(minutes=rng.uniform(0.5, 25))
        if touches and at <= touches[-1].at:
            at = touches[-1].at + timedelta(minutes=1)
        if at > cutoff:
            break
        if action.channel.value != "call":
            outcome = Outcome.EMAIL if action.channel.value == "email" else Outcome.TEXT
        else:
            outcome = _outcome(rng, action.kind, action.message)
        when = None
        if outcome in (Outcome.CALLBACK, Outcome.APPOINTMENT):
            when = at + timedelta(hours=rng.uniform(2, 72))
        touches.append(_touch(lead, len(touches), outcome, at, when, rep))
        if outcome.is_call and rng.random() < 0.05:  # now and then an email after the call
            extra = Outcome.EMAIL if rng.random() < 0.7 else Outcome.TEXT
            touches.append(_touch(lead, len(touches), extra, at + timedelta(minutes=2), None, rep))
    return touches


def _touch(
    lead: Lead, n: int, outcome: Outcome, at: datetime, when: datetime | None, rep: str
) -> Touch:
    return Touch(id=f"t{n}", lead_id=lead.id, outcome=outcome, at=at, when=when, rep=rep)


def plan_leads(
    count: int, cadence: Cadence, *, now: datetime = BENCH_NOW, seed: int = SEED
) -> list[PlannedLead]:
    """`count` leads with their touches, deterministic for a given seed."""
    return list(iter_planned(count, cadence, now=now, seed=seed))


def iter_planned(
    count: int, cadence: Cadence, *, now: datetime = BENCH_NOW, seed: int = SEED
) -> Iterator[PlannedLead]:
    """`plan_leads` one lead at a time (the same leads): 1,000,000 planned leads with
    their touches do not fit comfortably in memory at once."""
    rng = random.Random(seed)
    phones = _Phones()
    reps = ("Sam Rivera", "Alex Kim", "Jordan Lee")
    for i in range(count):
        tz, country, _ = _pick(rng, ZONES)
        phone, _ = phones.next(country)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{i}@example.com".lower() if rng.random() < 0.7 else ""
        kind, limit = rng.random(), MAX_TOUCHES
        if kind < 0.02:
            received, cutoff = now - timedelta(minutes=rng.uniform(0.5, 180)), None
        elif kind < 0.22:
            received = now - timedelta(hours=rng.uniform(0.5, 21 * 24))
            behind = rng.random() < 0.25
            cutoff = now - timedelta(hours=rng.uniform(0, 48)) if behind else now
        else:
            received, cutoff = now - timedelta(days=rng.uniform(22, 365)), now
            limit = rng.choice(OLD_BUDGETS)
        received = received.replace(microsecond=0)
        draft = LeadDraft(
            name=f"{first} {last}",
            phone=phone,
            email=email,
            source=_pick(rng, SOURCES)[0],
            timezone=tz,
            received_at=received,
        )
        lead = Lead(
            id=f"plan{i}",
            name=draft.name,
            phone=phone,
            email=email,
            source=draft.source,
            timezone=tz,
            received_at=received,
        )
        touches = (
            []
            if cutoff is None or cutoff <= received
            else _work(rng, lead, cadence, cutoff, reps, limit)
        )
        yield PlannedLead(draft, touches)


@contextmanager
def bulk(store: Any) -> Iterator[None]:
    """Join the writes inside into one durable store write (one fsync): `store.batch()`,
    or the storage's transaction on stores from before it; else call by call."""
    batch = getattr(store, "batch", None)
    if batch is None:
        batch = getattr(getattr(store, "_storage", None), "transaction", None)
    if batch is None:
        yield
        return
    with batch():
        yield


def compact(store: Any) -> bool:
    """Fold the journal into a fresh snapshot, when the store can; True if it did."""
    action = getattr(store, "compact", None) or getattr(
        getattr(store, "_storage", None), "compact", None
    )
    if action is None:
        return False
    action()
    return True


def write_leads(store: Any, planned: Sequence[PlannedLead], *, now: datetime = BENCH_NOW) -> int:
    """Store the planned leads and log their touches; returns the number of touches."""
    logged = 0
    for start in range(0, len(planned), CHUNK):
        chunk = planned[start : start + CHUNK]
        with bulk(store):
            results = store.add_leads([p.draft for p in chunk], now)
            for result, plan in zip(results, chunk, strict=True):
                for t in plan.touches:
                    store.log_touch(result.lead.id, t.outcome, t.at, when=t.when, rep=t.rep)
                    logged += 1
    compact(store)  # start every size from a fresh snapshot and an empty journal
    return logged


def write_csv(path: Path, planned: Sequence[PlannedLead]) -> None:
    """The same leads as a vendor CSV (header spellings that need the import's aliases)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Full Name", "Phone Number", "E-mail", "Lead Source", "Time Zone", "Created"])
        for p in planned:
            d = p.draft
            received = d.received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.writerow([d.name, d.phone, d.email, d.source, d.timezone, received])


def describe(planned: Sequence[PlannedLead]) -> dict[str, float]:
    """Counts for the report: leads, touches, touches per lead."""
    touches = sum(len(p.touches) for p in planned)
    return {
        "leads": len(planned),
        "touches": touches,
        "touches_per_lead": touches / max(1, len(planned)),
    }
