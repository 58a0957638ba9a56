"""Arrival times in CSV cells (the import, and the webhook's form fields): ISO 8601
with or without an offset, Unix seconds, and spreadsheet dates (month first for US
files, day first elsewhere). A time without an offset is read in the row's zone; a date
alone is the start of that day. Checked against the accepted range (domain/times.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from leadtui.domain.model import LeadError
from leadtui.domain.times import TimeRangeError, check_received, to_utc

__all__ = ["is_date_only", "parse_received"]

_DAY_FIRST = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
_MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y")
_TIMES = (" %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I%p", " %I %p")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNIX_SECONDS = re.compile(r"\d{9,11}")
_DAY_ALONE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")


def parse_received(
    value: str,
    *,
    zone: str | None = None,
    now: datetime | None = None,
    region: str = "US",
    default_timezone: str = "America/New_York",
) -> datetime:
    """A received time from a CSV cell, as UTC. ISO 8601 (with or without offset), Unix
    seconds, or common spreadsheet dates (month first for US files, day first elsewhere).
    A time without an offset is read in `zone`; a date alone is the start of that day
    there (`zone`, else `default_timezone`: the webhook's name for it).
    TimeRangeError "received time ... out of range" (domain/times.py) for a time
    that cannot be moved to UTC or, with `now`, is outside 2000-01-01 .. now + 1 day."""
    value = " ".join(value.strip().split())
    try:
        parsed = _parse_time(value, zone or default_timezone, region)
    except (OverflowError, OSError):  # Unix seconds past what the platform can hold
        raise TimeRangeError(f"received time {value[:40]!r} out of range") from None
    if now is None:
        return to_utc(parsed, "received time")
    return check_received(parsed, now)


def _parse_time(value: str, zone: str, region: str) -> datetime:
    if _UNIX_SECONDS.fullmatch(value):
        return datetime.fromtimestamp(int(value), UTC)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
        if _ISO_DATE.fullmatch(value):  # a date alone: the start of that day
            parsed = datetime.combine(parsed.date(), time())
    except ValueError:
        dates = _MONTH_FIRST + _DAY_FIRST if region.upper() == "US" else _DAY_FIRST + _MONTH_FIRST
        for date_format in ("%Y/%m/%d", *dates):
            for time_format in ("", *_TIMES):
                try:
                    parsed = datetime.strptime(value.upper(), date_format + time_format)
                    break
                except ValueError:
                    continue
            if parsed:
                break
    if parsed is None:
        raise LeadError(
            f"cannot read the received time {value[:40]!r} (use ISO 8601, e.g. 2024-03-01 14:05)"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed


def is_date_only(value: str) -> bool:
    value = value.strip()
    if _ISO_DATE.fullmatch(value):
        return True
    return bool(_DAY_ALONE.fullmatch(value))
