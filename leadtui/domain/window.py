"""The calling window: the hours of the lead's local day in which we may call.

Default 08:00-20:30 in the lead's own time zone (article 001: "not much after 8:30pm" for
someone you don't know). Everything here takes and returns aware datetimes; results are UTC.

DST is handled on the wall clock with `zoneinfo`: the next opening is "08:00 local on the
right date", whatever the length of the day in between (23 or 25 hours). A wall-clock time
that does not exist on a date (it falls in a spring-forward gap) resolves to the first
instant of that date at which the local clock reads that time or later, i.e. the end of the
gap. An ambiguous time (fall-back fold) resolves to its first occurrence.

Zone doubt: when a lead may be in any of several zones (a mobile number valid across a
country), its window is the set of instants open in *every* one of them: each day the
latest local start and the earliest local end, compared in UTC. The `*_in` functions take
the zones (the lead's `Lead.zones`); the first is the lead's own zone. Should the zones
share no open hour within three days (they cannot once intake has checked them, but a
later DST change or a custom window might), the first zone's window is used alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadtui.domain.model import Lead, LeadError, NextAction

__all__ = [
    "CallingWindow",
    "booked",
    "callable_now",
    "closes_at",
    "closes_at_in",
    "common_opening",
    "is_open",
    "is_open_in",
    "next_moment",
    "next_opening_in",
    "next_opening_zs",
    "zone_span",
    "local_instant",
    "local_instant_z",
    "local_time",
    "next_opening",
    "next_opening_z",
    "zone",
]


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """Local hours in which a lead may be called: `start <= local time < end`."""

    start: time = time(8, 0)
    end: time = time(20, 30)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("calling window times are local wall-clock times (no zone)")
        if not self.start < self.end:
            raise ValueError(
                f"calling window start {self.start:%H:%M} must be before its end {self.end:%H:%M}"
            )


@cache
def zone(tz: str) -> ZoneInfo:
    """The `ZoneInfo` for an IANA name (cached); LeadError for an unknown name."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise LeadError(f"unknown time zone {tz!r}") from exc


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at.isoformat()}: an aware datetime is required")
    return at


def local_time(at: datetime, tz: str) -> datetime:
    """`at` as an aware datetime on the wall clock of `tz`."""
    return _aware(at).astimezone(zone(tz))


def local_instant(day: date, clock: time, tz: str) -> datetime:
    """The UTC instant at which the wall clock of `tz` first reads `clock` on `day`.

    In a spring-forward gap (the time does not exist) this is the end of the gap; in a
    fall-back fold (the time occurs twice) the first occurrence.
    """
    return _resolve(day, clock, zone(tz))


def local_instant_z(day: date, clock: time, z: ZoneInfo) -> datetime:
    """`local_instant` with a ZoneInfo instead of a zone name (for hot loops)."""
    return _resolve(day, clock, z)


_ONE_DAY = timedelta(days=1)
_RESOLVED: dict[tuple[date, time, ZoneInfo], datetime] = {}


def _resolve(day: date, clock: time, z: ZoneInfo) -> datetime:
    key = (day, clock, z)
    hit = _RESOLVED.get(key)
    if hit is None:
        if len(_RESOLVED) >= 50_000:
            _RESOLVED.clear()
        hit = _RESOLVED[key] = _resolve_uncached(day, clock, z)
    return hit


def _resolve_uncached(day: date, clock: time, z: ZoneInfo) -> datetime:
    wall = datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=z)
    before = wall.utcoffset()
    after = wall.replace(fold=1).utcoffset()
    if before is None or after is None or before >= after:
        # Normal time, or a fold (fold=0 is the first occurrence).
        return wall.astimezone(UTC)
    # A gap: fold=0 reads the wall clock with the old offset (an instant after the gap);
    # fold=1 with the new one (an instant before it). The transition lies in between:
    # find the first instant whose wall clock reads `clock` or later.
    naive = wall.replace(tzinfo=None)
    lo = wall.replace(fold=1).astimezone(UTC)  # wall clock < clock here
    hi = wall.astimezone(UTC)  # wall clock >= clock here
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(z).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def is_open(window: CallingWindow, tz: str, at: datetime) -> bool:
    """True when `at` falls inside the window on the lead's local clock."""
    t = _aware(at).astimezone(zone(tz)).time()
    return window.start <= t < window.end


def next_opening(window: CallingWindow, tz: str, at: datetime) -> datetime:
    """`at` (as UTC) when the window is open then; else the next local `start` (as UTC)."""
    if at.tzinfo is None:
        _aware(at)
    return next_opening_z(window, zone(tz), at)


