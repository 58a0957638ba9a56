"""The accepted range of every time that enters leadtui, and safe conversions into UTC.

Python's `datetime` ends at years 1 and 9999: a time near either end overflows as soon as it
is moved into a zone with the other sign of offset, or a cadence step is added to it, and an
`OverflowError` (or "date value out of range") then surfaces far from where the bad value
came in. So every time is checked where it enters (CLI options, CSV rows, the callback
prompt, the store's write methods) against one of two ranges, and refused with a
`TimeRangeError` (a `LeadError`, so every face shows it as one line):

- **event times** (`received_at` of a lead or an inquiry, a touch's `at`): from
  2000-01-01T00:00Z to one day after now (clock skew between a web form's server and ours is
  fine, a typo in the year is not);
- **clock times** (`--now`, `report --since`, a callback/appointment/follow-up `when`):
  from 1970-01-01T00:00Z to 2999-12-31T23:59:59Z, far enough from both ends that no zone
  offset and no cadence arithmetic (weeks at most) can overflow.

`stored_time_problem` says why a time already in a database falls outside its range, for
`doctor` (which finds such times and, with `--repair`, quarantines them). Pure: no I/O,
`now` always comes in as an argument.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from leadtui.domain.model import LeadError

__all__ = [
    "CLOCK_MAX",
    "CLOCK_MIN",
    "EARLIEST",
    "FUTURE_SLACK",
    "TimeRangeError",
    "check_clock",
    "check_event",
    "check_received",
    "local_to_utc",
    "shift",
    "stored_time_problem",
    "to_utc",
]

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
CLOCK_MIN = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_MAX = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


class TimeRangeError(LeadError):
    """A time outside the range leadtui accepts (or one that cannot be represented)."""


def _shown(value: datetime | str) -> str:
    if isinstance(value, str):
        return value[:40]
    try:
        return value.isoformat()
    except (OverflowError, ValueError):  # pragma: no cover - isoformat never overflows today
        return repr(value)


def _day(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def to_utc(value: datetime, what: str = "time") -> datetime:
    """An aware `value` in UTC. TimeRangeError when it has no offset or cannot be moved to
    UTC (0001-01-01T00:00+01:00, 9999-12-31T23:00-05:00)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimeRangeError(f"{what} {_shown(value)} has no time zone offset")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise TimeRangeError(f"{what} {_shown(value)} out of range") from None


def local_to_utc(day: date, clock: time, zone: tzinfo, what: str = "time") -> datetime:
    """The UTC instant of a wall-clock time in `zone` (a skipped time moves forward);
    TimeRangeError instead of an overflow near year 1 or 9999."""
    local = datetime.combine(day, clock, tzinfo=zone)
    try:
        return local.astimezone(UTC)
    except (OverflowError, ValueError):
        raise TimeRangeError(f"{what} {day.isoformat()} {clock:%H:%M} out of range") from None


def shift(at: datetime, delta: timedelta, what: str = "time") -> datetime:
    """`at + delta`, TimeRangeError instead of an overflow."""
    try:
        return at + delta
    except (OverflowError, ValueError):
        raise TimeRangeError(f"{what} out of range") from None


@lru_cache(maxsize=16)  # an import checks each row's times against the same `now`
def _event_range(now: datetime) -> tuple[datetime, datetime]:
    latest = min(to_utc(now, "current time"), CLOCK_MAX) + FUTURE_SLACK
    return EARLIEST, latest


def check_event(at: datetime, now: datetime, what: str = "touch time") -> datetime:
    """A received or touch time in UTC, checked against 2000-01-01 .. now + 1 day."""
    value = to_utc(at, what)
    earliest, latest = _event_range(now)
    if not earliest <= value <= latest:
        raise TimeRangeError(
            f"{what} {_shown(value)} out of range (accepted: {_day(earliest)} "
            f"to {_day(latest)}, a day after now)"
        )
    return value


def check_received(at: datetime, now: datetime) -> datetime:
    """A lead's (or an inquiry's) received time in UTC; TimeRangeError
    ("received time ... out of range") outside 2000-01-01 .. now + 1 day."""
    return check_event(at, now, "received time")


def check_clock(at: datetime, what: str = "time") -> datetime:
    """`--now`, `--since` or a `when` in UTC, checked against 1970-01-01 .. 2999-12-31."""
    value = to_utc(at, what)
    if not CLOCK_MIN <= value <= CLOCK_MAX:
        raise TimeRangeError(
            f"{what} {_shown(value)} out of range (accepted: {_day(CLOCK_MIN)} "
            f"to {_day(CLOCK_MAX)})"
        )
    return value


def stored_time_problem(value: object, now: datetime, kind: str) -> str | None:
    """Why a stored time is unusable, or None when it is fine. `kind` is "event" (a
    received or touch time) or "clock" (a callback time and the like). Stored times are
    UTC ISO 8601 strings; anything that does not read as one is a problem too."""
    if not isinstance(value, str):
        return f"not a time: {type(value).__name__}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return f"not a time: {value[:40]!r}"
    try:
        if kind == "event":
            check_event(parsed, now, "stored")
        else:
            check_clock(parsed, "stored")
    except TimeRangeError as err:
        return str(err).removeprefix("stored ")
    return None
