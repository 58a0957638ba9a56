"""The call queue: who to call right now, in order, and how to say it briefly.

Ranking (of leads whose next action is due now and whose calling window is open now, or
whose action is a time the lead asked for and still inside its grace; see
`window.callable_now`; a lead whose zone is unsure needs the window open in all its zones):
  1. due callbacks and appointments, earliest first;
  2. leads never called, freshest first (the first minutes are worth the most);
  3. every other due action, most overdue first.
`aging`: never called and older than the speed-to-lead threshold. Age and "never called"
count from the inquiry the lead's current cadence runs from (`Lead.started_at`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from leadtui.domain.cadence import Cadence, assess
from leadtui.domain.model import Channel, Lead, LeadStatus, Message, NextAction, QueueEntry, Touch
from leadtui.domain.window import CallingWindow, is_open_in, zone

__all__ = ["Queued", "describe_action", "format_age", "rank", "rank_queued"]

_ASKED = frozenset({"callback", "appointment"})
_NO_TOUCHES: tuple[Touch, ...] = ()
_DNC = LeadStatus.DNC


class Queued(NamedTuple):
    """An active lead with its next action, as a store's due index keeps it."""

    lead: Lead
    action: NextAction
    attempts: int  # calls made so far


def rank(
    leads: Iterable[Lead],
    touches_by_lead: Mapping[str, Sequence[Touch]],
    now: datetime,
    cadence: Cadence,
    window: CallingWindow,
    threshold: timedelta,
    *,
    include_all: bool = False,
    claims: Mapping[str, str] | None = None,
) -> list[QueueEntry]:
    """The ranked queue at `now`.

    include_all=False: only entries due now and callable now. True: every active lead with a
    next action; the due ones first in rank order, then the rest by due time.
    `claims` maps lead id -> the rep who has it open (QueueEntry.claimed_by).
    """
    claims = claims or {}
    # The loop allocates many small acyclic objects; a collection pass over the whole heap
    # (hundreds of thousands of leads and touches) in the middle of it costs more than the
    # ranking itself. Nothing here creates reference cycles, so pause the cyclic collector.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _rank(leads, touches_by_lead, now, cadence, window, threshold, include_all, claims)
    finally:
        if collecting:
            gc.enable()


# lead id -> (lead, touches, cadence, window, status, action fields, calls, NextAction | None):
# the replay of a lead is a pure function of (lead, touches, cadence, window), so it is
# reused while those compare equal (identity first, so a hit costs a few pointer compares).
_memo: dict[str, list[Any]] = {}
_MEMO_LIMIT = 400_000


def _rank(
    leads: Iterable[Lead],
    touches_by_lead: Mapping[str, Sequence[Touch]],
    now: datetime,
    cadence: Cadence,
    window: CallingWindow,
    threshold: timedelta,
    include_all: bool,
    claims: Mapping[str, str],
) -> list[QueueEntry]:
    memo = _memo
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()

    def rows() -> Iterator[tuple[Lead, NextAction, int, tuple[Touch, ...]]]:
        for lead in leads:
            if lead.status is _DNC:
                continue
            touches = touches_by_lead.get(lead.id, _NO_TOUCHES)
            if touches.__class__ is not tuple:
                touches = tuple(touches)
            row = memo.get(lead.id)
            if (
                row is None
                or not (row[0] is lead or row[0] == lead)
                or not (row[1] is touches or row[1] == touches)
                or row[2] is not cadence
                or not (row[3] is window or row[3] == window)
            ):
                try:
                    status, fields, calls = assess(lead, touches, cadence, window)
                except OverflowError:  # a stored time near year 1 or 9999: left off the queue
                    status, fields, calls = lead.status, None, 0  # (doctor sets it aside)
                row = memo[lead.id] = [lead, touches, cadence, window, status, fields, calls, None]
            if row[5] is None:
                continue
            action = row[7]
            if action is None:
                action = row[7] = NextAction(*row[5])
            yield lead, action, row[6], touches

    return _order(rows(), now, window, threshold, include_all, claims)


