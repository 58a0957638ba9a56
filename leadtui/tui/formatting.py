"""Short phrases the workstation shows: what is next, the lead's clock, the calling window.

Plain functions of data and `now` (no Textual), so they are easy to test and to reuse in
the blitz screen.
"""

from __future__ import annotations

from datetime import datetime

from leadtui.domain.model import Channel, Message, NextAction
from leadtui.domain.when import relative
from leadtui.domain.window import (
    CallingWindow,
    closes_at_in,
    is_open_in,
    local_time,
    next_opening_in,
    zone_span,
)

_MESSAGE_PHRASE = {
    Message.NONE: "no message",
    Message.FIRST: "leave the first message",
    Message.FOLLOW_UP: "leave the follow-up message",
    Message.FINAL: "leave the final message",
}


def short_time(at: datetime, tz: str, now: datetime) -> str:
    """'14:35' today (lead's zone), 'Tue 10:00' within a week, else '02 Dec 10:00'
    ('02 Dec 2025 10:00' in another year)."""
    local = local_time(at, tz)
    today = local_time(now, tz).date()
    days = (local.date() - today).days
    if days == 0:
        return f"{local:%H:%M}"
    if days == 1:
        return f"tomorrow {local:%H:%M}"
    if 0 < days < 7:
        return f"{local:%a %H:%M}"
    if local.year != today.year:
        return f"{local:%d %b %Y %H:%M}"
    return f"{local:%d %b %H:%M}"


def next_phrase(action: NextAction | None, tz: str, now: datetime) -> str:
    """'call at 14:35, leave the first message' / 'callback now' / 'nothing: lead closed'."""
    if action is None:
        return "nothing more: the lead is closed"
    if action.due_at <= now:
        when = "now"
    else:
        at = short_time(action.due_at, tz, now)
        when = f"at {at}" if at[0].isdigit() else at  # "at 14:35", "tomorrow 10:00"
    if action.kind in ("callback", "appointment"):
        return f"{action.kind} {when}"
    if action.channel is Channel.CALL:
        return f"call {when}, {_MESSAGE_PHRASE.get(action.message, action.message)}"
    return f"{action.channel} {when}"


def clock_in(tz: str, now: datetime) -> str:
    """The lead's wall clock, '14:05'."""
    return f"{local_time(now, tz):%H:%M}"


def window_phrase(
    window: CallingWindow, tz: str, now: datetime, zones: tuple[str, ...] | None = None
) -> str:
    """'open until 20:30' or 'closed, opens Tue 08:00 (in 10h)'. `zones`: every zone the
    lead may be in (zone doubt); then the window is the hours open in all of them."""
    zones = zones or (tz,)
    if is_open_in(window, zones, now):
        if len(zones) == 1:
            return f"window open until {window.end:%H:%M}"
        return f"window open until {short_time(closes_at_in(window, zones, now), tz, now)}"
    opens = next_opening_in(window, zones, now)
    return f"window CLOSED, opens {short_time(opens, tz, now)} ({relative(opens, now)})"


def doubt_phrase(zones: tuple[str, ...], now: datetime) -> str:
    """'zone unsure: Perth to Sydney' for a lead whose number leaves its zone open; ''."""
    return f"zone unsure: {zone_span(zones, now)}" if len(zones) > 1 else ""


def booking_phrase(
    before: NextAction | None, after: NextAction | None, tz: str, now: datetime
) -> str:
    """For a touch logged while a callback/appointment was booked (`before`): whether the
    booking stands or the touch replaced it; '' without a booking."""
    if before is None:
        return ""
    label = f"{before.kind} booked for {short_time(before.due_at, tz, now)}"
    if after is not None and after.kind == before.kind and after.due_at == before.due_at:
        return f"the {label} stands"
    return f"this replaces the {label}"


def zone_label(tz: str, now: datetime) -> str:
    """'EST' or the zone's name when it has no abbreviation."""
    name = local_time(now, tz).tzname() or tz
    return tz if name.startswith(("+", "-")) else name
