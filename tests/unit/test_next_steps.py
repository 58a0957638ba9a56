"""Issue 11 in the domain: callback grace, zone doubt, message slots, booked times, the plan,
with a fixed clock over several zones and DST changes (not the issue's own examples)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from leadtui.domain.cadence import check_touch, message_slots, next_action
from leadtui.domain.intake import prepare_lead
from leadtui.domain.model import Lead, LeadError, LeadStatus, Message, Outcome, Touch
from leadtui.domain.plan import plan
from leadtui.domain.queue import rank
from leadtui.domain.window import (
    CallingWindow,
    callable_now,
    closes_at_in,
    common_opening,
    is_open_in,
    local_time,
    next_moment,
    next_opening_in,
    zone,
    zone_span,
)
from tests.unit.cadence_helpers import C, Log, loc

W = CallingWindow()
OC = Outcome
KOL, PER, SYD, LON, LA = (
    "Asia/Kolkata",
    "Australia/Perth",
    "Australia/Sydney",
    "Europe/London",
    "America/Los_Angeles",
)
AU_MOBILE = "+61 438 555 219"
RU_MOBILE = "+7 925 318 4402"


def lead(received: datetime, tz: str, lead_id: str = "l1", **kw: object) -> Lead:
    return Lead(lead_id, "Kim Doe", "+15035550142", "", "web", tz, received, **kw)  # type: ignore[arg-type]


def clock(at: datetime, tz: str) -> tuple[int, int, int]:
    local = local_time(at, tz)
    return local.day, local.hour, local.minute


# --- a time the lead asked for ----------------------------------------------------------


def test_a_callback_outside_the_window_is_callable_only_through_its_grace() -> None:
    start = loc(KOL, 2026, 9, 14, 9, 0)
    ld = lead(start, KOL)
    asked = loc(KOL, 2026, 9, 14, 21, 10)  # after the window shuts
    log = Log().add(OC.CALLBACK, loc(KOL, 2026, 9, 14, 9, 5), when=asked)
    action = next_action(ld, log.touches, C, W)
    assert action is not None and action.kind == "callback" and action.ignores_window
    assert action.late_at == asked + timedelta(minutes=30)
    assert callable_now(action, ld, W, asked)
    assert callable_now(action, ld, W, asked + timedelta(minutes=25))
    for hours in (1, 4, 9):  # unanswered: the night belongs to the lead again
        night = asked + timedelta(hours=hours)
        assert not callable_now(action, ld, W, night)
        assert clock(next_moment(action, ld, W, night), KOL) == (15, 8, 0)
    assert callable_now(action, ld, W, loc(KOL, 2026, 9, 15, 8, 0))


def test_a_missed_callback_waits_for_the_window_but_stays_ranked_first() -> None:
    asked = loc(LA, 2026, 5, 19, 15, 0)
    called = lead(loc(LA, 2026, 5, 19, 9, 0), LA, "cb")
    log = Log().add(OC.CALLBACK, loc(LA, 2026, 5, 19, 9, 1), when=asked)
    fresh = lead(loc(LA, 2026, 5, 19, 22, 0), LA, "new")
    touches = {"cb": [replace(t, lead_id="cb") for t in log.touches]}
    for late_evening in (loc(LA, 2026, 5, 19, 20, 40), loc(LA, 2026, 5, 20, 3, 30)):
        assert [e.lead.id for e in rank([called, fresh], touches, late_evening, C, W,
                                        timedelta(minutes=5))] == []  # fmt: skip
    morning = loc(LA, 2026, 5, 20, 8, 0)
    queue = rank([fresh, called], touches, morning, C, W, timedelta(minutes=5))
    assert [e.lead.id for e in queue] == ["cb", "new"]
    assert queue[0].next_action.kind == "callback"
    # inside the window after the grace it stays due all afternoon
    still = rank([called], touches, loc(LA, 2026, 5, 19, 17, 45), C, W, timedelta(minutes=5))
    assert [e.lead.id for e in still] == ["cb"]


def test_the_grace_ends_on_the_wall_clock_across_a_dst_change() -> None:
    asked = loc(LON, 2026, 3, 28, 22, 15)  # Saturday night before the clocks go forward
    ld = lead(loc(LON, 2026, 3, 28, 10, 0), LON)
    log = Log().add(OC.APPOINTMENT, loc(LON, 2026, 3, 28, 10, 5), when=asked)
    action = next_action(ld, log.touches, C, W)
    assert action is not None
    moment = next_moment(action, ld, W, asked + timedelta(hours=2))
    assert moment == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 08:00 BST


# --- a booked time is not dropped ---------------------------------------------------------


def test_an_unanswered_call_before_the_booked_time_keeps_the_booking() -> None:
    ld = lead(loc(KOL, 2026, 10, 6, 11, 0), KOL)
    booked_for = loc(KOL, 2026, 10, 7, 10, 0)
    log = Log().add(OC.CALLBACK, loc(KOL, 2026, 10, 6, 11, 2), when=booked_for)
    for outcome in (OC.NO_ANSWER, OC.VM_HANGUP, OC.VM_MESSAGE):
        later = Log()
        later.touches = [*log.touches, Touch("t9", "l1", outcome, loc(KOL, 2026, 10, 6, 16, 0))]
        action = next_action(ld, later.touches, C, W)
        assert action is not None and (action.kind, action.due_at) == ("callback", booked_for)
    replaced = Log()
    replaced.touches = [*log.touches, Touch("t9", "l1", OC.TALKED, loc(KOL, 2026, 10, 6, 16, 0))]
    action = next_action(ld, replaced.touches, C, W)
    assert action is not None and action.kind == "follow-up"
    # the booked call itself goes unanswered (after the time): a follow-up a day later
    missed = Log()
    missed.touches = [*log.touches, Touch("t9", "l1", OC.NO_ANSWER, booked_for)]
    action = next_action(ld, missed.touches, C, W)
    assert action is not None and action.kind == "follow-up"


# --- zone doubt ---------------------------------------------------------------------------


def test_an_australian_mobile_is_called_only_when_open_from_perth_to_the_east() -> None:
    now = loc(PER, 2026, 1, 20, 6, 30)
    draft = prepare_lead(name="Ann", phone=AU_MOBILE, now=now, default_timezone="UTC")
    assert draft.timezone == SYD and {PER, SYD} <= set(draft.zone_candidates)
    ld = Lead("a1", draft.name, draft.phone, "", "", draft.timezone, draft.received_at,
              zone_candidates=draft.zone_candidates)  # fmt: skip
    assert ld.zone_unsure and zone_span(ld.zones, now) == "Perth to Sydney, 6 zones"
    first = next_action(ld, [], C, W)
    assert first is not None and clock(first.due_at, PER) == (20, 8, 0)  # not 05:xx in Perth
    # the shared window shuts when it is 20:30 on Lord Howe Island (17:30 in Perth)
    assert is_open_in(W, ld.zones, loc(PER, 2026, 1, 20, 17, 0))
    assert not is_open_in(W, ld.zones, loc(PER, 2026, 1, 20, 17, 45))
    assert clock(closes_at_in(W, ld.zones, loc(PER, 2026, 1, 20, 9, 0)), PER) == (20, 17, 30)


def test_the_shared_window_follows_each_zones_dst() -> None:
    zones = (SYD, PER)  # Sydney leaves DST on 5 April 2026: the overlap grows by an hour
    before = next_opening_in(W, zones, loc(SYD, 2026, 4, 3, 21, 0))
    after = next_opening_in(W, zones, loc(SYD, 2026, 4, 10, 21, 0))
    assert clock(before, PER) == (4, 8, 0) and clock(before, SYD) == (4, 11, 0)
    assert clock(after, PER) == (11, 8, 0) and clock(after, SYD) == (11, 10, 0)
    assert clock(closes_at_in(W, zones, before), SYD) == (4, 20, 30)


def test_a_number_that_names_its_zone_has_no_doubt() -> None:
    now = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    moscow = prepare_lead(name="Ivan", phone="+7 499 555 2010", now=now)
    assert (moscow.timezone, moscow.zone_candidates) == ("Europe/Moscow", ())
    mumbai = prepare_lead(name="Ravi", phone="+91 22 5555 0142", now=now)
    assert mumbai.timezone in (KOL, "Asia/Calcutta") and mumbai.zone_candidates == ()


def test_a_russian_mobile_is_shown_in_moscow_time_and_called_in_the_shared_hours() -> None:
    now = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
    draft = prepare_lead(name="Olga", phone=RU_MOBILE, now=now)
    assert draft.timezone == "Europe/Moscow" and "Asia/Kamchatka" not in draft.zone_candidates
    assert {"Europe/Moscow", "Asia/Vladivostok"} <= set(draft.zone_candidates)
    ld = Lead("r1", "Olga", draft.phone, "", "", draft.timezone, now,
              zone_candidates=draft.zone_candidates)  # fmt: skip
    action = next_action(ld, [], C, W)
    assert action is not None
    for name in ld.zones:  # never before 08:00 nor after 20:30 wherever she is
        local = local_time(action.due_at, name)
        assert (8, 0) <= (local.hour, local.minute) < (20, 30), name


def test_an_explicit_zone_ends_the_doubt() -> None:
    now = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    draft = prepare_lead(name="Ann", phone=AU_MOBILE, timezone="australia/perth", now=now)
    assert (draft.timezone, draft.zone_candidates) == (PER, ())
    ld = Lead("a1", "Ann", draft.phone, "", "", SYD, now, zone_candidates=(PER, SYD))
    assert replace(ld, timezone=PER, zone_candidates=()).zones == (PER,)
    assert replace(ld, timezone="Asia/Tokyo").zones == ("Asia/Tokyo",)  # stale doubt: ignored


def test_zones_that_share_no_hour_fall_back_to_the_lead_zone() -> None:
    # UTC+0, +8 and -8: each pair shares hours, the three do not
    names = ("Africa/Abidjan", "Asia/Shanghai", "Pacific/Pitcairn")
    assert common_opening(W, tuple(map(zone, names)), datetime(2026, 6, 1, tzinfo=UTC)) is None
    assert common_opening(W, tuple(map(zone, names[:2])), datetime(2026, 6, 1, tzinfo=UTC))
    at = datetime(2026, 6, 1, 21, 0, tzinfo=UTC)
    assert next_opening_in(W, names, at) == next_opening_in(W, names[:1], at)


# --- messages -----------------------------------------------------------------------------


def _walk(ld: Lead, outcomes: list[Outcome]) -> list[Message]:
    """Log each outcome when its step falls due; the message due at each call."""
    log = Log()
    due: list[Message] = []
    for outcome in outcomes:
        action = next_action(ld, log.touches, C, W)
        if action is None:
            break
        due.append(action.message)
        log.add(outcome, action.due_at)
    return due


def test_a_message_that_could_not_be_left_is_carried() -> None:
    ld = lead(loc(LA, 2026, 7, 8, 18, 10), LA)  # too late for a third call on day 0
    due = _walk(ld, [OC.VM_HANGUP, OC.NO_ANSWER, OC.VM_MESSAGE, OC.VM_MESSAGE, OC.NO_ANSWER,
                     OC.VM_MESSAGE, OC.VM_HANGUP, OC.VM_MESSAGE])  # fmt: skip
    # call 3 (day 0) is skipped; the first message, not left on call 2, goes to day 1, and
    # the day-1 follow-up to day 3; the day-9 follow-up and the final keep their steps
    assert due == [Message.NONE, Message.FIRST, Message.FIRST, Message.FOLLOW_UP,
                   Message.NONE, Message.FOLLOW_UP, Message.NONE, Message.FINAL]  # fmt: skip


def test_a_message_left_early_counts_and_is_not_asked_again() -> None:
    ld = lead(loc(KOL, 2026, 8, 3, 10, 20), KOL)
    due = _walk(ld, [OC.VM_MESSAGE, OC.VM_HANGUP, OC.VM_HANGUP, OC.VM_MESSAGE])
    assert due == [Message.NONE, Message.NONE, Message.NONE, Message.FOLLOW_UP]


@pytest.mark.parametrize("tz", [KOL, PER, LON, LA])
def test_random_walks_leave_each_message_once_in_order(tz: str) -> None:
    slots = message_slots(C)
    rnd = random.Random(tz)
    for _ in range(60):
        ld = lead(loc(tz, 2026, 3, rnd.randint(1, 28), rnd.randint(0, 23), 7), tz)
        log, left = Log(), 0  # messages left so far (each vm-message leaves one)
        while (action := next_action(ld, log.touches, C, W)) is not None:
            assert action.step is not None
            if left < len(slots) and slots[left][0] <= action.step:  # reached: due now
                assert action.message is slots[left][1]
            else:  # nothing reached is still owed
                assert action.message is Message.NONE
            outcome = rnd.choice([OC.NO_ANSWER, OC.VM_HANGUP, OC.VM_MESSAGE])
            left += outcome is OC.VM_MESSAGE
            log.add(outcome, action.due_at + timedelta(minutes=rnd.randint(0, 90)))


# --- the plan -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "arrival", "night"),
    [
        (PER, (2026, 6, 9, 19, 40), (2026, 6, 9, 23, 55)),
        (LON, (2026, 10, 24, 20, 5), (2026, 10, 25, 0, 0)),  # the night the clocks go back
        (KOL, (2026, 2, 11, 20, 25), (2026, 2, 12, 6, 0)),
        (LA, (2026, 3, 7, 21, 0), (2026, 3, 8, 1, 30)),  # the night the clocks go forward
    ],
)
def test_the_plan_at_night_equals_the_plan_when_the_window_opens(
    tz: str, arrival: tuple[int, ...], night: tuple[int, ...]
) -> None:
    ld = lead(loc(tz, *arrival), tz)
    at_night = plan(ld, [], C, W, loc(tz, *night))
    opening = at_night[0].due_at
    assert clock(opening, tz)[1:] == (8, 0)
    assert plan(ld, [], C, W, opening) == at_night
    assert len(at_night) == 9  # the morning call leaves room for the same-day third call
    # and the real morning call then leaves the rest of the plan as forecast
    log = Log().add(OC.VM_HANGUP, opening)
    assert plan(ld, log.touches, C, W, opening) == at_night[1:]


def test_an_overdue_callback_is_planned_at_the_next_opening() -> None:
    ld = lead(loc(SYD, 2026, 8, 4, 9, 0), SYD)
    log = Log().add(OC.CALLBACK, loc(SYD, 2026, 8, 4, 9, 5), when=loc(SYD, 2026, 8, 4, 19, 0))
    steps = plan(ld, log.touches, C, W, loc(SYD, 2026, 8, 4, 22, 0))
    assert steps[0].kind == "callback" and clock(steps[0].due_at, SYD) == (5, 8, 0)


# --- times ---------------------------------------------------------------------------------


def test_a_touch_before_the_arrival_is_refused() -> None:
    arrival = loc(PER, 2026, 4, 2, 13, 0)
    ld = lead(arrival, PER)
    with pytest.raises(LeadError, match="before the lead arrived"):
        check_touch(ld, OC.NO_ANSWER, None, at=arrival - timedelta(minutes=1))
    check_touch(ld, OC.NO_ANSWER, None, at=arrival)
    again = replace(ld, reopened_at=arrival + timedelta(days=30), status=LeadStatus.NEW)
    with pytest.raises(LeadError):
        check_touch(again, OC.TALKED, None, at=arrival + timedelta(days=2))
