"""Read the time a lead asked for ("15:30", "tomorrow 10am", "+2h", ISO) and say it back.

Pure: the current time and the lead's IANA zone come in as arguments; wall-clock
times are read in the lead's zone and returned as aware UTC datetimes. Every refusal
is a `WhenError` (a `LeadError`) whose message can be shown to the rep as is.

arrow does the calendar work: ISO 8601 parsing, moving by days, weeks and to a weekday
in the lead's zone (the same local time across a DST change; a wall time skipped by DST
lands after the gap). Kept here, because arrow has no such thing: the phrase grammar
("+2h", "in 3 days", "tomorrow 10am", "fri 9:30"), the time-of-day reading with its
messages (a bare "9" is refused as ambiguous; arrow's parser would read it as 09:00), and
the compact "in 2h05m" of `relative` (arrow's `humanize` spells units out in words, which
do not fit the queue's columns).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadtui.domain.model import LeadError
from leadtui.domain.times import CLOCK_MAX, CLOCK_MIN, TimeRangeError, check_clock

__all__ = ["WhenError", "describe_when", "examples", "parse_when", "relative", "EXAMPLES"]

EXAMPLES = "15:30, 3pm, tomorrow 10am, 10am tomorrow, fri 9:30, +2h, in 3 days"


def examples(now: datetime) -> str:
    """The examples, with a date derived from `now` (two days on) so none is in the past."""
    return f"{EXAMPLES}, {(now + timedelta(days=2)).date().isoformat()} 15:30"

_UNITS = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
    "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "week": "weeks", "weeks": "weeks",
}  # fmt: skip
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RELATIVE = re.compile(r"^(?:\+\s*|in\s+)(\d+(?:\.\d+)?|an?)\s*([a-z]+)$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a|p)?$")
_DAY_WORDS = {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1}


class WhenError(LeadError):
    """The text could not be read as a time."""


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WhenError(f"unknown time zone {tz!r}") from exc


def _parse_clock(text: str) -> time | None:
    """'15:30', '3pm', '10am', '9.30', '1530'-free forms; None when it is not a time of day."""
    if text in ("noon", "midday"):
        return time(12, 0)
    if text == "midnight":
        return time(0, 0)
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridian = match.group(3)
    if meridian:
        if not 1 <= hour <= 12:
            raise WhenError(f"{text!r}: with am/pm the hour must be 1 to 12")
        hour = hour % 12 + (12 if meridian.startswith("p") else 0)
    elif match.group(2) is None:
        raise WhenError(f"{text!r}: give a time such as {hour}:00, {hour}am or {hour}pm")
    if hour > 23 or minute > 59:
        raise WhenError(f"{text!r} is not a time of day")
    return time(hour, minute)


def _at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (a time skipped by DST moves forward)."""
    import arrow  # here, not at the top: only reading a typed time needs it (start-up)

    local = arrow.Arrow(day.year, day.month, day.day, clock.hour, clock.minute, tzinfo=zone)
    # A wall time skipped by spring forward is read with the offset before the change, so
    # it lands as far after the gap as it was into it.
    return local.to(UTC).datetime


def _relative(amount: float, unit: str, now: datetime, zone: ZoneInfo) -> datetime:
    name = _UNITS.get(unit)
    if name is None:
        raise WhenError(f"unknown unit {unit!r}: use minutes, hours, days or weeks")
    if name in ("days", "weeks"):
        import arrow

        # Calendar days in the lead's zone keep the same local time across a DST change;
        # a fraction of a day is elapsed time.
        days = amount * (7 if name == "weeks" else 1)
        whole = int(days)
        shifted = arrow.get(now).to(zone).shift(days=whole)
        return shifted.to(UTC).datetime + timedelta(days=days - whole)
    # Hours and minutes are elapsed time, whatever the clocks do meanwhile.
    elapsed = timedelta(hours=amount) if name == "hours" else timedelta(minutes=amount)
    return now.astimezone(UTC) + elapsed


def _parse_iso(text: str, zone: ZoneInfo) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    import arrow
    from arrow.parser import DateTimeParser, ParserError

    try:
        parsed = DateTimeParser().parse_iso(text.upper())
    except (ParserError, ValueError) as exc:
        raise WhenError(f"{text!r} is not a valid date and time") from exc
    if len(text.strip()) == 10:  # a date alone: the start of a business morning
        parsed = datetime.combine(parsed.date(), time(9, 0))
    if parsed.tzinfo is None:
        return _at_local(parsed.date(), parsed.time(), zone)
    return arrow.get(parsed).to(UTC).datetime


