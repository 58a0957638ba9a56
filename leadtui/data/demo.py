"""Demo leads for `leadtui --demo`: about 40 fictional leads in every stage, relative to now.

Built through the service (`add_leads`, then `record_touch` with past times) and the cadence
engine, so the demo is exactly what real use would have produced. Deterministic for a given
`now` (seeded random). Names are invented; phone numbers are in ranges set aside for fiction
(555-01xx in North America, Ofcom's drama ranges in the UK, ACMA's 5550 range in Australia);
email addresses use the reserved example.* domains.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from leadtui.domain.cadence import Cadence, next_action
from leadtui.domain.intake import prepare_lead
from leadtui.domain.model import Channel, Message, NextAction, Outcome
from leadtui.domain.window import CallingWindow, is_open, next_opening
from leadtui.service.leads import add_leads
from leadtui.service.outcomes import record_touch

if TYPE_CHECKING:
    from leadtui.config import Settings
    from leadtui.store.protocol import LeadStore

REP = "Demo Rep"
SEED = 20240611

# (zone, phone number pattern); the last four digits count up from 0100.
ZONES: tuple[tuple[str, str], ...] = (
    ("America/New_York", "+1212555{:04d}"),
    ("America/Chicago", "+1312555{:04d}"),
    ("America/Denver", "+1303555{:04d}"),
    ("America/Los_Angeles", "+1415555{:04d}"),
    ("America/Phoenix", "+1602555{:04d}"),
    ("Europe/London", "+44207946{:04d}"),
    ("Australia/Sydney", "+6125550{:04d}"),
    ("Australia/Melbourne", "+6135550{:04d}"),
)
PURCHASED = ("QuoteMarket (purchased)", "LeadVendor Pro (purchased)", "DataBridge list (purchased)")
SELF_GENERATED = ("web form", "referral", "webinar", "live chat", "trade show")
FIRST = (
    "Avery", "Blake", "Carmen", "Dario", "Elena", "Farid", "Greta", "Hollis", "Ines", "Jonah",
    "Keiko", "Lorenzo", "Maren", "Nadia", "Otto", "Priya", "Quinn", "Rosa", "Soren", "Tamsin",
    "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zelda", "Bram", "Cleo", "Dev", "Esme",
    "Fenna", "Gideon", "Hana", "Idris", "Juno", "Kit", "Lale", "Milo", "Noor", "Odile",
)  # fmt: skip
LAST = (
    "Ashdown", "Brightwater", "Calloway", "Dunmore", "Ellery", "Fairclough", "Greaves",
    "Holloway", "Ingram", "Jessop", "Kestrel", "Lindqvist", "Marchetti", "Northcott",
    "Okafor", "Pennington", "Quartermaine", "Rowntree", "Sandoval", "Thistlewood",
)  # fmt: skip
NOTES = (
    "Asked about pricing for two locations.",
    "Prefers calls after lunch.",
    "Downloaded the buyer's guide.",
    "Mentioned a competitor quote last week.",
    "",
    "",
    "",
)


@dataclass(frozen=True)
class _Plan:
    """One demo lead: how old it is and what happened to it so far."""

    age: timedelta
    calls: int = 0  # cadence calls already made; FOLLOW = every call due until now
    ending: Outcome | None = None  # a final outcome after the calls
    when: timedelta | None = None  # for callback / appointment / talked: from now
    purchased: bool = False
    due_now: bool = False  # put it in a zone whose calling window is open now


FOLLOW = 99  # make every cadence call that fell due before now


def _plans() -> list[_Plan]:
    s, m, h, d = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
    fresh = (25 * s, 90 * s, 3 * m, 4 * m + 30 * s, 7 * m)
    aging = (11 * m, 18 * m, 34 * m, 52 * m, 95 * m, 3 * h, 5 * h, 9 * h)
    working = (50 * m, 2 * h, 5 * h, 20 * h, 28 * h, 2 * d, 3 * d, 4 * d, 6 * d, 9 * d, 12 * d)
    return [
        # brand new (seconds to minutes old) and aging (never called, 10 minutes to hours)
        *(_Plan(age, purchased=i % 2 == 1, due_now=True) for i, age in enumerate(fresh)),
        *(_Plan(age, purchased=i % 2 == 0, due_now=i < 6) for i, age in enumerate(aging)),
        # mid-cadence: the calls of day 0, 1, 3 ... made when due; some have one due now
        *(
            _Plan(age, FOLLOW, purchased=i % 3 == 0, due_now=i % 2 == 0)
            for i, age in enumerate(working)
        ),
        _Plan(17 * d, FOLLOW),
        # callbacks asked for: two due now, one later today; an appointment tomorrow
        _Plan(2 * d, calls=1, ending=Outcome.CALLBACK, when=-3 * m, due_now=True),
        _Plan(26 * h, calls=2, ending=Outcome.CALLBACK, when=-m, due_now=True),
        _Plan(3 * d, calls=2, ending=Outcome.CALLBACK, when=2 * h),
        _Plan(5 * d, calls=1, ending=Outcome.APPOINTMENT, when=d + 3 * h),
        # talked: follow-up calls (one due now); an email after a call
        _Plan(25 * h, calls=1, ending=Outcome.TALKED, due_now=True),
        _Plan(4 * d, calls=2, ending=Outcome.TALKED, when=d, purchased=True),
        _Plan(30 * h, calls=1, ending=Outcome.EMAIL),
        # closed, and exhausted (the whole cadence without reaching anyone)
        _Plan(8 * d, calls=2, ending=Outcome.WON),
        _Plan(6 * d, calls=3, ending=Outcome.NOT_INTERESTED, purchased=True),
        _Plan(10 * d, calls=1, ending=Outcome.BAD_NUMBER, purchased=True),
        _Plan(7 * d, calls=2, ending=Outcome.DNC, purchased=True),
        _Plan(30 * d, FOLLOW, purchased=True),
        _Plan(26 * d, FOLLOW),
    ]


def build_demo(
    store: LeadStore, now: datetime, *, cadence: Cadence, settings: Settings
) -> list[str]:
    """Fill an (empty) store with the demo leads; returns their ids, in creation order."""
    rng = random.Random(SEED)
    plans = _plans()
    firsts = rng.sample(FIRST, len(plans))
    lasts = [rng.choice(LAST) for _ in plans]
    counters = {zone: 100 for zone, _ in ZONES}
    open_now = [z for z in ZONES if is_open(settings.window, z[0], now)] or list(ZONES)
    drafts = []
    for i, plan in enumerate(plans):
        pool = open_now if plan.due_now else ZONES
        zone, pattern = pool[(i * 3 + rng.randrange(2)) % len(pool)]
        number = counters[zone]
        counters[zone] += 1
        first, last = firsts[i], lasts[i]
        source = rng.choice(PURCHASED if plan.purchased else SELF_GENERATED)
        domain = rng.choice(("example.com", "example.net", "example.org"))
        email = f"{first}.{last}@{domain}".lower() if rng.random() < 0.8 else ""
        drafts.append(
            prepare_lead(
                name=f"{first} {last}",
                phone=pattern.format(number),
                email=email,
                source=source,
                timezone=zone,
                received_at=now - plan.age,
                notes=rng.choice(NOTES),
                region=settings.default_region,
                default_timezone=settings.default_timezone,
                now=now,
            )
        )
    results = add_leads(store, drafts, now)
    for plan, result in zip(plans, results, strict=True):
        _play(store, result.lead.id, plan, now, cadence, settings.window, rng)
    return [result.lead.id for result in results]


def _play(
    store: LeadStore,
    lead_id: str,
    plan: _Plan,
    now: datetime,
    cadence: Cadence,
    window: CallingWindow,
    rng: random.Random,
) -> None:
    """Log the plan's calls at the times the cadence made them due, then its ending.

    A lead meant to be due now keeps its latest due call (if it fell due in the last few
    hours) for the rep; the others have every call made that fell due before now.
    """
    last_at = store.get_lead(lead_id).received_at
    keep_due = timedelta(hours=3) if plan.due_now else timedelta(minutes=5)
    for _ in range(plan.calls):
        lead = store.get_lead(lead_id)
        action = next_action(lead, store.touches(lead_id), cadence, window)
        if action is None or action.due_at >= now - keep_due:
            break  # nothing left, or this step is for the rep to make now / later
        at = max(action.due_at, last_at) + timedelta(minutes=rng.randrange(1, 25))
        if at >= now - timedelta(minutes=2):
            break
        record_touch(store, lead_id, _unreached(action, rng), at, rep=REP)
        last_at = at
    if plan.ending is None:
        return
    at = min(last_at + timedelta(hours=rng.randrange(2, 20)), now - timedelta(minutes=30))
    at = max(at, last_at + timedelta(minutes=1))
    in_window = next_opening(window, store.get_lead(lead_id).timezone, at)
    if in_window < now - timedelta(minutes=30):
        at = in_window  # a rep talks to people in the day, not at 3 a.m. their time
    when = now + plan.when if plan.when is not None else None
    if plan.ending is Outcome.TALKED and plan.due_now:
        at = now - timedelta(days=1, minutes=10)  # the default follow-up (a day later) is due
    note = {
        Outcome.CALLBACK: "Asked to be called back at a set time.",
        Outcome.APPOINTMENT: "Demo booked.",
        Outcome.TALKED: "Good chat; wants to think it over.",
        Outcome.WON: "Signed up.",
        Outcome.NOT_INTERESTED: "Went with another provider.",
        Outcome.EMAIL: "Sent the overview email.",
    }.get(plan.ending, "")
    record_touch(store, lead_id, plan.ending, at, note=note, when=when, rep=REP)


def _unreached(action: NextAction, rng: random.Random) -> Outcome:
    if action.channel is Channel.EMAIL:
        return Outcome.EMAIL
    if action.channel is Channel.TEXT:
        return Outcome.TEXT
    if action.message is not Message.NONE:
        return Outcome.VM_MESSAGE if rng.random() < 0.8 else Outcome.NO_ANSWER
    return rng.choice((Outcome.VM_HANGUP, Outcome.NO_ANSWER))


def demo_sources() -> Sequence[str]:
    """Every source the demo uses (purchased first)."""
    return (*PURCHASED, *SELF_GENERATED)
