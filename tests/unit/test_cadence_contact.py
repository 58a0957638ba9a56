"""The cadence engine after contact and at the edges: follow-ups, callbacks, closing
outcomes, email/text steps, check_touch and plan(), with fixed datetimes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from cadence_helpers import NY, OC, C, Log, W, lead_at, loc, local, nxt, status

from leadtui.domain.cadence import call_attempts, check_touch, derive_status, next_action, plan
from leadtui.domain.cadence_file import parse_cadence
from leadtui.domain.model import Channel, LeadError, LeadStatus, Message, Outcome, Touch
from leadtui.domain.window import CallingWindow

# ------------------------------------------------------------------ after contact


def test_talked_gives_a_follow_up_call_one_day_later() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.TALKED, loc(NY, 2024, 7, 1, 10, 1))
    action = nxt(lead, log)
    assert action is not None
    assert (action.kind, action.stage, action.message) == ("follow-up", "follow-up", Message.NONE)
    assert action.due_at == loc(NY, 2024, 7, 2, 10, 1)
    assert action.step is None and not action.ignores_window
    assert status(lead, log) is LeadStatus.CONTACTED


def test_talked_with_a_time_outside_the_window_moves_into_it() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.TALKED, loc(NY, 2024, 7, 1, 10, 1), when=loc(NY, 2024, 7, 3, 21, 0))
    action = nxt(lead, log)
    assert action is not None and action.due_at == loc(NY, 2024, 7, 4, 8, 0)


@pytest.mark.parametrize(
    ("outcome", "state"),
    [(OC.CALLBACK, LeadStatus.CALLBACK), (OC.APPOINTMENT, LeadStatus.APPOINTMENT)],
)
def test_callback_and_appointment_are_due_exactly_when_asked_even_outside_window(
    outcome: Outcome, state: LeadStatus
) -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    when = loc(NY, 2024, 7, 1, 21, 15)  # after 20:30: the lead asked for it
    log = Log().add(outcome, loc(NY, 2024, 7, 1, 10, 1), when=when)
    action = nxt(lead, log)
    assert action is not None
    assert action.kind == action.stage == outcome.value
    assert action.due_at == when
    assert action.ignores_window
    assert status(lead, log) is state


def test_unanswered_calls_after_contact_retry_daily_then_exhaust() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.CALLBACK, loc(NY, 2024, 7, 1, 10, 1), when=loc(NY, 2024, 7, 1, 15, 30))
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 15, 31))
    action = nxt(lead, log)
    assert action is not None
    assert action.kind == "follow-up" and not action.ignores_window
    assert action.due_at == loc(NY, 2024, 7, 2, 15, 31)
    assert status(lead, log) is LeadStatus.CONTACTED
    for _ in range(4):
        action = nxt(lead, log)
        assert action is not None
        log.add(OC.VM_HANGUP, action.due_at)
    assert status(lead, log) is LeadStatus.CONTACTED  # 5 unanswered in a row
    action = nxt(lead, log)
    assert action is not None
    log.add(OC.VM_MESSAGE, action.due_at)  # the 6th
    assert status(lead, log) is LeadStatus.EXHAUSTED
    assert nxt(lead, log) is None


def test_a_conversation_resets_the_unanswered_count() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.TALKED, loc(NY, 2024, 7, 1, 10, 0))
    for day in range(2, 7):
        log.add(OC.NO_ANSWER, loc(NY, 2024, 7, day, 10, 0))
    log.add(OC.TALKED, loc(NY, 2024, 7, 7, 10, 0))
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 8, 10, 0))
    assert status(lead, log) is LeadStatus.CONTACTED


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        (OC.NOT_INTERESTED, LeadStatus.NOT_INTERESTED),
        (OC.WON, LeadStatus.WON),
        (OC.BAD_NUMBER, LeadStatus.BAD_NUMBER),
        (OC.DNC, LeadStatus.DNC),
    ],
)
def test_closing_outcomes(outcome: Outcome, state: LeadStatus) -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0)).add(outcome, loc(NY, 2024, 7, 1, 11))
    assert status(lead, log) is state
    assert nxt(lead, log) is None
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 2, 11))  # recorded, changes nothing
    assert status(lead, log) is state


def test_the_most_recent_decisive_outcome_wins() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.NOT_INTERESTED, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.TALKED, loc(NY, 2024, 7, 20, 10, 0))  # they called back after all
    assert status(lead, log) is LeadStatus.CONTACTED
    log.add(OC.WON, loc(NY, 2024, 7, 21, 10, 0))
    assert status(lead, log) is LeadStatus.WON


def test_talked_after_exhausted_reopens_the_lead() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log()
    while (action := nxt(lead, log)) is not None:
        log.add(OC.NO_ANSWER, action.due_at)
    assert status(lead, log) is LeadStatus.EXHAUSTED
    log.add(OC.TALKED, loc(NY, 2024, 8, 30, 12, 0))
    assert status(lead, log) is LeadStatus.CONTACTED
    action = nxt(lead, log)
    assert action is not None and action.kind == "follow-up"


def test_dnc_is_sticky() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0), status=LeadStatus.DNC)
    assert derive_status(lead, [], C) is LeadStatus.DNC
    assert nxt(lead) is None
    log = Log().add(OC.DNC, loc(NY, 2024, 7, 1, 10, 0)).add(OC.TALKED, loc(NY, 2024, 7, 2, 10, 0))
    assert status(lead_at(loc(NY, 2024, 7, 1, 10, 0)), log) is LeadStatus.DNC


def test_only_dnc_of_the_stored_statuses_sticks() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0), status=LeadStatus.EXHAUSTED)
    assert derive_status(lead, [], C) is LeadStatus.NEW


# ------------------------------------------------------------------ email and text


def test_touches_out_of_order_are_replayed_by_time() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.TALKED, loc(NY, 2024, 7, 1, 10, 30))
    shuffled = list(reversed(log.touches))
    assert next_action(lead, shuffled, C, W) == nxt(lead, log)
    assert derive_status(lead, shuffled, C) is LeadStatus.CONTACTED


def test_email_and_text_touches_do_not_move_the_call_cadence() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    before = nxt(lead, log)
    log.add(OC.EMAIL, loc(NY, 2024, 7, 1, 10, 5)).add(OC.TEXT, loc(NY, 2024, 7, 1, 10, 6))
    assert nxt(lead, log) == before
    assert call_attempts(log.touches) == 1
    assert status(lead_at(lead.received_at), Log().add(OC.EMAIL, lead.received_at)) == "new"


MIXED = """
[[step]]
stage = "day-0"
anchor = "received"

