"""Short phrases the workstation shows: what is next, the lead's clock, the calling window.

Plain functions of data and `now` (no Textual), so they are easy to test and to reuse in
the blitz screen.
"""

from __future__ import annotations

from datetime import datetime

from leadtui.domain.model import Channel, Message, NextAction
from leadtui.domain.when import relative
from leadtui.domain.window import CallingWindow, is_open, local_time, next_opening

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


def window_phrase(window: CallingWindow, tz: str, now: datetime) -> str:
    """'open until 20:30' or 'closed, opens Tue 08:00 (in 10h)'."""
    if is_open(window, tz, now):
        return f"window open until {window.end:%H:%M}"
    opens = next_opening(window, tz, now)
    return f"window CLOSED, opens {short_time(opens, tz, now)} ({relative(opens, now)})"


def zone_label(tz: str, now: datetime) -> str:
    """'EST' or the zone's name when it has no abbreviation."""
    name = local_time(now, tz).tzname() or tz
    return tz if name.startswith(("+", "-")) else name
