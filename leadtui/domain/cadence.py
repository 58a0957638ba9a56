"""The follow-up cadence: a plan kept as data, read by one engine.

The plan itself lives in TOML (`leadtui/data/cadence.toml`, overridable by the user; see
`cadence_file.py` for the schema and loading). This module replays a lead's touches through
it and answers: what is the lead's status, what is the next action and when is it due.

Rules (documented in the packaged TOML and the README too):
- Unreached outcomes (`no-answer`, `vm-hangup`, `vm-message`) advance the cadence one call
  step per call. A step with `same_day_only` is skipped unless it falls on day 0 (the local
  date of call 1) inside the window. Email/text steps are extra touches: a call passes over
  them, an email/text touch completes one only when it is the next step.
- Messages: the cadence's call steps with a message are its message slots, in order (the
  default: first, follow-up, follow-up, final). The message due on a call is the first slot
  not yet left whose step the cadence has reached; every `vm-message` fills the next slot.
  So a message that could not be left is carried to the next call, one left early counts,
  and none is left twice or skipped.
- `talked` -> contacted, follow-up call at `when` or `follow_up.after` later, in the window.
  `callback`/`appointment` -> due exactly at `when`, even outside the window, until
  `follow_up.grace` after it (`late_at`); unanswered by then it waits for the window (see
  `callable_now`). A call before the booked time that does not reach the person keeps the
  booking; a `talked`, `callback` or `appointment` replaces it. An unanswered call after
  contact -> another follow-up `follow_up.retry` later, until `follow_up.max_attempts` in a
  row have gone unanswered: then exhausted.
- `not-interested`, `won`, `bad-number` close the lead; `dnc` (or a lead that arrived with
  status dnc) closes it for good. Otherwise the most recent decisive outcome wins: a
  `talked`, `callback` or `appointment` reopens a closed lead; unanswered calls on a closed
  lead are recorded but change nothing.
- A lead reopened by a repeat inquiry (`Lead.reopened_at`) starts over from that inquiry:
  touches before it stay in its history and are not replayed.
- Zone doubt: every due time is moved into the window shared by all of the lead's zones
  (`Lead.zones`); day numbers and clock times are read on the lead's own zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from leadtui.domain.cadence_file import (
    Anchor,
    Cadence,
    CadenceError,
    FollowUpRules,
    Span,
    Step,
    load_cadence,
)
from leadtui.domain.model import (
    Channel,
    Lead,
    LeadError,
    LeadStatus,
    Message,
    NextAction,
    Outcome,
    Touch,
)
from leadtui.domain.window import (
    CallingWindow,
    local_instant_z,
    next_opening_zs,
    zone,
)

__all__ = [
    "Anchor",
    "Assessment",
    "Cadence",
    "CadenceError",
    "FollowUpRules",
    "Span",
    "Step",
    "call_attempts",
    "check_touch",
    "derive_status",
    "evaluate",
    "load_cadence",
    "message_slots",
    "next_action",
]

_CALL = Channel.CALL
_NONE = Message.NONE
_CLOSING = {
    Outcome.NOT_INTERESTED: LeadStatus.NOT_INTERESTED,
    Outcome.WON: LeadStatus.WON,
    Outcome.BAD_NUMBER: LeadStatus.BAD_NUMBER,
}
_ASKED = {Outcome.CALLBACK: LeadStatus.CALLBACK, Outcome.APPOINTMENT: LeadStatus.APPOINTMENT}
_NON_CALL = {Outcome.EMAIL: Channel.EMAIL, Outcome.TEXT: Channel.TEXT}
_CALL_OUTCOMES = frozenset(o for o in Outcome if o not in _NON_CALL)
_DEFAULT_WINDOW = CallingWindow()
_DNC_STATUS = LeadStatus.DNC

_DAY, _PREVIOUS = Anchor.DAY, Anchor.PREVIOUS
_NO_ANSWER, _VM_HANGUP, _VM_MESSAGE = Outcome.NO_ANSWER, Outcome.VM_HANGUP, Outcome.VM_MESSAGE
_TALKED, _DNC_OUTCOME = Outcome.TALKED, Outcome.DNC
_WORKING, _CONTACTED, _EXHAUSTED = LeadStatus.WORKING, LeadStatus.CONTACTED, LeadStatus.EXHAUSTED
_NEW = LeadStatus.NEW

# The fields of a NextAction, in order, as a plain tuple (cheap to build for every lead).
ActionFields = tuple[Channel, str, Message, datetime, str, "int | None", "datetime | None", bool]

# replay modes
_CADENCE, _FOLLOW, _CLOSED = 0, 1, 2


def _step_due(
    step: Step,
    received: datetime,
    last_call: datetime | None,
    day0: date | None,
    tz: str,
    zs: tuple[ZoneInfo, ...],
    window: CallingWindow,
) -> tuple[datetime, datetime | None]:
    """When `step` falls due (moved into the window) and when it is late."""
    z = zs[0]
    if step.anchor is _DAY:
        if day0 is None:  # cannot happen with a validated cadence; be lenient
            day0 = received.astimezone(z).date()
        assert step.at is not None
        base = nominal = local_instant_z(day0 + step.day_offset, step.at, z)
    else:
        base = last_call if step.anchor is _PREVIOUS and last_call is not None else received
        after = step.after
        nominal = after.add(base, tz) if after.days else base + after.elapsed
    due = nominal
    gap = step.min_gap
    if gap and last_call is not None and last_call + gap > due:
        due = last_call + gap
    due = next_opening_zs(window, zs, due)
    if step.late_after is None:
        return due, None
    return due, step.late_after.add(base, tz) + (due - nominal)


def _find(
    steps: tuple[Step, ...],
    i: int,
    calls_only: bool,
    received: datetime,
    last_call: datetime | None,
    day0: date | None,
    tz: str,
    zs: tuple[ZoneInfo, ...],
    window: CallingWindow,
) -> tuple[int, datetime | None, datetime | None] | None:
    """The next step to do from index `i` (index, due, late), skipping what must be
    skipped; None at the end. due/late are set only when a same_day_only check needed them."""
    n = len(steps)
    z = zs[0]
    while i < n:
        step = steps[i]
        if calls_only and step.channel is not _CALL:
            i += 1
            continue
        if step.same_day_only:
            due, late = _step_due(step, received, last_call, day0, tz, zs, window)
            if due.astimezone(z).date() != day0:
                i += 1
                continue
            return i, due, late
        return i, None, None
    return None


def _touch_time(touch: Touch) -> datetime:
    return touch.at


# cadence -> its message slots: (step index, message) of the call steps that leave one
_SLOTS: dict[int, tuple[Cadence, tuple[tuple[int, Message], ...]]] = {}


def message_slots(cadence: Cadence) -> tuple[tuple[int, Message], ...]:
    """The messages the cadence leaves, in order, with the index of their step."""
    hit = _SLOTS.get(id(cadence))
    if hit is None or hit[0] is not cadence:
        if len(_SLOTS) > 64:
            _SLOTS.clear()
        slots = tuple(
            (i, step.message)
            for i, step in enumerate(cadence.steps)
            if step.channel is _CALL and step.message is not _NONE
        )
        hit = _SLOTS[id(cadence)] = (cadence, slots)
    return hit[1]


def _due_message(slots: tuple[tuple[int, Message], ...], left: int, index: int) -> Message:
    """The first message slot not yet left, once the cadence has reached its step."""
    if left < len(slots):
        at, message = slots[left]
        if at <= index:
            return message
    return _NONE


_ONE_ZONE: dict[str, tuple[ZoneInfo, ...]] = {}


def _zones(lead: Lead) -> tuple[ZoneInfo, ...]:
    names = lead.zone_candidates
    if names and len(names) > 1 and names[0] == lead.timezone:
        return tuple(map(zone, names))
    zs = _ONE_ZONE.get(lead.timezone)
    if zs is None:
        zs = _ONE_ZONE[lead.timezone] = (zone(lead.timezone),)
    return zs


def assess(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> tuple[LeadStatus, ActionFields | None, int]:
    """Replay the touches: (status, next action fields or None, calls made).

    Touches are expected oldest first (as the store gives them); others are sorted by time.
    Touches before the inquiry that reopened the lead (`Lead.reopened_at`) are skipped.

    The low-level, allocation-light form behind next_action/evaluate (used by the queue).
    """
    if lead.status is _DNC_STATUS:
        return _DNC_STATUS, None, 0
    tz = lead.timezone
    zs = _zones(lead)
    z = zs[0]
    restart = lead.reopened_at
    received = lead.received_at if restart is None else restart
    steps = cadence.steps
    n_steps = len(steps)
    slots = message_slots(cadence)
    n_slots = len(slots)
    mode, status, index, calls, misses = _CADENCE, _NEW, 0, 0, 0
    left = 0  # message slots filled (vm-message outcomes in the cadence)
    day0: date | None = None  # local date of call 1
    last_call: datetime | None = None
    kind = ""  # follow mode: "follow-up", "callback" or "appointment"
    due: datetime = received  # follow mode: when
    late: datetime | None = None  # follow mode: end of a callback's grace
    previous_at: datetime | None = None
    for touch in touches:
        if previous_at is not None and touch.at < previous_at:  # not oldest first: sort
            return assess(lead, sorted(touches, key=_touch_time), cadence, window)
        previous_at = touch.at
        outcome = touch.outcome
        if restart is not None and touch.at < restart:
            if outcome is _DNC_OUTCOME:  # (a dnc lead is never reopened; be safe)
                return _DNC_STATUS, None, calls
            continue
        if outcome is _NO_ANSWER or outcome is _VM_HANGUP or outcome is _VM_MESSAGE:
            if mode == _CADENCE:
                step = steps[index] if index < n_steps else None
                if step is None or step.channel is not _CALL or step.same_day_only:
                    found = _find(steps, index, True, received, last_call, day0, tz, zs, window)
                    step = None if found is None else steps[found[0]]
                    index = n_steps if found is None else found[0]
                if step is None:
                    mode, status = _CLOSED, _EXHAUSTED
                else:
                    if outcome is _VM_MESSAGE and left < n_slots:
                        left += 1
                    index += 1
                    status = _WORKING
            elif mode == _FOLLOW:
                if kind != "follow-up" and touch.at < due:
                    pass  # a call before the booked time: the booking stands
                else:
                    misses += 1
                    rules = cadence.follow_up
                    if misses >= rules.max_attempts:
                        mode, status = _CLOSED, _EXHAUSTED
                    else:
                        kind, status, late = "follow-up", _CONTACTED, None
                        due = next_opening_zs(window, zs, rules.retry.add(touch.at, tz))
        elif outcome is _TALKED:
            mode, status, kind, misses, late = _FOLLOW, _CONTACTED, "follow-up", 0, None
            at = touch.when
            if at is None:
                at = cadence.follow_up.after.add(touch.at, tz)
            due = next_opening_zs(window, zs, at)
        elif outcome is _DNC_OUTCOME:
            return _DNC_STATUS, None, calls + 1
        elif outcome in _ASKED:
            mode, status, kind, misses = _FOLLOW, _ASKED[outcome], outcome.value, 0
            if touch.when is not None:
                due = touch.when
                late = cadence.follow_up.grace.add(due, tz)
            else:  # refused by check_touch; treat like `talked` if it got stored anyway
                kind, status, late = "follow-up", _CONTACTED, None
                due = next_opening_zs(window, zs, cadence.follow_up.after.add(touch.at, tz))
        elif outcome in _CLOSING:
            mode, status = _CLOSED, _CLOSING[outcome]
        else:  # email or text
            if mode == _CADENCE:
                found = _find(steps, index, False, received, last_call, day0, tz, zs, window)
                if found is not None and steps[found[0]].channel is _NON_CALL[outcome]:
                    index = found[0] + 1
            continue
        # every outcome that gets here is a call
        calls += 1
        last_call = touch.at
        if day0 is None:
            day0 = last_call.astimezone(z).date()
    if mode == _CLOSED:
        return status, None, calls
    if mode == _FOLLOW:
        asked = kind != "follow-up"
        return status, (_CALL, kind, _NONE, due, kind, None, late, asked), calls
    step_due = step_late = None
    if index < n_steps and not steps[index].same_day_only:
        step = steps[index]
    else:
        found = _find(steps, index, False, received, last_call, day0, tz, zs, window)
        if found is None:
            return _EXHAUSTED, None, calls
        index, step_due, step_late = found
        step = steps[index]
    if step_due is None:
        step_due, step_late = _step_due(step, received, last_call, day0, tz, zs, window)
    if step.channel is _CALL:
        message = _due_message(slots, left, index)
        kind = "cadence" if calls else "first-call"
        return status, (_CALL, kind, message, step_due, step.stage, index, step_late, False), calls
    channel = step.channel
    fields = (channel, channel.value, step.message, step_due, step.stage, index, step_late)
    return status, (*fields, False), calls


def next_action(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> NextAction | None:
    """What to do next for the lead and when (UTC); None when nothing is left to do.

    Pure: does not depend on the current time. `touches` oldest first (else sorted).
    """
    fields = assess(lead, touches, cadence, window)[1]
    return None if fields is None else NextAction(*fields)


class Assessment(NamedTuple):
    """A lead's status, next action and number of calls, from one replay."""

    status: LeadStatus
    action: NextAction | None
    calls: int


