"""A lead as plain data: the one mapping of its fields to JSON-ready keys.

The store writes it to disk (times with microseconds, so they sort as text), the export
and the CLI's JSON print it (plain UTC ISO 8601): the caller says how a time is written.
A field added to `Lead` is added here once and reaches all three.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadtui.domain.model import Lead

#: The keys of `lead_record`, in order; `leadtui queue --json` shows the first eight.
LEAD_KEYS = (
    "id", "name", "phone", "email", "source", "timezone", "received_at", "status", "notes",
    "inquiries", "other_phones", "other_emails", "zone_candidates", "reopened_at",
)  # fmt: skip
#: The keys `sparse=True` leaves out while they are empty (added after the first release).
OPTIONAL_KEYS = LEAD_KEYS[10:]


def lead_record(
    lead: Lead, stamp: Callable[[datetime], str], *, sparse: bool = False
) -> dict[str, Any]:
    """The lead's fields keyed as `LEAD_KEYS`; every time written by `stamp` (a missing
    `reopened_at` is None). `sparse`: leave out the `OPTIONAL_KEYS` that are empty."""
    record: dict[str, Any] = {
        "id": lead.id,
        "name": lead.name,
        "phone": lead.phone,
        "email": lead.email,
        "source": lead.source,
        "timezone": lead.timezone,
        "received_at": stamp(lead.received_at),
        "status": lead.status.value,
        "notes": lead.notes,
        "inquiries": [stamp(at) for at in lead.inquiries],
        "other_phones": list(lead.other_phones),
        "other_emails": list(lead.other_emails),
        "zone_candidates": list(lead.zone_candidates),
        "reopened_at": None if lead.reopened_at is None else stamp(lead.reopened_at),
    }
    if sparse:
        for key in OPTIONAL_KEYS:
            if not record[key]:
                del record[key]
    return record