def rank_queued(
    queued: Iterable[Queued],
    now: datetime,
    window: CallingWindow,
    threshold: timedelta,
    *,
    include_all: bool = False,
    claims: Mapping[str, str] | None = None,
    touches_by_lead: Mapping[str, Sequence[Touch]] | None = None,
) -> list[QueueEntry]:
    """`rank` from next actions the store already knows (`LeadStore.due_queue`), without
    replaying any touches: the same entries, in the same order. `touches_by_lead` only
    fills `QueueEntry.touches` (empty without it)."""
    touches = touches_by_lead or {}

    def rows() -> Iterator[tuple[Lead, NextAction, int, tuple[Touch, ...]]]:
        for item in queued:
            lead = item.lead
            if lead.status is _DNC:
                continue
            found = touches.get(lead.id, _NO_TOUCHES)
            if found.__class__ is not tuple:
                found = tuple(found)
            yield lead, item.action, item.attempts, found

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _order(rows(), now, window, threshold, include_all, claims or {})
    finally:
        if collecting:
            gc.enable()


def _order(
    rows: Iterable[tuple[Lead, NextAction, int, tuple[Touch, ...]]],
    now: datetime,
    window: CallingWindow,
    threshold: timedelta,
    include_all: bool,
    claims: Mapping[str, str],
) -> list[QueueEntry]:
    """Rank (lead, next action, calls made, touches) rows (see the module docstring)."""
    open_now: dict[tuple[str, ...], bool] = {}  # a lead's zones -> window open now
    ranked: list[tuple[int, float, QueueEntry]] = []
    later: list[tuple[float, QueueEntry]] = []
    for lead, action, calls, touches in rows:
        due_at = action.due_at
        due = due_at <= now
        if due and not (
            action.ignores_window and (action.late_at is None or now <= action.late_at)
        ):
            # not a time asked for inside its grace: the window decides
            due = may_call_due(lead, False, None, now, window, open_now)
        if not due and not include_all:
            continue
        started = lead.received_at if lead.reopened_at is None else lead.reopened_at
        age = now - started
        entry = QueueEntry(
            lead,
            action,
            calls,
            int(age.total_seconds()),
            calls == 0 and age > threshold,
            due,
            claims.get(lead.id),
            touches,
        )
        if not due:
            later.append((due_at.timestamp(), entry))
        elif action.kind in _ASKED:
            ranked.append((0, due_at.timestamp(), entry))
        elif calls == 0:
            ranked.append((1, -started.timestamp(), entry))
        else:
            ranked.append((2, due_at.timestamp(), entry))
    ranked.sort(key=_rank_key)
    result = [row[2] for row in ranked]
    if later:
        later.sort(key=_later_key)
        result.extend(row[1] for row in later)
    return result


def _rank_key(row: tuple[int, float, QueueEntry]) -> tuple[int, float]:
    return row[0], row[1]


def _later_key(row: tuple[float, QueueEntry]) -> float:
    return row[0]


def format_age(seconds: int | float) -> str:
    """A short age: "45s", "4m", "2h13m", "3d" (whole days past 24 hours)."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d"


_CALL_TEXT = {
    Message.NONE: "call",
    Message.FIRST: "call + first message",
    Message.FOLLOW_UP: "call + follow-up message",
    Message.FINAL: "call + final message",
}


def describe_action(action: NextAction, tz: str, now: datetime | None = None) -> str:
    """A few words for the action: "call + first message", "callback 15:30", ...

    Times are the lead's local time; when `now` is given and the action falls on another
    local day, the date is added ("callback Tue 2 Jul 15:30").
    """
    if action.channel is not Channel.CALL:
        text = action.channel.value
        return text if action.message is Message.NONE else f"{text} ({action.message} message)"
    if action.kind in _ASKED:
        local = action.due_at.astimezone(zone(tz))
        when = f"{local:%H:%M}"
        if now is not None and now.astimezone(zone(tz)).date() != local.date():
            when = f"{local:%a} {local.day} {local:%b} {when}"
        return f"{action.kind} {when}"
    if action.kind == "follow-up":
        text = "follow-up call"
        if action.message is not Message.NONE:
            text += f" + {action.message} message"
        return text
    return _CALL_TEXT[action.message]


def may_call_due(
    lead: Lead,
    asked: bool | None,
    late_at: datetime | None,
    now: datetime,
    window: CallingWindow,
    open_now: dict[tuple[str, ...], bool],
) -> bool:
    """Whether a lead whose next action is due may be called at `now`: a time the lead
    asked for (`asked`), inside its grace (until `late_at`), may; otherwise every zone it
    may be in must be inside its calling window. `open_now` keeps, for this `now`, whether
    each set of zones is open (many leads share a zone)."""
    if asked and (late_at is None or now <= late_at):
        return True
    zones = lead.zones
    found = open_now.get(zones)
    if found is None:
        found = open_now[zones] = is_open_in(window, zones, now)
    return found
