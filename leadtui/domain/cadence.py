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
from datetime import UTC, date, datetime, timedelta

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
from leadtui.domain.window import CallingWindow, local_instant, next_opening, zone

__all__ = [
    "Anchor",
    "Cadence",
    "CadenceError",
    "FollowUpRules",
    "Span",
    "Step",
    "call_attempts",
    "check_touch",
    "derive_status",
    "load_cadence",
    "next_action",
    "plan",
]

_CALL = Channel.CALL
_NONE = Message.NONE
_UNREACHED = frozenset({Outcome.NO_ANSWER, Outcome.VM_HANGUP, Outcome.VM_MESSAGE})
_CLOSING = {
    Outcome.NOT_INTERESTED: LeadStatus.NOT_INTERESTED,
    Outcome.WON: LeadStatus.WON,
    Outcome.BAD_NUMBER: LeadStatus.BAD_NUMBER,
}
_ASKED = {Outcome.CALLBACK: LeadStatus.CALLBACK, Outcome.APPOINTMENT: LeadStatus.APPOINTMENT}
_NON_CALL = {Outcome.EMAIL: Channel.EMAIL, Outcome.TEXT: Channel.TEXT}
_CALL_OUTCOMES = frozenset(o for o in Outcome if o not in _NON_CALL)
_DEFAULT_WINDOW = CallingWindow()

# replay modes
_CADENCE, _FOLLOW, _CLOSED = 0, 1, 2


class _State:
    """Where a lead stands after replaying its touches."""

    __slots__ = ("mode", "status", "index", "pending", "day0", "last_call", "calls", "kind",
                 "due", "misses")  # fmt: skip

    def __init__(self) -> None:
        self.mode = _CADENCE
        self.status = LeadStatus.NEW
        self.index = 0  # next cadence step to look at
        self.pending: Message | None = None  # message not yet left
        self.day0: date | None = None  # local date of call 1
        self.last_call: datetime | None = None
        self.calls = 0
        self.kind = ""  # follow mode: "follow-up", "callback", "appointment"
        self.due: datetime | None = None  # follow mode: when
        self.misses = 0  # follow mode: unanswered calls in a row


def _due(
    step: Step, st: _State, lead: Lead, window: CallingWindow
) -> tuple[datetime, datetime | None]:
    """When `step` falls due given the state (moved into the window), and when it is late."""
    tz = lead.timezone
    if step.anchor is Anchor.DAY:
        day0 = st.day0
        if day0 is None:  # cannot happen with a validated cadence; be lenient
            day0 = lead.received_at.astimezone(zone(tz)).date()
        assert step.at is not None
        base = nominal = local_instant(day0 + timedelta(days=step.day), step.at, tz)
    else:
        base = lead.received_at
        if step.anchor is Anchor.PREVIOUS and st.last_call is not None:
            base = st.last_call
        nominal = step.after.add(base, tz)
    due = nominal
    if st.last_call is not None and step.min_gap:
        floor = st.last_call + step.min_gap
        if floor > due:
            due = floor
    due = next_opening(window, tz, due)
    late = None
    if step.late_after is not None:
        late = step.late_after.add(base, tz) + (due - nominal)
    return due, late


def _next_step(
    st: _State, lead: Lead, cadence: Cadence, window: CallingWindow, calls_only: bool
) -> tuple[int, datetime | None, datetime | None] | None:
    """The next step to do (index, due, late) skipping what must be skipped; None at the end.

    due/late are only computed when a `same_day_only` check needed them (else None).
    """
    steps = cadence.steps
    i = st.index
    while i < len(steps):
        step = steps[i]
        if calls_only and step.channel is not _CALL:
            i += 1
            continue
        if step.same_day_only:
            due, late = _due(step, st, lead, window)
            if due.astimezone(zone(lead.timezone)).date() != st.day0:
                i += 1
                continue
            return i, due, late
        return i, None, None
    return None


