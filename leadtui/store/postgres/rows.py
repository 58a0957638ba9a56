"""Rows <-> model objects for the PostgreSQL store, and the lead row's stored next action.

The next action (kind, message, due time, rank key) is a pure function of the lead, its
touches, the cadence and the calling window (domain.cadence.evaluate); the store writes it
in the same transaction as the change that moved it, so the queue is one indexed query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from leadtui.domain.cadence import Cadence, evaluate
from leadtui.domain.model import Lead, LeadStatus, Outcome, Touch
from leadtui.domain.window import CallingWindow
from leadtui.store.index import email_key

LEAD_COLUMNS = (
    "id, name, phone, email, source, timezone, received_at, status, notes, inquiries, "
    "other_phones, other_emails, zone_candidates, reopened_at"
)
N_LEAD = 14  # columns in LEAD_COLUMNS
TOUCH_COLUMNS = (
    "id, lead_id, outcome, at, note, asked_for, rep, override_window, blitz_id, dialed_at"
)
_ASKED = frozenset({"callback", "appointment"})


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def lead_from_row(row: Sequence[Any]) -> Lead:
    inquiries = row[9]
    return Lead(
        id=row[0],
        name=row[1],
        phone=row[2],
        email=row[3],
        source=row[4],
        timezone=row[5],
        received_at=_utc(row[6]),
        status=LeadStatus(row[7]),
        notes=row[8],
        inquiries=tuple(_utc(at) for at in inquiries) if inquiries else (),
        other_phones=tuple(row[10]),
        other_emails=tuple(row[11]),
        zone_candidates=tuple(row[12]),
        reopened_at=_utc(row[13]) if row[13] is not None else None,
    )


def lead_values(lead: Lead) -> tuple[Any, ...]:
    """The lead's own columns, in the order of LEAD_WRITE."""
    return (
        lead.id, lead.name, lead.phone, lead.email, email_key(lead.email), lead.source,
        lead.timezone, lead.received_at, lead.status.value, lead.notes, list(lead.inquiries),
        list(lead.other_phones), list(lead.other_emails),
        [email_key(e) for e in lead.other_emails], list(lead.zone_candidates), lead.reopened_at,
    )  # fmt: skip


LEAD_WRITE = (
    "id, name, phone, email, email_key, source, timezone, received_at, status, notes, "
    "inquiries, other_phones, other_emails, other_email_keys, zone_candidates, reopened_at"
)


def touch_from_row(row: Sequence[Any]) -> Touch:
    return Touch(
        id=row[0],
        lead_id=row[1],
        outcome=Outcome(row[2]),
        at=_utc(row[3]),
        note=row[4],
        when=_utc(row[5]) if row[5] is not None else None,
        rep=row[6],
        override_window=row[7],
        blitz_id=row[8],
        dialed_at=_utc(row[9]) if row[9] is not None else None,
    )


def touch_to_json(touch: Touch) -> dict[str, Any]:
    """A touch as plain JSON (the stored result of a write, for an idempotent retry)."""
    return {
        "id": touch.id,
        "lead_id": touch.lead_id,
        "outcome": touch.outcome.value,
        "at": touch.at.isoformat(),
        "note": touch.note,
        "when": touch.when.isoformat() if touch.when else None,
        "rep": touch.rep,
        "override_window": touch.override_window,
        "blitz_id": touch.blitz_id,
        "dialed_at": touch.dialed_at.isoformat() if touch.dialed_at else None,
    }


def touch_from_json(doc: dict[str, Any]) -> Touch:
    return Touch(
        id=doc["id"],
        lead_id=doc["lead_id"],
        outcome=Outcome(doc["outcome"]),
        at=datetime.fromisoformat(doc["at"]).astimezone(UTC),
        note=doc["note"],
        when=datetime.fromisoformat(doc["when"]).astimezone(UTC) if doc["when"] else None,
        rep=doc["rep"],
        override_window=doc["override_window"],
        blitz_id=doc["blitz_id"],
        dialed_at=(
            datetime.fromisoformat(doc["dialed_at"]).astimezone(UTC)
            if doc.get("dialed_at") else None
        ),
    )


def next_columns(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> tuple[Any, ...]:
    """(next_kind, next_message, next_due, next_asked, rank_group, rank_key, next_late) for
    the lead row (NEXT_WRITE): None throughout when the lead has no next action (closed,
    or dnc). The rank key is domain.queue's: asked-for times earliest first, never-called
    leads freshest first (from the start of their round), the rest most overdue first."""
    if lead.status is LeadStatus.DNC or not lead.status.active:
        return (None,) * 7
    assessment = evaluate(lead, tuple(touches), cadence, window)
    action = assessment.action
    if action is None:
        return (None,) * 7
    due = action.due_at
    if action.kind in _ASKED:
        group, key = 0, due.timestamp()
    elif assessment.calls == 0:
        group, key = 1, -lead.started_at.timestamp()
    else:
        group, key = 2, due.timestamp()
    return (action.kind, action.message.value, due, action.ignores_window, group, key,
            action.late_at)  # fmt: skip


NEXT_WRITE = "next_kind, next_message, next_due, next_asked, rank_group, rank_key, next_late"
