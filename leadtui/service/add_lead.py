"""The one way a lead comes in: `leadtui add`, the webhook and the mailbox watcher all call
`add_lead`, so dedupe, do-not-call, zone and repeat inquiries behave the same everywhere.

The fields are raw text as the outside world gave them; `prepare_lead` (domain) cleans and
checks them (LeadError naming the bad field), then the store decides duplicate / DNC / new
in one durable write. `inquiry_key` (a Message-ID, a scoped Idempotency-Key) makes a retry
store nothing new and get the first answer back (`AddResult.replayed`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from leadtui.domain.intake import prepare_lead
from leadtui.domain.text import clean_text
from leadtui.store.protocol import AddResult, LeadStore

MAX_KEY = 300


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
    draft = prepare_lead(
        name=name,
        phone=phone,
        email=email,
        source=source,
        timezone=timezone,
        received_at=received_at,
        notes=notes,
        region=region,
        default_timezone=default_timezone,
        now=now,
    )
    if inquiry_key:
        draft = replace(
            draft, inquiry_key=clean_text(inquiry_key, max_length=MAX_KEY, field="inquiry key")
        )
    (result,) = store.add_leads([draft], now)
    return result
