"""The follow-up cadence: a plan kept as data, read by one engine.

The plan itself lives in TOML (`leadtui/data/cadence.toml`, overridable by the user; see
`cadence_file.py` for the schema and loading). This module replays a lead's touches through
it and answers: what is the lead's status, what is the next action and when is it due.

Rules (documented in the packaged TOML too):
- Unreached outcomes (`no-answer`, `vm-hangup`, `vm-message`) advance the cadence one call
  step per call. A step with `same_day_only` is skipped unless it falls on day 0 (the local
  date of call 1) inside the window. Email/text steps are extra touches: a call passes over
  them, an email/text touch completes one only when it is the next step.
- Message carry-over: a call's message is its step's own, else the most recent message not
  yet left; a `vm-message` outcome delivers (clears) it.
- `talked` -> contacted, follow-up call at `when` or `follow_up.after` later, in the window.
  `callback`/`appointment` -> due exactly at `when`, even outside the window. An unanswered
  call after contact -> another follow-up `follow_up.retry` later, until
  `follow_up.max_attempts` in a row have gone unanswered: then exhausted.
- `not-interested`, `won`, `bad-number` close the lead; `dnc` (or a lead that arrived with
  status dnc) closes it for good. Otherwise the most recent decisive outcome wins: a
  `talked`, `callback` or `appointment` reopens a closed lead; unanswered calls on a closed
  lead are recorded but change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import NamedTuple
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
from leadtui.domain.window import CallingWindow, local_instant_z, next_opening_z, zone

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
    "next_action",
    "plan",
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
    z: ZoneInfo,
    window: CallingWindow,
) -> tuple[datetime, datetime | None]:
    """When `step` falls due (moved into the window) and when it is late."""
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
    due = next_opening_z(window, z, due)
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
    z: ZoneInfo,
    window: CallingWindow,
) -> tuple[int, datetime | None, datetime | None] | None:
    """The next step to do from index `i` (index, due, late), skipping what must be
    skipped; None at the end. due/late are set only when a same_day_only check needed them."""
    n = len(steps)
    while i < n:
        step = steps[i]
        if calls_only and step.channel is not _CALL:
            i += 1
            continue
        if step.same_day_only:
            due, late = _step_due(step, received, last_call, day0, tz, z, window)
            if due.astimezone(z).date() != day0:
                i += 1
                continue
            return i, due, late
        return i, None, None
    return None


def _touch_time(touch: Touch) -> datetime:
    return touch.at


def assess(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> tuple[LeadStatus, ActionFields | None, int]:
    """Replay the touches: (status, next action fields or None, calls made).

    Touches are expected oldest first (as the store gives them); others are sorted by time.

    The low-level, allocation-light form behind next_action/evaluate (used by the queue).
    """
    if lead.status is _DNC_STATUS:
        return _DNC_STATUS, None, 0
    tz = lead.timezone
    z = zone(tz)
    received = lead.received_at
    steps = cadence.steps
    n_steps = len(steps)
    mode, status, index, calls, misses = _CADENCE, _NEW, 0, 0, 0
    pending: Message | None = None  # a message not yet left
    day0: date | None = None  # local date of call 1
    last_call: datetime | None = None
    kind = ""  # follow mode: "follow-up", "callback" or "appointment"
    due: datetime = received  # follow mode: when
    previous_at: datetime | None = None
    for touch in touches:
        if previous_at is not None and touch.at < previous_at:  # not oldest first: sort
            return assess(lead, sorted(touches, key=_touch_time), cadence, window)
        previous_at = touch.at
        outcome = touch.outcome
        if outcome is _NO_ANSWER or outcome is _VM_HANGUP or outcome is _VM_MESSAGE:
            if mode == _CADENCE:
                step = steps[index] if index < n_steps else None
                if step is None or step.channel is not _CALL or step.same_day_only:
                    found = _find(steps, index, True, received, last_call, day0, tz, z, window)
                    step = None if found is None else steps[found[0]]
                    index = n_steps if found is None else found[0]
                if step is None:
                    mode, status = _CLOSED, _EXHAUSTED
                else:
                    message = step.message if step.message is not _NONE else pending
                    pending = None if outcome is _VM_MESSAGE else message
                    index += 1
                    status = _WORKING
            elif mode == _FOLLOW:
                misses += 1
                rules = cadence.follow_up
                if misses >= rules.max_attempts:
                    mode, status = _CLOSED, _EXHAUSTED
                else:
                    kind, status = "follow-up", _CONTACTED
                    due = next_opening_z(window, z, rules.retry.add(touch.at, tz))
        elif outcome is _TALKED:
            mode, status, kind, misses = _FOLLOW, _CONTACTED, "follow-up", 0
            at = touch.when
            if at is None:
                at = cadence.follow_up.after.add(touch.at, tz)
            due = next_opening_z(window, z, at)
        elif outcome is _DNC_OUTCOME:
            return _DNC_STATUS, None, calls + 1
        elif outcome in _ASKED:
            mode, status, kind, misses = _FOLLOW, _ASKED[outcome], outcome.value, 0
            if touch.when is not None:
                due = touch.when
            else:  # refused by check_touch; treat like `talked` if it got stored anyway
                kind, status = "follow-up", _CONTACTED
                due = next_opening_z(window, z, cadence.follow_up.after.add(touch.at, tz))
        elif outcome in _CLOSING:
            mode, status = _CLOSED, _CLOSING[outcome]
        else:  # email or text
            if mode == _CADENCE:
                found = _find(steps, index, False, received, last_call, day0, tz, z, window)
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
        return status, (_CALL, kind, _NONE, due, kind, None, None, asked), calls
    step_due = late = None
    if index < n_steps and not steps[index].same_day_only:
        step = steps[index]
    else:
        found = _find(steps, index, False, received, last_call, day0, tz, z, window)
        if found is None:
            return _EXHAUSTED, None, calls
        index, step_due, late = found
        step = steps[index]
    if step_due is None:
        step_due, late = _step_due(step, received, last_call, day0, tz, z, window)
    if step.channel is _CALL:
        message = step.message
        if message is _NONE and pending is not None:
            message = pending
        kind = "cadence" if calls else "first-call"
        return status, (_CALL, kind, message, step_due, step.stage, index, late, False), calls
    fields = (step.channel, step.channel.value, step.message, step_due, step.stage, index, late)
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


def check_touch(lead: Lead, outcome: Outcome, when: datetime | None) -> None:
    """Refuse (LeadError) a touch that must not be logged."""
    if lead.status is LeadStatus.DNC and outcome in _CALL_OUTCOMES and outcome is not Outcome.DNC:
        raise LeadError(
            f"{lead.phone} is on the do-not-call list: '{outcome.value}' cannot be logged"
        )
    if outcome in _ASKED and when is None:
        raise LeadError(f"'{outcome.value}' needs a time (when to call)")
    if when is not None and when.tzinfo is None:
        raise LeadError("the time asked for must include a time zone")


def call_attempts(touches: Sequence[Touch]) -> int:
    """How many calls the touches contain."""
    email, text = Outcome.EMAIL, Outcome.TEXT
    return sum(1 for t in touches if t.outcome is not email and t.outcome is not text)


def plan(
    lead: Lead,
    touches: Sequence[Touch],
    cadence: Cadence,
    window: CallingWindow,
    now: datetime,
) -> list[NextAction]:
    """The rest of the plan from `now`: each remaining call is assumed made when due (or at
    `now` when overdue) and to reach voicemail, leaving the message when it has one."""
    simulated = list(touches)
    steps: list[NextAction] = []
    limit = len(cadence.steps) + cadence.follow_up.max_attempts + 2
    for n in range(limit):
        action = next_action(lead, simulated, cadence, window)
        if action is None:
            break
        steps.append(action)
        if action.channel is Channel.EMAIL:
            outcome = Outcome.EMAIL
        elif action.channel is Channel.TEXT:
            outcome = Outcome.TEXT
        elif action.message is _NONE:
            outcome = Outcome.VM_HANGUP
        else:
            outcome = Outcome.VM_MESSAGE
        at = max(action.due_at, now, simulated[-1].at if simulated else now).astimezone(UTC)
        simulated.append(Touch(id=f"plan-{n}", lead_id=lead.id, outcome=outcome, at=at))
    return steps