[[step]]
stage = "day-0"
channel = "email"
anchor = "previous"
after = "10m"
message = "first"

[[step]]
stage = "day-0"
anchor = "previous"
after = "1h"
message = "first"
"""


def test_an_email_step_is_completed_by_an_email_and_passed_over_by_a_call() -> None:
    mixed = parse_cadence(MIXED, "mixed.toml")
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    action = next_action(lead, log.touches, mixed, W)
    assert action is not None
    assert (action.channel, action.kind) == (Channel.EMAIL, "email")
    assert action.due_at == loc(NY, 2024, 7, 1, 10, 10)
    log.add(OC.TEXT, loc(NY, 2024, 7, 1, 10, 11))  # a text does not complete an email step
    assert next_action(lead, log.touches, mixed, W) == action
    emailed = Log()
    emailed.touches = [*log.touches, Touch("e", "l1", OC.EMAIL, loc(NY, 2024, 7, 1, 10, 12))]
    action = next_action(lead, emailed.touches, mixed, W)
    assert action is not None and action.kind == "cadence"
    assert action.due_at == loc(NY, 2024, 7, 1, 11, 0)  # 1h after the previous *call*
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, 10, 30))  # called instead of emailing
    assert next_action(lead, log.touches, mixed, W) is None
    assert derive_status(lead, log.touches, mixed) is LeadStatus.EXHAUSTED


# ------------------------------------------------------------------ check_touch


def test_call_outcomes_are_refused_on_a_dnc_lead() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0), status=LeadStatus.DNC)
    for outcome in Outcome:
        if outcome in (OC.DNC, OC.EMAIL, OC.TEXT):
            check_touch(lead, outcome, None)
            continue
        when = loc(NY, 2024, 7, 2, 10, 0) if outcome.needs_when else None
        with pytest.raises(LeadError, match=r"\+12125550100 is on the do-not-call list"):
            check_touch(lead, outcome, when)


def test_callback_and_appointment_need_a_time() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    for outcome in (OC.CALLBACK, OC.APPOINTMENT):
        with pytest.raises(LeadError, match=f"'{outcome.value}' needs a time"):
            check_touch(lead, outcome, None)
        check_touch(lead, outcome, loc(NY, 2024, 7, 2, 10, 0))
    check_touch(lead, OC.NO_ANSWER, None)
    with pytest.raises(LeadError, match="time zone"):
        check_touch(lead, OC.CALLBACK, datetime(2024, 7, 2, 10, 0))


# ------------------------------------------------------------------ plan


def test_plan_of_a_new_lead_is_the_whole_cadence() -> None:
    received = loc(NY, 2024, 7, 1, 10, 0)
    steps = plan(lead_at(received), [], C, W, now=received)
    assert [s.message for s in steps] == [
        Message.NONE, Message.FIRST, Message.NONE, Message.FOLLOW_UP, Message.NONE,
        Message.NONE, Message.FOLLOW_UP, Message.NONE, Message.FINAL,
    ]  # fmt: skip
    assert [s.stage for s in steps].count("day-0") == 3
    assert steps[-1].stage == "days-15-21"
    assert local(steps[-1].due_at) == (18, 16, 0, -4)
    assert [s.due_at for s in steps] == sorted(s.due_at for s in steps)


def test_plan_made_late_in_the_day_has_no_call_three() -> None:
    received = loc(NY, 2024, 7, 1, 19, 0)
    steps = plan(lead_at(received), [], C, W, now=received)
    assert len(steps) == 8
    assert local(steps[1].due_at) == (1, 19, 30, -4)
    assert steps[2].stage == "days-1-7"


def test_plan_of_an_overdue_lead_starts_from_now() -> None:
    received = loc(NY, 2024, 7, 1, 10, 0)
    now = loc(NY, 2024, 7, 3, 9, 0)
    steps = plan(lead_at(received), [], C, W, now=now)
    # issue 11: an overdue step is placed at the first moment it may happen (now, the
    # window being open), no longer at its original due time
    assert steps[0].due_at == now
    assert steps[1].due_at == loc(NY, 2024, 7, 3, 9, 30)  # call 1 assumed made now
    assert local(steps[3].due_at) == (4, 16, 30, -4)  # day 0 is 3 July


def test_plan_after_contact_and_when_closed() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.TALKED, loc(NY, 2024, 7, 1, 10, 0))
    steps = plan(lead, log.touches, C, W, now=loc(NY, 2024, 7, 1, 10, 5))
    assert len(steps) == C.follow_up.max_attempts
    assert {s.kind for s in steps} == {"follow-up"}
    log.add(OC.WON, loc(NY, 2024, 7, 2, 10, 0))
    assert plan(lead, log.touches, C, W, now=loc(NY, 2024, 7, 2, 10, 5)) == []


def test_plan_leaves_next_action_unchanged() -> None:
    received = loc(NY, 2024, 7, 1, 10, 0)
    lead = lead_at(received)
    log = Log().add(OC.VM_HANGUP, received)
    assert plan(lead, log.touches, C, W, now=received)[0] == nxt(lead, log)
    assert len(log.touches) == 1


def test_a_custom_window_is_used() -> None:
    narrow = CallingWindow(start=W.start.replace(hour=9), end=W.end.replace(hour=17, minute=0))
    lead = lead_at(loc(NY, 2024, 7, 1, 17, 30))
    action = next_action(lead, [], C, narrow)
    assert action is not None and action.due_at == loc(NY, 2024, 7, 2, 9, 0)
    assert replace(action, due_at=action.due_at) == action