def parse_when(text: str, now: datetime, tz: str) -> datetime:
    """The UTC instant `text` means for a lead in zone `tz`, seen at `now`.

    Accepts a time today ("15:30", "3pm"; tomorrow when that time has passed), a day word
    or weekday with an optional time ("tomorrow 10am", "fri 9:30", "monday"; 09:00 when no
    time is given), an offset ("+2h", "+30m", "in 3 days", "in 1 week") and ISO 8601
    ("2025-11-24 15:30", "2025-11-24T15:30-05:00", "2025-11-24"). Times without an offset
    are the lead's local time. Raises `WhenError` for anything else, a time in the past
    or one outside the accepted range (domain/times.py: `+99999999999h`, `in 3000000 days`
    and `9999-12-31 23:00` are refused, never an OverflowError).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = _zone(tz)
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise WhenError(f"when? e.g. {examples(now)}")
    if raw == "now":
        return now.astimezone(UTC)
    try:
        result = check_clock(_parse(raw, now, zone), "that time")
    except WhenError:
        raise
    except (TimeRangeError, OverflowError, ValueError):  # ValueError: beyond year 1 to 9999
        raise WhenError(
            f"{text.strip()[:40]!r} is out of range (accepted: {CLOCK_MIN:%Y-%m-%d} "
            f"to {CLOCK_MAX:%Y-%m-%d})"
        ) from None
    if result < now - timedelta(minutes=1):
        raise WhenError(f"{describe_when(result, tz, now)} is in the past")
    return result


def _parse(raw: str, now: datetime, zone: ZoneInfo) -> datetime:
    result = _parse_iso(raw, zone)
    if result is None:
        match = _RELATIVE.match(raw)
        if match:
            amount = match.group(1)
            number = 1.0 if amount in ("a", "an") else float(amount)
            result = _relative(number, match.group(2), now, zone)
        else:
            result = _parse_day_and_time(raw, now, zone)
    return result


def _parse_day_and_time(raw: str, now: datetime, zone: ZoneInfo) -> datetime:
    local_now = now.astimezone(zone)
    words = raw.replace(" at ", " ").split()
    day: date | None = None
    if len(words) > 1 and (words[-1] in _DAY_WORDS or _is_weekday(words[-1])):
        words.insert(0, words.pop())  # "10am tomorrow" reads as "tomorrow 10am"
    if words and words[0] in _DAY_WORDS:
        day = local_now.date() + timedelta(days=_DAY_WORDS[words.pop(0)])
    elif words and _is_weekday(words[0]):
        import arrow

        target = _WEEKDAYS.index(words.pop(0)[:3])
        # arrow's weekday shift stays on today when today is that day: a weekday named
        # on that day means next week's.
        day = arrow.get(local_now).shift(days=1).shift(weekday=target).date()
    if words and words[0] == "at":
        words.pop(0)
    rest = "".join(words)
    clock = _parse_clock(rest) if rest else None
    if rest and clock is None:
        raise WhenError(f"can't read {raw!r}: try {examples(now)}")
    if day is None:
        if clock is None:
            raise WhenError(f"can't read {raw!r}: try {examples(now)}")
        day = local_now.date()
        if datetime.combine(day, clock) <= local_now.replace(tzinfo=None):
            day += timedelta(days=1)  # that time has passed today: the next one
    return _at_local(day, clock or time(9, 0), zone)


def _is_weekday(word: str) -> bool:
    return word.isalpha() and word[:3] in _WEEKDAYS


def relative(at: datetime, now: datetime) -> str:
    """'in 2h', 'in 45m', 'in 3d', 'now', '5m ago' — coarse, for a glance."""
    seconds = int((at - now).total_seconds())
    future = seconds >= 0
    seconds = abs(seconds)
    if seconds < 60:
        return "now"
    minutes = seconds // 60
    if minutes < 60:
        span = f"{minutes}m"
    elif minutes < 48 * 60:
        hours, mins = divmod(minutes, 60)
        span = f"{hours}h{mins:02d}m" if mins and hours < 10 else f"{hours}h"
    else:
        span = f"{minutes // 1440}d"
    return f"in {span}" if future else f"{span} ago"


def describe_when(at: datetime, tz: str, now: datetime) -> str:
    """'Tue 24 Nov 15:30 EST (in 2h)': the instant in the lead's zone, and how far off."""
    local = at.astimezone(_zone(tz))
    return f"{local:%a %d %b %H:%M} {local.tzname()} ({relative(at, now)})"
