"""The one way a lead comes in: `leadtui add`, the webhook and the mailbox watcher all call
`add_lead` (or `add_arrivals` for a batch, as the mailbox reads 200 messages at a time), so
dedupe, do-not-call, zone and repeat inquiries behave the same everywhere.

The fields are raw text as the outside world gave them; `prepare_lead` (domain) cleans and
checks them (LeadError naming the bad field), then the store decides duplicate / DNC / new
in one durable write. `inquiry_key` (a Message-ID, a scoped Idempotency-Key) makes a retry
store nothing new and get the first answer back (`AddResult.replayed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from leadtui.domain.intake import prepare_lead
from leadtui.domain.model import LeadDraft, LeadError
from leadtui.domain.text import clean_text
from leadtui.store.protocol import AddResult, LeadStore

MAX_KEY = 300


@dataclass(frozen=True, slots=True)
class Arrival:
    """One lead as it arrived: raw text, not checked yet."""

    name: str
    phone: str
    email: str = ""
    source: str = ""
    timezone: str | None = None
    received_at: datetime | None = None
    notes: str = ""
    inquiry_key: str = ""
    other_phones: tuple[str, ...] = ()  # more numbers given with the inquiry


def prepare(arrival: Arrival, *, region: str, default_timezone: str, now: datetime) -> LeadDraft:
    """The checked draft of an arrival; LeadError naming the bad field."""
    draft = prepare_lead(
        name=arrival.name,
        phone=arrival.phone,
        email=arrival.email,
        source=arrival.source,
        timezone=arrival.timezone,
        received_at=arrival.received_at,
        notes=arrival.notes,
        region=region,
        default_timezone=default_timezone,
        now=now,
        other_phones=arrival.other_phones,
    )
    if arrival.inquiry_key:
        key = clean_text(arrival.inquiry_key, max_length=MAX_KEY, field="inquiry key")
        draft = replace(draft, inquiry_key=key)
    return draft


def add_lead(
    store: LeadStore,
    *,
    name: str,
    phone: str,
    email: str = "",
    source: str = "",
    timezone: str | None = None,
    received_at: datetime | None = None,
    notes: str = "",
    inquiry_key: str = "",
    region: str = "US",
    default_timezone: str = "America/New_York",
    now: datetime,
) -> AddResult:
    """Validate one lead and store it (durable before returning); LeadError if refused."""
    arrival = Arrival(name, phone, email, source, timezone, received_at, notes, inquiry_key)
    draft = prepare(arrival, region=region, default_timezone=default_timezone, now=now)
    (result,) = store.add_leads([draft], now)
    return result


def add_arrivals(
    store: LeadStore,
    arrivals: Sequence[Arrival],
    *,
    region: str = "US",
    default_timezone: str = "America/New_York",
    now: datetime,
) -> list[AddResult | LeadError]:
    """`add_lead` for many at once, in ONE durable write: per arrival its result, or the
    LeadError that refused it (the others are stored all the same)."""
    answers: list[AddResult | LeadError | None] = [None] * len(arrivals)
    drafts: list[tuple[int, LeadDraft]] = []
    for position, arrival in enumerate(arrivals):
        try:
            drafts.append(
                (
                    position,
                    prepare(arrival, region=region, default_timezone=default_timezone, now=now),
                )  # fmt: skip
            )
        except LeadError as err:
            answers[position] = err
    if drafts:
        results = store.add_leads([draft for _, draft in drafts], now)
        for (position, _), result in zip(drafts, results, strict=True):
            answers[position] = result
    return [answer for answer in answers if answer is not None]