def next_opening_z(window: CallingWindow, z: ZoneInfo, at: datetime) -> datetime:
    """`next_opening` with a ZoneInfo instead of a zone name (for hot loops); `at` aware."""
    local = at.astimezone(z)
    t = local.time()
    if t < window.start:
        return _resolve(local.date(), window.start, z)
    if t >= window.end:
        return _resolve(local.date() + _ONE_DAY, window.start, z)
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def closes_at(window: CallingWindow, tz: str, at: datetime) -> datetime:
    """UTC end of the window that contains `at`, or of the next one when it is closed."""
    z = zone(tz)
    local = _aware(at).astimezone(z)
    day = local.date()
    if local.time() >= window.end:
        day += timedelta(days=1)
    return _resolve(day, window.end, z)


_COMMON_SPAN = timedelta(days=3)


def common_opening(
    window: CallingWindow, zs: tuple[ZoneInfo, ...], at: datetime
) -> datetime | None:
    """The first instant at or after `at` (UTC) open in every zone of `zs`; None when there
    is none within three days (the zones are too far apart for this window)."""
    t = at if at.tzinfo is UTC else at.astimezone(UTC)
    limit = t + _COMMON_SPAN
    while t <= limit:
        moved = False
        for z in zs:
            opening = next_opening_z(window, z, t)
            if opening != t:
                t, moved = opening, True
        if not moved:
            return t
    return None


def next_opening_zs(window: CallingWindow, zs: tuple[ZoneInfo, ...], at: datetime) -> datetime:
    """`next_opening_z` for a lead that may be in any of `zs` (first: its own zone)."""
    if len(zs) == 1:
        return next_opening_z(window, zs[0], at)
    found = common_opening(window, zs, at)
    return next_opening_z(window, zs[0], at) if found is None else found


def _zone_infos(zones: tuple[str, ...] | list[str]) -> tuple[ZoneInfo, ...]:
    return tuple(zone(name) for name in zones)


def next_opening_in(window: CallingWindow, zones: tuple[str, ...], at: datetime) -> datetime:
    """`next_opening` for a lead that may be in any of `zones` (first: its own zone)."""
    return next_opening_zs(window, _zone_infos(zones), _aware(at))


def is_open_in(window: CallingWindow, zones: tuple[str, ...], at: datetime) -> bool:
    """True when `at` is inside the window in every one of `zones` (or, for zones that
    share no open hour, in the first one)."""
    if len(zones) == 1:
        return is_open(window, zones[0], at)
    return next_opening_in(window, zones, at) == _aware(at).astimezone(UTC)


def closes_at_in(window: CallingWindow, zones: tuple[str, ...], at: datetime) -> datetime:
    """`closes_at` for a lead that may be in any of `zones`: the end of the common window
    that contains `at`, or of the next one when it is closed."""
    if len(zones) == 1:
        return closes_at(window, zones[0], at)
    opening = next_opening_in(window, zones, at)
    if common_opening(window, _zone_infos(zones), opening) is None:
        return closes_at(window, zones[0], at)
    return min(closes_at(window, name, opening) for name in zones)


def _city(name: str) -> str:
    return name.rsplit("/", 1)[-1].replace("_", " ")


def zone_span(zones: tuple[str, ...], at: datetime) -> str:
    """The zones of an unsure lead, west to east at `at`: "Perth to Sydney" (with how many
    when there are more than two: "Moscow to Anadyr, 10 zones")."""
    if len(zones) < 2:
        return _city(zones[0]) if zones else ""
    ordered = sorted(zones, key=lambda name: (_aware(at).astimezone(zone(name)).utcoffset(), name))
    text = f"{_city(ordered[0])} to {_city(ordered[-1])}"
    return text if len(zones) == 2 else f"{text}, {len(zones)} zones"


def callable_now(action: NextAction, lead: Lead, window: CallingWindow, now: datetime) -> bool:
    """True when the action is due at `now` and may happen now: inside the lead's window,
    or, for a time the lead asked for, from that time until its grace ends (`late_at`)."""
    if action.due_at > now:
        return False
    if action.ignores_window and (action.late_at is None or now <= action.late_at):
        return True
    return is_open_in(window, lead.zones, now)


def next_moment(action: NextAction, lead: Lead, window: CallingWindow, now: datetime) -> datetime:
    """The first instant at or after `now` at which the action may really happen (UTC)."""
    at = max(action.due_at, now)
    if action.ignores_window and (action.late_at is None or at <= action.late_at):
        return at
    return next_opening_in(window, lead.zones, at)


def booked(action: NextAction | None, now: datetime) -> bool:
    """True when the action is a callback or appointment whose time is still to come."""
    return action is not None and action.ignores_window and action.due_at > now
