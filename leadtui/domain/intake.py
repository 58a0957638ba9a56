"""Intake: turn what a web form, a CSV row or `leadtui add` gave us into a valid LeadDraft.

Every field is cleaned with `clean_text` (no escape sequences, controls or bidi tricks) and
checked. A bad field raises LeadError with one line that names the field.

Decisions (others rely on them):
- name: required, 1-200 characters after cleaning.
- phone: required, normalised to E.164 (`phone.parse_phone`, region from settings). An
  extension ("x12") cannot live in E.164, so it is added to the notes ("phone extension: 12").
- email: optional ("" when not given). When given: one "@", no spaces, a dotted domain;
  the domain is lowercased, the local part kept as typed. At most 254 characters.
- source: optional; stored as given after cleaning, "" when not given (reports show it as
  "(no source)", screens as "-"). At most 100 characters.
- timezone: an explicit zone must be a known IANA name (case-insensitive; stored with its
  canonical spelling) > the zone of the phone number > `default_timezone`. When the zone
  comes from a number that leaves it open (a mobile valid across a country with several
  zones), `zone_candidates` lists every zone it may be in (`phone.zone_candidates`); an
  explicit zone leaves it empty.
- other_phones: more numbers for the same person (e.g. a second phone column), each
  normalised like `phone`; duplicates and the main number are dropped.
- received_at: default `now`. Must be timezone-aware, not before 2000 and not more than a
  day after `now` (clock skew between a web form's server and ours is fine, a typo in the
  year is not). Stored as UTC.
- notes: optional, multiline, at most 10,000 characters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

from leadtui.domain.model import LeadDraft, LeadError
from leadtui.domain.phone import normalise_phone, parse_phone, zone_candidates, zone_for_phone
from leadtui.domain.text import clean_text, one_line
from leadtui.domain.times import check_received

__all__ = [
    "MAX_EMAIL",
    "MAX_NAME",
    "MAX_NOTES",
    "MAX_SOURCE",
    "check_email",
    "check_timezone",
    "prepare_lead",
]

MAX_NAME = 200
MAX_EMAIL = 254
MAX_SOURCE = 100
MAX_NOTES = 10_000
MAX_TIMEZONE = 64

_EMAIL = re.compile(
    r"(?P<local>[^@\s\"(),:;<>\[\\\]]{1,64})@(?P<domain>(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
    r"[^\W\d_](?:[\w-]{0,61}[^\W_])?)"
)


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def check_timezone(value: str, field: str = "timezone") -> str:
    """A known IANA zone name in its canonical spelling; LeadError otherwise."""
    name = clean_text(value, max_length=MAX_TIMEZONE, field=field)
    canonical = _zones_by_folded_name().get(name.casefold())
    if canonical is None and name and name not in ("localtime", "posixrules"):
        try:  # a tz database that does not list its zones (rare): ask it directly
            ZoneInfo(name)
            canonical = name
        except Exception:
            canonical = None
    if canonical is None:
        shown = one_line(name, 40) if name else ""
        raise LeadError(f"{field} {shown!r} is not a known IANA time zone (e.g. America/Chicago)")
    return canonical


@lru_cache(maxsize=64)
def _default_zone(name: str) -> str:
    """`check_timezone` of the settings' default zone, once per name (an import asks it
    for every row); a bad name raises each time (exceptions are not cached)."""
    return check_timezone(name, field="default timezone")


def check_email(value: str) -> str:
    """'' for no email, else the address with its domain lowercased; LeadError if malformed."""
    email = clean_text(value, max_length=MAX_EMAIL, field="email")
    if not email:
        return ""
    match = _EMAIL.fullmatch(email)
    if match is None:
        raise LeadError(f"email {one_line(email, 60)!r} does not look like an email address")
    return f"{match['local']}@{match['domain'].lower()}"


def _received(received_at: datetime | None, now: datetime) -> datetime:
    if received_at is None:
        return now.astimezone(UTC)
    if not isinstance(received_at, datetime):
        raise LeadError("received_at must be a date and time")
    return check_received(received_at, now)


def prepare_lead(
    *,
    name: str,
    phone: str,
    email: str = "",
    source: str = "",
    timezone: str | None = None,
    received_at: datetime | None = None,
    notes: str = "",
    region: str = "US",
    default_timezone: str = "America/New_York",
    now: datetime,
    other_phones: tuple[str, ...] | list[str] = (),
) -> LeadDraft:
    """Validate and normalise one lead; LeadError with a clear one-line message if refused."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("prepare_lead needs an aware `now`")
    clean_name = clean_text(name if name is not None else "", max_length=MAX_NAME, field="name")
    if not clean_name:
        raise LeadError("name is required")
    parsed = parse_phone(phone, region)
    clean_email = check_email(email if email is not None else "")
    clean_source = clean_text(
        source if source is not None else "", max_length=MAX_SOURCE, field="source"
    )
    clean_notes = clean_text(
        notes if notes is not None else "", max_length=MAX_NOTES, multiline=True, field="notes"
    )
    if parsed.extension:
        line = f"phone extension: {parsed.extension}"
        clean_notes = f"{clean_notes}\n{line}" if clean_notes else line
        if len(clean_notes) > MAX_NOTES:
            raise LeadError(f"notes is longer than {MAX_NOTES} characters")
    default_zone = _default_zone(default_timezone)
    received = _received(received_at, now)
    candidates: tuple[str, ...] = ()
    if timezone is not None and clean_text(timezone, max_length=MAX_TIMEZONE, field="timezone"):
        zone = check_timezone(timezone)
    else:
        found = zone_for_phone(parsed.e164, default=default_zone)
        zone = found or default_zone
        if found:
            candidates = zone_candidates(parsed.e164, found, received)
    more: list[str] = []
    for raw in other_phones:
        if raw is None or not str(raw).strip():
            continue
        number = normalise_phone(str(raw), region)
        if number != parsed.e164 and number not in more:
            more.append(number)
    return LeadDraft(
        name=clean_name,
        phone=parsed.e164,
        email=clean_email,
        source=clean_source,
        timezone=zone,
        received_at=received,
        notes=clean_notes,
        other_phones=tuple(more),
        zone_candidates=candidates,
    )