def _replay(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> _State:
    st = _State()
    if lead.status is LeadStatus.DNC:
        st.mode, st.status = _CLOSED, LeadStatus.DNC
        return st
    tz = lead.timezone
    rules = cadence.follow_up
    for touch in touches:
        outcome = touch.outcome
        if outcome is Outcome.DNC:
            st.mode, st.status = _CLOSED, LeadStatus.DNC
            return st
        if outcome in _UNREACHED:
            if st.mode == _CADENCE:
                found = _next_step(st, lead, cadence, window, calls_only=True)
                if found is None:
                    st.mode, st.status = _CLOSED, LeadStatus.EXHAUSTED
                else:
                    step = cadence.steps[found[0]]
                    message = step.message if step.message is not _NONE else st.pending
                    st.pending = None if outcome is Outcome.VM_MESSAGE else message
                    st.index = found[0] + 1
                    st.status = LeadStatus.WORKING
            elif st.mode == _FOLLOW:
                st.misses += 1
                if st.misses >= rules.max_attempts:
                    st.mode, st.status = _CLOSED, LeadStatus.EXHAUSTED
                else:
                    st.kind, st.status = "follow-up", LeadStatus.CONTACTED
                    st.due = next_opening(window, tz, rules.retry.add(touch.at, tz))
        elif outcome is Outcome.TALKED:
            st.mode, st.status, st.kind, st.misses = _FOLLOW, LeadStatus.CONTACTED, "follow-up", 0
            at = touch.when if touch.when is not None else rules.after.add(touch.at, tz)
            st.due = next_opening(window, tz, at)
        elif outcome in _ASKED:
            st.mode, st.status, st.kind, st.misses = _FOLLOW, _ASKED[outcome], outcome.value, 0
            if touch.when is not None:
                st.due = touch.when
            else:  # refused by check_touch; treat like `talked` if it got stored anyway
                st.kind, st.status = "follow-up", LeadStatus.CONTACTED
                st.due = next_opening(window, tz, rules.after.add(touch.at, tz))
        elif outcome in _CLOSING:
            st.mode, st.status = _CLOSED, _CLOSING[outcome]
        elif outcome in _NON_CALL:
            if st.mode == _CADENCE:
                found = _next_step(st, lead, cadence, window, calls_only=False)
                if found is not None and cadence.steps[found[0]].channel is _NON_CALL[outcome]:
                    st.index = found[0] + 1
            continue
        # every outcome that gets here is a call
        st.calls += 1
        st.last_call = touch.at
        if st.day0 is None:
            st.day0 = touch.at.astimezone(zone(tz)).date()
    return st


def _action(st: _State, lead: Lead, cadence: Cadence, window: CallingWindow) -> NextAction | None:
    """The next action for a replayed state; sets st.status to exhausted at the plan's end."""
    if st.mode == _CLOSED:
        return None
    if st.mode == _FOLLOW:
        assert st.due is not None
        asked = st.kind != "follow-up"
        return NextAction(_CALL, st.kind, _NONE, st.due, st.kind, None, None, asked)
    found = _next_step(st, lead, cadence, window, calls_only=False)
    if found is None:
        st.mode, st.status = _CLOSED, LeadStatus.EXHAUSTED
        return None
    index, due, late = found
    step = cadence.steps[index]
    if due is None:
        due, late = _due(step, st, lead, window)
    if step.channel is _CALL:
        kind = "first-call" if st.calls == 0 else "cadence"
        message = step.message
        if message is _NONE and st.pending is not None:
            message = st.pending
    else:
        kind, message = step.channel.value, step.message
    return NextAction(step.channel, kind, message, due, step.stage, index, late, False)


def next_action(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> NextAction | None:
    """What to do next for the lead and when (UTC); None when nothing is left to do.

    Pure: does not depend on the current time. `touches` must be oldest first.
    """
    return _action(_replay(lead, touches, cadence, window), lead, cadence, window)


def evaluate(
    lead: Lead, touches: Sequence[Touch], cadence: Cadence, window: CallingWindow
) -> tuple[LeadStatus, NextAction | None]:
    """Status and next action in one replay (what the queue uses)."""
    st = _replay(lead, touches, cadence, window)
    action = _action(st, lead, cadence, window)
    return st.status, action


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
    return evaluate(lead, touches, cadence, window or _DEFAULT_WINDOW)[0]


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
    return sum(1 for t in touches if t.outcome in _CALL_OUTCOMES)


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
        at = max(action.due_at, now).astimezone(UTC)
        simulated.append(Touch(id=f"plan-{n}", lead_id=lead.id, outcome=outcome, at=at))
    return steps
