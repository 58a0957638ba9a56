"""Shared helpers of the subcommands: safe text, JSON, times, and the queue entry shape."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, TextIO

from leadtui.domain.cadence import call_attempts
from leadtui.domain.model import Lead, NextAction, QueueEntry, Touch
from leadtui.domain.plan import current_touches
from leadtui.domain.queue import describe_action
from leadtui.domain.records import LEAD_KEYS
from leadtui.domain.text import UNSAFE, UNSAFE_IN_JSON, plain_line
from leadtui.domain.times import to_utc
from leadtui.domain.window import CallingWindow, callable_now, local_time, next_moment, zone_span
from leadtui.io.export import lead_to_dict
from leadtui.subcommands.context import CommandFailed, Context


def safe(value: str, width: int | None = None) -> str:
    """Plain visible text on one line: unsafe characters (`domain.text.UNSAFE`) become
    spaces; cut to `width`."""
    return plain_line(value, width)


def visible(value: str) -> str:
    """`value` with every unsafe character shown as an escape (\\x1b, \\u202e): for echoing
    what someone typed (file names, paths) without losing or hiding any of it."""
    return UNSAFE.sub(_escaped, value)


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape", "backslashreplace").decode("ascii")


def dumps(data: Any, out: TextIO | None = None) -> str:
    """JSON for stdout: readable Unicode, but every unsafe character escaped (\\uXXXX).

    Indented for a person at a terminal; one compact line for a pipe or a file (a script
    reads it, and the indenting encoder is several times slower: 25 ms for the 1,400-entry
    queue at 50,000 leads). Falls back to pure ASCII when the stream cannot encode UTF-8.
    """
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "")
    isatty = getattr(out, "isatty", None)
    indent = 2 if callable(isatty) and isatty() else None
    if encoding not in ("utf8", "utf8sig"):
        return json.dumps(data, ensure_ascii=True, indent=indent)
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(ctx: Context, data: Any) -> None:
    """Print `data` as JSON on the command's stdout."""
    ctx.print(dumps(data, ctx.stdout))


def local_iso(at: datetime | None, tz: str) -> str | None:
    """An instant as ISO 8601 with the lead's local offset."""
    return None if at is None else local_time(at, tz).isoformat()


def iso_example(now: datetime | None) -> str:
    """An ISO 8601 example from today (`now`), so no message shows a date long gone."""
    day = (now or datetime.now(UTC)).astimezone(UTC).date()
    return f"{day.isoformat()}T14:05-04:00"


def parse_iso(text: str, option: str, now: datetime | None = None) -> datetime:
    """ISO 8601 with Z or an offset; naive means UTC. CommandFailed names the option."""
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in "zZ" else raw)
    except (ValueError, IndexError):
        raise CommandFailed(
            f"{option} {safe(text, 40)!r} is not an ISO 8601 time (e.g. {iso_example(now)})"
        ) from None
    return to_utc(parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed, option)


def action_dict(action: NextAction, tz: str) -> dict[str, Any]:
    """A next action as JSON-ready data, times in the lead's local offset."""
    return {
        "channel": str(action.channel),
        "kind": action.kind,
        "message": str(action.message),
        "stage": action.stage,
        "due_at": local_iso(action.due_at, tz),
        "late_at": local_iso(action.late_at, tz),
        "ignores_window": action.ignores_window,
        "description": describe_action(action, tz),
    }


def entry_dict(entry: QueueEntry, now: datetime) -> dict[str, Any]:
    """One queue entry in the `leadtui queue --json` shape."""
    lead, action = entry.lead, entry.next_action
    record = lead_to_dict(lead)
    return {
        **{key: record[key] for key in LEAD_KEYS[:8]},  # id .. status
        "attempts": entry.attempts,
        "age_seconds": entry.age_seconds,
        "aging": entry.aging,
        "due": entry.due,
        "due_at": local_iso(action.due_at, lead.timezone),
        "local_time": local_iso(now, lead.timezone),
        "claimed_by": entry.claimed_by,
        "zone_candidates": list(lead.zone_candidates) if lead.zone_unsure else [],
        "next_action": action_dict(action, lead.timezone),
    }


def lead_detail(ctx: Context, lead: Lead, touches: list[Touch]) -> dict[str, Any]:
    """A lead as JSON-ready data with its attempts and local time (`leadtui show`)."""
    data = lead_to_dict(lead)
    data["attempts"] = call_attempts(current_touches(lead, touches))
    data["local_time"] = local_iso(ctx.now(), lead.timezone)
    return data


def local_label(at: datetime, tz: str, now: datetime | None = None) -> str:
    """'Tue 10 Mar 14:05 EDT' in the lead's zone, with the year ('Sun 23 Nov 2025 07:47
    EST') when it is not the year of `now` there: archived leads can be a year old."""
    local = local_time(at, tz)
    year = ""
    if now is not None and local_time(now, tz).year != local.year:
        year = f" {local.year}"
    return f"{local:%a %d %b}{year} {local:%H:%M} {local.tzname()}"


def next_summary(
    action: NextAction | None, lead: Lead, now: datetime, window: CallingWindow | None = None
) -> str:
    """'call + first message, due Tue 10 Mar 15:35 EDT (in 30m)' or why there is none.

    With `window`: an overdue action that may not happen now (the window is shut, or a
    callback's grace has passed) also says when it may ("waits for the window: ...").
    """
    from leadtui.domain.when import relative

    if action is None:
        return f"none (the lead is {lead.status})"
    due = local_label(action.due_at, lead.timezone, now)
    text = f"{describe_action(action, lead.timezone)}, due {due} ({relative(action.due_at, now)})"
    if window is not None and action.due_at <= now and not callable_now(action, lead, window, now):
        moment = next_moment(action, lead, window, now)
        text += f"; waits for the window: {local_label(moment, lead.timezone, now)}"
    return text


def zone_line(lead: Lead, now: datetime) -> str:
    """'Australia/Sydney (now Tue 10 Mar 14:05 AEDT)', plus the doubt when the zone is
    unsure: '; zone unsure: Perth to Sydney, calls only when open in all of them'."""
    text = f"{lead.timezone} (now {local_label(now, lead.timezone)})"
    if lead.zone_unsure:
        text += (
            f"; zone unsure: {zone_span(lead.zones, now)}, called only in hours open in all of them"
        )
    return text
