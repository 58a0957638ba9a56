"""The cadence engine: every rule of the default plan, with fixed datetimes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from leadtui.domain.cadence import (
    call_attempts,
    check_touch,
    derive_status,
    load_cadence,
    next_action,
    plan,
)
from leadtui.domain.cadence_file import parse_cadence
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
from leadtui.domain.window import CallingWindow, local_time, zone

NY = "America/New_York"
SYD = "Australia/Sydney"
W = CallingWindow()
C = load_cadence()
OC = Outcome


def loc(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone(tz)).astimezone(UTC)


def lead_at(received: datetime, tz: str = NY, **kw: object) -> Lead:
    return Lead(
        id="l1",
        name="Ada Lovelace",
        phone="+12125550100",
        email="ada@example.com",
        source="web",
        timezone=tz,
        received_at=received,
        **kw,  # type: ignore[arg-type]
    )


class Log:
    """Builds a touch list for one lead."""

    def __init__(self) -> None:
        self.touches: list[Touch] = []

    def add(self, outcome: Outcome, at: datetime, when: datetime | None = None) -> Log:
        n = len(self.touches)
        self.touches.append(Touch(id=f"t{n}", lead_id="l1", outcome=outcome, at=at, when=when))
        return self


def nxt(lead: Lead, log: Log | list[Touch] = ()) -> NextAction | None:  # type: ignore[assignment]
    touches = log.touches if isinstance(log, Log) else list(log)
    return next_action(lead, touches, C, W)


def status(lead: Lead, log: Log) -> LeadStatus:
    return derive_status(lead, log.touches, C)


def local(at: datetime, tz: str = NY) -> tuple[int, int, int, int]:
    """(day, hour, minute, utc-offset hours) of `at` on the lead's clock."""
    lt = local_time(at, tz)
    off = lt.utcoffset()
    assert off is not None
    return lt.day, lt.hour, lt.minute, int(off.total_seconds() // 3600)


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
    assert last is not None and last.message is Message.FINAL


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


def test_a_steps_own_message_replaces_an_older_pending_one() -> None:
    lead = lead_at(loc(NY, 2024, 7, 1, 10, 0))
    log = Log().add(OC.VM_HANGUP, loc(NY, 2024, 7, 1, 10, 0))
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 10, 30))  # first: pending
    log.add(OC.NO_ANSWER, loc(NY, 2024, 7, 1, 13, 30))  # call 3 carried it, still pending
    action = nxt(lead, log)
    assert action is not None and action.message is Message.FOLLOW_UP
    log.add(OC.VM_HANGUP, action.due_at)  # voicemail but hung up: follow-up not left
    action = nxt(lead, log)
    assert action is not None and action.stage == "days-1-7"
    assert action.message is Message.FOLLOW_UP  # carried into a "none" step


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
    assert steps[0].due_at == received  # overdue, shown as due since then
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