def evaluate(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> Assessment:
    """Status, next action and call count in one replay (what the queue uses)."""
    status, fields, calls = assess(lead, touches, cadence, window)
    return Assessment(status, None if fields is None else NextAction(*fields), calls)


def derive_status(
    lead: Lead,
    touches: Sequence[Touch],
    cadence: Cadence,
    window: CallingWindow | None = None,
) -> LeadStatus:
    """The lead's status from its touches. A lead whose status is dnc stays dnc.

    `window` only matters for cadences whose last steps are `same_day_only` (whether they
    are skipped decides between working and exhausted); default: the default window.
    """
    return evaluate(lead, touches, cadence, window or _DEFAULT_WINDOW).status


def check_touch(
    lead: Lead, outcome: Outcome, when: datetime | None, at: datetime | None = None
) -> None:
    """Refuse (LeadError) a touch that must not be logged. `at` (when the touch happened,
    given by faces that let the rep say so) must not be before the lead's arrival (the
    inquiry its current cadence runs from): that would fake its speed to lead."""
    if lead.status is LeadStatus.DNC and outcome in _CALL_OUTCOMES and outcome is not Outcome.DNC:
        raise LeadError(
            f"{lead.phone} is on the do-not-call list: '{outcome.value}' cannot be logged"
        )
    if outcome in _ASKED and when is None:
        raise LeadError(f"'{outcome.value}' needs a time (when to call)")
    if when is not None and when.tzinfo is None:
        raise LeadError("the time asked for must include a time zone")
    if at is not None:
        if at.tzinfo is None:
            raise LeadError("the touch time must include a time zone")
        start = lead.started_at
        if at < start:
            z = zone(lead.timezone)
            raise LeadError(
                f"a touch at {at.astimezone(z):%Y-%m-%d %H:%M %Z} is before the lead arrived "
                f"({start.astimezone(z):%Y-%m-%d %H:%M %Z})"
            )


def call_attempts(touches: Sequence[Touch]) -> int:
    """How many calls the touches contain."""
    email, text = Outcome.EMAIL, Outcome.TEXT
    return sum(1 for t in touches if t.outcome is not email and t.outcome is not text)


def __getattr__(name: str) -> Any:
    """`plan` and `current_touches` live in domain/plan.py; importing them from here works."""
    if name in ("plan", "current_touches"):
        from leadtui.domain import plan as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
