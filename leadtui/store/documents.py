"""Documents <-> model objects: the stored form of leads and touches (and the store's
table names), and turning documents back into `Lead`s and `Touch`es fast.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from leadtui.domain.model import Lead, LeadError, LeadStatus, Outcome, Touch
from leadtui.domain.records import lead_record

Doc = dict[str, Any]
LEADS, TOUCHES, DNC, CLAIMS, BLITZES, META = "leads", "touches", "dnc", "claims", "blitzes", "meta"


def utc(value: datetime, what: str = "time") -> datetime:
    """`value` in UTC; LeadError for a naive datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise LeadError(f"the {what} must include a time zone")
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """The stored form of a time: UTC ISO-8601 with microseconds (sorts as text)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without zone: {value!r}")
    return parsed.astimezone(UTC)


def email_key(email: str) -> str:
    return email.strip().casefold()


def lead_doc(lead: Lead) -> Doc:
    """The stored form of a lead (`domain.records`, times as `iso`); issue 11's fields only
    when set, so older databases and small leads look the same."""
    return lead_record(lead, iso, sparse=True)


def _texts(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if not isinstance(value, list) or not all(type(item) is str for item in value):
        raise TypeError("expected a list of text")
    return tuple(value)


def lead_from_doc(doc: Doc) -> Lead:
    inquiries = doc.get("inquiries")
    reopened = doc.get("reopened_at")
    return _lead(
        doc["id"],
        doc["name"],
        doc["phone"],
        doc.get("email", ""),
        doc.get("source", ""),
        doc["timezone"],
        _time(doc["received_at"]),
        _STATUSES[doc.get("status", "new")],
        doc.get("notes", ""),
        tuple(map(_time, inquiries)) if inquiries else (),
        _texts(doc.get("other_phones")),
        _texts(doc.get("other_emails")),
        _texts(doc.get("zone_candidates")),
        _time(reopened) if reopened is not None else None,
    )


def touch_doc(touch: Touch) -> Doc:
    """Only non-default optional fields are stored (200,000 touches stay small)."""
    doc: Doc = {
        "id": touch.id,
        "lead_id": touch.lead_id,
        "outcome": touch.outcome.value,
        "at": iso(touch.at),
    }
    if touch.note:
        doc["note"] = touch.note
    if touch.when is not None:
        doc["when"] = iso(touch.when)
    if touch.rep:
        doc["rep"] = touch.rep
    if touch.override_window:
        doc["override_window"] = True
    if touch.blitz_id is not None:
        doc["blitz_id"] = touch.blitz_id
    if touch.dialed_at is not None:
        doc["dialed_at"] = iso(touch.dialed_at)
    return doc


def touch_from_doc(doc: Doc) -> Touch:
    when = doc.get("when")
    dialed = doc.get("dialed_at")
    return _touch(
        doc["id"],
        doc["lead_id"],
        _OUTCOMES[doc["outcome"]],
        _time(doc["at"]),
        doc.get("note", ""),
        _time(when) if when is not None else None,
        doc.get("rep", ""),
        bool(doc.get("override_window", False)),
        doc.get("blitz_id"),
        _time(dialed) if dialed is not None else None,
    )


# Lead and Touch are frozen dataclasses: their generated __init__ sets every field through
# object.__setattr__, 1.2-2 µs for a Touch. The store builds tens of thousands at once (the
# first queue at 50,000 leads converts 23,000 touches; a report 200,000), so it fills their
# slots directly (0.6 µs): the same objects, equal, hashable and still frozen. There is no
# __post_init__ to skip; `fast_models_match()` and a unit test keep the field lists honest.
_new = object.__new__
_TOUCH_FIELDS = ("id", "lead_id", "outcome", "at", "note", "when", "rep", "override_window",
                 "blitz_id", "dialed_at")  # fmt: skip
_LEAD_FIELDS = ("id", "name", "phone", "email", "source", "timezone", "received_at", "status",
                "notes", "inquiries", "other_phones", "other_emails", "zone_candidates",
                "reopened_at")  # fmt: skip
(_t_id, _t_lead, _t_outcome, _t_at, _t_note, _t_when, _t_rep, _t_override, _t_blitz,
 _t_dialed) = (
    getattr(Touch, name).__set__ for name in _TOUCH_FIELDS
)
(_l_id, _l_name, _l_phone, _l_email, _l_source, _l_tz, _l_received, _l_status, _l_notes,
 _l_inquiries, _l_phones, _l_emails, _l_zones, _l_reopened) = (
    getattr(Lead, name).__set__ for name in _LEAD_FIELDS
)  # fmt: skip


def fast_models_match() -> bool:
    """True while the slot lists above are exactly Touch's and Lead's fields, in order."""
    return (
        tuple(f.name for f in fields(Touch)) == _TOUCH_FIELDS
        and tuple(f.name for f in fields(Lead)) == _LEAD_FIELDS
        and not hasattr(Touch, "__post_init__")
        and not hasattr(Lead, "__post_init__")
    )


def _touch(*values: Any) -> Touch:
    touch = _new(Touch)
    (id_, lead_id, outcome, at, note, when, rep, override, blitz_id, dialed_at) = values
    _t_id(touch, id_)
    _t_lead(touch, lead_id)
    _t_outcome(touch, outcome)
    _t_at(touch, at)
    _t_note(touch, note)
    _t_when(touch, when)
    _t_rep(touch, rep)
    _t_override(touch, override)
    _t_blitz(touch, blitz_id)
    _t_dialed(touch, dialed_at)
    return touch


def _lead(*values: Any) -> Lead:
    lead = _new(Lead)
    (id_, name, phone, email, source, tz, received, status, notes, inquiries, phones, emails,
     zones, reopened) = values  # fmt: skip
    _l_id(lead, id_)
    _l_name(lead, name)
    _l_phone(lead, phone)
    _l_email(lead, email)
    _l_source(lead, source)
    _l_tz(lead, tz)
    _l_received(lead, received)
    _l_status(lead, status)
    _l_notes(lead, notes)
    _l_inquiries(lead, inquiries)
    _l_phones(lead, phones)
    _l_emails(lead, emails)
    _l_zones(lead, zones)
    _l_reopened(lead, reopened)
    return lead


if not fast_models_match():  # pragma: no cover - fails at import, in every test run
    raise RuntimeError("leadtui.store.index: update _TOUCH_FIELDS/_LEAD_FIELDS for the model")


_OUTCOMES = {outcome.value: outcome for outcome in Outcome}
_SHARED_LEAD_FIELDS = ("status", "source", "timezone")
_REQUIRED_LEAD_FIELDS = ("id", "name", "phone", "timezone", "received_at")
_STATUSES = {status.value: status for status in LeadStatus}
_fromisoformat = datetime.fromisoformat


def _time(value: str) -> datetime:
    """parse_time, fast for the stored form (already UTC)."""
    parsed = _fromisoformat(value)
    if parsed.tzinfo is UTC:
        return parsed
    return parse_time(value)


def time_key(value: Any) -> str:
    """A stored time as text that sorts by time (the stored UTC form); ValueError or
    TypeError when it is not a time with a zone."""
    if isinstance(value, str) and len(value) == 32 and value.endswith("+00:00"):
        return value
    return iso(parse_time(value))
