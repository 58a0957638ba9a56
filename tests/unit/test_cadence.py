"""The cadence engine for a lead not yet reached: day 0, the day blocks, message
carry-over and DST weeks, with fixed datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cadence_helpers import NY, OC, SYD, C, Log, lead_at, loc, local, nxt, status

from leadtui.domain.cadence import call_attempts, derive_status
from leadtui.domain.model import Channel, LeadStatus, Message

# ------------------------------------------------------------------ the default plan


def test_default_cadence_matches_article_001() -> None:
    calls = [s for s in C.steps if s.channel is Channel.CALL]
    assert len(calls) == len(C.steps) == 9
    by_stage: dict[str, list[Message]] = {}
    for step in calls:
        by_stage.setdefault(step.stage, []).append(step.message)
    assert by_stage["day-0"] == [Message.NONE, Message.FIRST, Message.NONE]
    assert len(by_stage["days-1-7"]) == 3
    assert by_stage["days-1-7"].count(Message.FOLLOW_UP) == 1
    assert by_stage["days-1-7"].count(Message.NONE) == 2
    assert len(by_stage["days-8-14"]) == 2
    assert by_stage["days-8-14"].count(Message.NONE) == 1
    assert by_stage["days-15-21"] == [Message.FINAL]
    days = [s.day for s in calls[3:]]
    assert all(1 <= d <= 7 for d in days[:3])
    assert all(8 <= d <= 14 for d in days[3:5])
    assert 15 <= days[5] <= 21
    assert len({s.at for s in calls[3:]}) == 6  # the hour of day varies
    assert calls[2].same_day_only


def test_new_lead_first_call_is_due_on_arrival() -> None:
    received = loc(NY, 2024, 7, 1, 10, 0)
    action = nxt(lead_at(received))
    assert action is not None
    assert action.kind == "first-call"
    assert action.channel is Channel.CALL
    assert action.message is Message.NONE
    assert action.stage == "day-0"
    assert action.step == 0
    assert action.due_at == received
    assert not action.ignores_window
    assert derive_status(lead_at(received), [], C) is LeadStatus.NEW


def test_lead_arriving_at_2045_is_called_at_0800_next_day() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 20, 45))
    action = nxt(lead)
    assert action is not None and action.due_at == loc(NY, 2024, 7, 2, 8, 0)
    # call 1 made at the opening -> call 2 half an hour later, day 0 is 2 July
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 2, 8, 0))
    second = nxt(lead, log)
    assert second is not None and second.due_at == loc(NY, 2024, 7, 2, 8, 30)
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 2, 8, 30))
    third = nxt(lead, log)
    assert third is not None and third.due_at == loc(NY, 2024, 7, 2, 11, 30)


def test_lead_arriving_at_0300_is_called_at_0800_same_day() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 3, 0))
    action = nxt(lead)
    assert action is not None and action.due_at == loc(NY, 2024, 7, 1, 8, 0)


def test_lead_arriving_at_0800_exactly_is_due_at_once() -> None:
    received = loc(NY, 2024, 7, 1, 8, 0)
    action = nxt(lead_at(received))
    assert action is not None and action.due_at == received


def test_call_two_is_due_30_minutes_after_call_one_and_late_after_60() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 2))
    action = nxt(lead, log)
    assert action is not None
    assert action.kind == "cadence"
    assert action.step == 1
    assert action.message is Message.FIRST
    assert action.due_at == loc(NY, 2024, 7, 1, 10, 32)
    assert action.late_at == loc(NY, 2024, 7, 1, 11, 2)
    assert status(lead, log) is LeadStatus.WORKING


def test_call_two_past_2030_moves_to_next_morning_and_late_moves_with_it() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 20, 0))
    log = Log().add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 20, 10))
    action = nxt(lead, log)
    assert action is not None
    assert action.due_at == loc(NY, 2024, 7, 2, 8, 0)
    assert action.late_at == loc(NY, 2024, 7, 2, 8, 30)
    # call 2 made next morning: day 0 was 1 July, so there is no call 3
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 2, 8, 5))
    after = nxt(lead, log)
    assert after is not None
    assert after.stage == "days-1-7"
    assert after.due_at == loc(NY, 2024, 7, 2, 16, 30)  # day 1 = 2 July
    assert after.message is Message.FOLLOW_UP


def test_call_three_same_day_three_hours_after_call_two() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, 10, 45))
    action = nxt(lead, log)
    assert action is not None
    assert (action.step, action.stage, action.message) == (2, "day-0", Message.NONE)
    assert action.due_at == loc(NY, 2024, 7, 1, 13, 45)


@pytest.mark.parametrize(
    ("call_two", "expect_call_three"),
    [((17, 29), True), ((17, 30), False), ((19, 0), False)],
)
def test_call_three_skipped_when_it_would_fall_at_or_after_2030(
    call_two: tuple[int, int], expect_call_three: bool
) -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 16, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 16, 59))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, *call_two))
    action = nxt(lead, log)
    assert action is not None
    if expect_call_three:
        assert action.step == 2
        assert action.due_at == loc(NY, 2024, 7, 1, 20, 29)
    else:
        assert action.step == 3
        assert action.stage == "days-1-7"
        assert action.due_at == loc(NY, 2024, 7, 2, 16, 30)


def test_day_blocks_follow_the_data_and_the_plan_ends_exhausted() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log()
    seen: list[tuple[str, Message, tuple[int, int, int, int]]] = []
    for _ in range(20):
        action = nxt(lead, log)
        if action is None:
            break
        seen.append((action.stage, action.message, local(action.due_at)))
        outcome = OC.VM_HANGUP if action.message is Message.NONE else OC.VM_MESSAGE
        log.add(outcome, action.due_at)
    assert seen == [
        ("day-0", Message.NONE, (1, 10, 0, -4)),
        ("day-0", Message.FIRST, (1, 10, 30, -4)),
        ("day-0", Message.NONE, (1, 13, 30, -4)),
        ("days-1-7", Message.FOLLOW_UP, (2, 16, 30, -4)),
        ("days-1-7", Message.NONE, (4, 11, 0, -4)),
        ("days-1-7", Message.NONE, (6, 17, 30, -4)),
        ("days-8-14", Message.FOLLOW_UP, (10, 15, 30, -4)),
        ("days-8-14", Message.NONE, (13, 10, 30, -4)),
        ("days-15-21", Message.FINAL, (18, 16, 0, -4)),
    ]
    assert status(lead, log) is LeadStatus.EXHAUSTED
    assert nxt(lead, log) is None
    assert call_attempts(log.touches) == 9


def test_one_step_before_the_end_the_lead_is_still_working() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log()
    for _ in range(8):
        action = nxt(lead, log)
        assert action is not None
        log.add(OC.NO_ANSWER, action.due_at)
    assert status(lead, log) is LeadStatus.WORKING
    last = nxt(lead, log)
    # issue 11: no voicemail was ever reached, so no message was left: the first message
    # is still the one due (messages are never skipped), even on the last call
    assert last is not None and last.stage == "days-15-21"
    assert last.message is Message.FIRST


def test_day_steps_respect_the_minimum_gap_after_a_late_call() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, 10, 30))
    log.add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 13, 30))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 4, 9, 50))  # the day-1 call, made on day 3
    action = nxt(lead, log)
    assert action is not None
    assert action.stage == "days-1-7"
    assert action.due_at == loc(NY, 2024, 7, 4, 13, 50)  # not 11:00, 70 minutes later


def test_minimum_gap_pushing_past_2030_moves_to_next_opening() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, 10, 30))
    log.add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 13, 30))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 4, 19, 0))  # day-1 call made day 3 evening
    action = nxt(lead, log)
    assert action is not None
    assert action.due_at == loc(NY, 2024, 7, 5, 8, 0)  # 23:00 is closed -> 08:00


# ------------------------------------------------------------------ message carry-over


def test_a_message_not_left_is_carried_to_the_next_call() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 10, 30))  # no voicemail: "first" not left
    action = nxt(lead, log)
    assert action is not None and action.step == 2
    assert action.message is Message.FIRST
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, 13, 30))  # delivered now
    action = nxt(lead, log)
    assert action is not None and action.message is Message.FOLLOW_UP  # its own
    log.add(OC.VM_MESSAGE, action.due_at)
    action = nxt(lead, log)
    assert action is not None and action.message is Message.NONE


def test_a_message_not_left_comes_before_the_steps_own() -> None:
    # issue 11 changed this rule: the first message not left is carried past a step with
    # its own message (it used to be replaced by the step's follow-up, and never left)
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 10, 30))  # first: not left
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 13, 30))  # call 3 carried it, still not left
    action = nxt(lead, log)
    assert action is not None and action.message is Message.FIRST
    log.add(OC.VM_HANGUP, action.due_at)  # voicemail but hung up: first still not left
    action = nxt(lead, log)
    assert action is not None and action.stage == "days-1-7"
    assert action.message is Message.FIRST  # carried into a "none" step
    log.add(OC.VM_MESSAGE, action.due_at)
    action = nxt(lead, log)
    assert action is not None and action.message is Message.FOLLOW_UP  # then the next one


def test_a_carried_message_keeps_travelling_until_it_is_left() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, 10, 30))
    log.add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 13, 30))
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 2, 16, 30))  # day 1: follow-up not left
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 4, 11, 0))  # day 3 carried it: not left either
    action = nxt(lead, log)
    assert action is not None and action.step == 5
    assert action.message is Message.FOLLOW_UP  # day 5 still carries it
    log.add(OC.VM_MESSAGE, action.due_at)
    action = nxt(lead, log)
    assert action is not None and action.message is Message.FOLLOW_UP  # day 9's own


def test_a_message_left_on_a_none_step_clears_the_pending_one() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 10, 30))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 1, 13, 30))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 7, 2, 16, 30))
    action = nxt(lead, log)
    assert action is not None and action.message is Message.NONE


# ------------------------------------------------------------------ DST weeks


def test_new_york_spring_forward_week() -> None:
    # Call 1 on Saturday 9 March 2024 (EST); Sunday 10 March is a 23-hour day.
    lead = lead_at(loc(NY, 2024, 3, 9, 18, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 3, 9, 18, 0))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 3, 9, 18, 30))
    third = nxt(lead, log)
    assert third is not None and third.step == 3  # 21:30 is too late: no call 3
    assert third.due_at == datetime(2024, 3, 10, 20, 30, tzinfo=UTC)  # 16:30 EDT
    assert local(third.due_at) == (10, 16, 30, -4)
    log.add(OC.VM_MESSAGE, third.due_at)
    fourth = nxt(lead, log)
    assert fourth is not None and local(fourth.due_at) == (12, 11, 0, -4)


def test_new_york_fall_back_week() -> None:
    lead = lead_at(loc(NY, 2024, 11, 2, 9, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 11, 2, 9, 0))
    log.add(OC.VM_MESSAGE, loc(NY, 2024, 11, 2, 9, 30))
    log.add(OC.VM_HANGUP, loc(NY, 2024, 11, 2, 12, 30))
    action = nxt(lead, log)
    assert action is not None
    assert action.due_at == datetime(2024, 11, 3, 21, 30, tzinfo=UTC)  # 16:30 EST
    assert local(action.due_at) == (3, 16, 30, -5)


def test_sydney_dst_end_week() -> None:
    # Sunday 7 April 2024: 03:00 AEDT -> 02:00 AEST.
    lead = lead_at(loc(SYD, 2024, 4, 6, 11, 0), tz=SYD)
    log = Log().add(OC.VM_HANGUP, loc(SYD, 2024, 4, 6, 11, 0))
    log.add(OC.VM_MESSAGE, loc(SYD, 2024, 4, 6, 11, 30))
    log.add(OC.VM_HANGUP, loc(SYD, 2024, 4, 6, 14, 30))
    action = nxt(lead, log)
    assert action is not None
    assert action.due_at == datetime(2024, 4, 7, 6, 30, tzinfo=UTC)
    assert local(action.due_at, SYD) == (7, 16, 30, 10)


def test_sydney_dst_start_week_and_a_lead_arriving_at_night() -> None:
    # Sunday 6 October 2024: 02:00 AEST -> 03:00 AEDT. Lead arrives Saturday 20:45 AEST.
    lead = lead_at(loc(SYD, 2024, 10, 5, 20, 45), tz=SYD)
    first = nxt(lead)
    assert first is not None
    assert first.due_at == datetime(2024, 10, 5, 21, 0, tzinfo=UTC)  # Sunday 08:00 AEDT
    assert local(first.due_at, SYD) == (6, 8, 0, 11)


def test_follow_up_one_day_later_keeps_the_local_hour_across_dst() -> None:
    lead = lead_at(loc(NY, 2024, 3, 9, 9, 0))
    log = Log().add(OC.TALKED, loc(NY, 2024, 3, 9, 15, 0))
    action = nxt(lead, log)
    assert action is not None
    assert local(action.due_at) == (10, 15, 0, -4)
    assert action.due_at - log.touches[0].at == timedelta(hours=23)
