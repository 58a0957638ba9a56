"""A repeat inquiry: what a new arrival of a known lead does to it (pure; every backend's
`add_leads` calls `apply_inquiry` for a draft that matched an existing lead).

Rules (issue 11):
- The inquiry is always recorded (`Lead.inquiries`), whatever else happens.
- Contact details: a phone number or email the lead did not have is kept. When the inquiry
  is the lead's newest arrival, its number becomes the one to call (`Lead.phone`) and its
  email the lead's email; the earlier ones are listed, newest first (`other_phones`,
  `other_emails`). An older inquiry recorded late only adds to those lists. A number on
  the do-not-call list is listed but never becomes the one to call.
- Zone: when the number to call changes, the zone (and its doubt) comes with it. An
  inquiry for the same number that names its zone ends a zone doubt.
- Reopening: a closed lead (exhausted, not-interested, bad-number, won; never dnc) that
  inquires again after its last touch starts over: `reopened_at` is set to the inquiry, so
  its speed-to-lead clock and cadence run from there (touches before it stay visible in
  its history and no longer count), its status is new, and a line in its notes says so.
  The same inquiry seen again (an import run twice) is no later than the lead's start and
  reopens nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from leadtui.domain.model import Lead, LeadDraft, LeadStatus, Touch

__all__ = ["InquiryResult", "apply_inquiry", "new_lead"]


@dataclass(frozen=True, slots=True)
class InquiryResult:
    """The lead after a repeat inquiry, and whether the inquiry reopened it."""

    lead: Lead
    reopened: bool


def new_lead(lead_id: str, draft: LeadDraft, *, listed: bool) -> Lead:
    """The lead a first inquiry creates (`listed`: its number is on the do-not-call list)."""
    return Lead(
        id=lead_id,
        name=draft.name,
        phone=draft.phone,
        email=draft.email,
        source=draft.source,
        timezone=draft.timezone,
        received_at=draft.received_at.astimezone(UTC),
        status=LeadStatus.DNC if listed else LeadStatus.NEW,
        notes=draft.notes,
        other_phones=tuple(p for p in dict.fromkeys(draft.other_phones) if p != draft.phone),
        zone_candidates=draft.zone_candidates,
    )


def _same(value: str) -> str:
    return value


def _merge(
    current: str,
    others: tuple[str, ...],
    new: str,
    promote: bool,
    key: Callable[[str], str] = _same,
) -> tuple[str, tuple[str, ...]]:
    """(main, others) after `new` arrives: promoted to main (the old main first in the
    list), or appended to the list when it is neither the main one nor listed yet."""
    if not new or key(new) == key(current):
        return current, others
    rest = tuple(item for item in others if key(item) != key(new))
    if promote or not current:  # (a lead without an email takes any that arrives)
        return new, ((current,) if current else ()) + rest
    if len(rest) == len(others):
        return current, (*others, new)
    return current, others


def _email_key(email: str) -> str:
    return email.strip().casefold()


def _stamp(lead: Lead, text: str) -> str:
    return f"{lead.notes}\n{text}" if lead.notes else text


def apply_inquiry(
    lead: Lead,
    touches: Sequence[Touch],
    draft: LeadDraft,
    *,
    dnc: Container[str],
    now: datetime | None = None,
) -> InquiryResult:
    """`lead` after the repeat inquiry `draft` (see the module docstring for the rules).

    `touches`: the lead's touches (any order); `dnc`: the numbers on the do-not-call list;
    `now`: the current time: a reopening never starts in the future (a web form's clock
    may run ahead of ours), so a call made right away counts in the new round.
    """
    at = draft.received_at.astimezone(UTC)
    newest = all(at >= earlier for earlier in (lead.received_at, *lead.inquiries))
    inquiries = (*lead.inquiries, at)
    is_dnc = lead.status is LeadStatus.DNC
    phone, phones = lead.phone, lead.other_phones
    promote = newest and not is_dnc and draft.phone not in dnc
    phone, phones = _merge(phone, phones, draft.phone, promote)
    for extra in draft.other_phones:
        phone, phones = _merge(phone, phones, extra, False)
    email, emails = _merge(lead.email, lead.other_emails, draft.email, newest, _email_key)
    timezone, candidates = lead.timezone, lead.zone_candidates
    if phone != lead.phone:
        timezone, candidates = draft.timezone, draft.zone_candidates
    elif draft.phone == lead.phone and lead.zone_unsure and not draft.zone_candidates:
        timezone, candidates = draft.timezone, ()
    updated = replace(
        lead,
        inquiries=inquiries,
        phone=phone,
        other_phones=phones,
        email=email,
        other_emails=emails,
        timezone=timezone,
        zone_candidates=candidates,
    )
    last_touch = max((t.at for t in touches), default=None)
    reopen = (
        not lead.status.active
        and not is_dnc
        and newest
        and at > lead.started_at
        and (last_touch is None or at > last_touch)
    )
    if not reopen:
        return InquiryResult(updated, False)
    note = (
        f"[{at:%Y-%m-%d %H:%M} UTC] reopened by a new inquiry "
        f"(was {lead.status.value}); the cadence starts over"
    )
    start = at if now is None else min(at, now.astimezone(UTC))
    if last_touch is not None and start <= last_touch:
        start = at  # (never before the touch that closed it)
    reopened = replace(
        updated, status=LeadStatus.NEW, reopened_at=start, notes=_stamp(updated, note)
    )
    return InquiryResult(reopened, True)
