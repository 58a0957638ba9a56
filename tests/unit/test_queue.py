"""The ranked call queue, its age labels and action descriptions."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import (
    Channel,
    Lead,
    LeadStatus,
    Message,
    NextAction,
    Outcome,
    QueueEntry,
    Touch,
)
from leadtui.domain.queue import describe_action, format_age, rank
from leadtui.domain.window import CallingWindow, zone

NY = "America/New_York"
SYD = "Australia/Sydney"
C = load_cadence()
W = CallingWindow()
FIVE_MIN = timedelta(minutes=5)
NOW = datetime(2024, 7, 1, 18, 0, tzinfo=UTC)  # 14:00 in New York, 04:00 in Sydney


def loc(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone(tz)).astimezone(UTC)


def make_lead(lead_id: str, received: datetime, tz: str = NY, **kw: object) -> Lead:
    return Lead(lead_id, f"Lead {lead_id}", "+12125550100", "", "web", tz, received, **kw)  # type: ignore[arg-type]


def touch(lead_id: str, outcome: Outcome, at: datetime, when: datetime | None = None) -> Touch:
    return Touch(f"{lead_id}-{outcome}-{at.timestamp()}", lead_id, outcome, at, when=when)


def ids(entries: list[QueueEntry]) -> list[str]:
    return [e.lead.id for e in entries]


@pytest.fixture
def board() -> tuple[list[Lead], dict[str, list[Touch]]]:
    """A mix of leads at NOW (14:00 New York)."""
    leads = [
        make_lead("new-old", NOW - timedelta(hours=2)),
        make_lead("new-fresh", NOW - timedelta(minutes=1)),
        make_lead("new-future", NOW + timedelta(minutes=10)),  # not due yet
        make_lead("cb-late", NOW - timedelta(days=1)),
        make_lead("cb-early", NOW - timedelta(days=2)),
        make_lead("appt", NOW - timedelta(days=3)),
        make_lead("cb-later", NOW - timedelta(days=1)),  # callback not due yet
        make_lead("fu-1h", NOW - timedelta(days=5)),
        make_lead("fu-2d", NOW - timedelta(days=6)),
        make_lead("working", NOW - timedelta(hours=1)),  # call 2 due in the future
        make_lead("won", NOW - timedelta(days=2)),
        make_lead("dnc", NOW - timedelta(minutes=2), status=LeadStatus.DNC),
        make_lead("sydney-new", NOW - timedelta(minutes=3), tz=SYD),  # 04:00 there: closed
    ]
    day = timedelta(days=1)
    touches = {
        "cb-late": [touch("cb-late", Outcome.CALLBACK, NOW - day, when=NOW - timedelta(minutes=5))],
        "cb-early": [touch("cb-early", Outcome.CALLBACK, NOW - day, when=NOW - timedelta(hours=1))],
        "appt": [touch("appt", Outcome.APPOINTMENT, NOW - day, when=NOW - timedelta(minutes=30))],
        "cb-later": [touch("cb-later", Outcome.CALLBACK, NOW - day, when=NOW + timedelta(hours=1))],
        "fu-1h": [touch("fu-1h", Outcome.TALKED, NOW - day - timedelta(hours=1))],
        "fu-2d": [touch("fu-2d", Outcome.TALKED, NOW - 3 * day)],
        "working": [touch("working", Outcome.VM_HANGUP, NOW - timedelta(minutes=10))],
        "won": [touch("won", Outcome.WON, NOW - day)],
    }
    return leads, touches


def test_rank_orders_callbacks_then_new_leads_then_overdue_follow_ups(board) -> None:  # type: ignore[no-untyped-def]
    leads, touches = board
    queue = rank(leads, touches, NOW, C, W, FIVE_MIN)
    assert ids(queue) == [
        "cb-early",  # callbacks and appointments, earliest due first
        "appt",
        "cb-late",
        "new-fresh",  # never called, freshest first
        "new-old",
        "fu-2d",  # other due actions, most overdue first
        "fu-1h",
    ]
    assert all(e.due for e in queue)


def test_entries_carry_attempts_age_aging_and_touches(board) -> None:  # type: ignore[no-untyped-def]
    leads, touches = board
    by_id = {e.lead.id: e for e in rank(leads, touches, NOW, C, W, FIVE_MIN)}
    fresh, old, cb = by_id["new-fresh"], by_id["new-old"], by_id["cb-early"]
    assert (fresh.attempts, fresh.age_seconds, fresh.aging) == (0, 60, False)
    assert (old.attempts, old.age_seconds, old.aging) == (0, 7200, True)
    assert (cb.attempts, cb.aging) == (1, False)  # called, so never aging
    assert cb.touches == tuple(touches["cb-early"])
    assert isinstance(cb.touches, tuple)
    assert cb.next_action.kind == "callback"
    assert fresh.next_action.kind == "first-call"
    assert fresh.touches == ()


def test_aging_threshold_edges() -> None:
    leads = [
        make_lead("a", NOW - FIVE_MIN + timedelta(seconds=1)),
        make_lead("b", NOW - FIVE_MIN),
        make_lead("c", NOW - FIVE_MIN - timedelta(seconds=1)),
    ]
    aging = {e.lead.id: e.aging for e in rank(leads, {}, NOW, C, W, FIVE_MIN)}
    assert aging == {"a": False, "b": False, "c": True}
    aging = {e.lead.id: e.aging for e in rank(leads, {}, NOW, C, W, timedelta(minutes=1))}
    assert aging == {"a": True, "b": True, "c": True}


def test_leads_outside_their_window_wait_but_callbacks_do_not() -> None:
    syd_new = make_lead("syd-new", NOW - timedelta(minutes=1), tz=SYD)  # 04:00 local
    syd_cb = make_lead("syd-cb", NOW - timedelta(days=1), tz=SYD)
    when = loc(SYD, 2024, 7, 2, 3, 55)  # the lead asked for 03:55 local
    touches = {"syd-cb": [touch("syd-cb", Outcome.CALLBACK, NOW - timedelta(days=1), when)]}
    queue = rank([syd_new, syd_cb], touches, NOW, C, W, FIVE_MIN)
    assert ids(queue) == ["syd-cb"]
    assert queue[0].next_action.ignores_window


def test_at_the_window_edges() -> None:
    lead = make_lead("l", loc(NY, 2024, 7, 1, 6, 0))
    assert rank([lead], {}, loc(NY, 2024, 7, 1, 7, 59, 59), C, W, FIVE_MIN) == []
    assert ids(rank([lead], {}, loc(NY, 2024, 7, 1, 8, 0), C, W, FIVE_MIN)) == ["l"]
    assert ids(rank([lead], {}, loc(NY, 2024, 7, 1, 20, 29), C, W, FIVE_MIN)) == ["l"]
    assert rank([lead], {}, loc(NY, 2024, 7, 1, 20, 30), C, W, FIVE_MIN) == []


def test_include_all_lists_every_active_lead_due_first(board) -> None:  # type: ignore[no-untyped-def]
    leads, touches = board
    due = ids(rank(leads, touches, NOW, C, W, FIVE_MIN))
    everything = rank(leads, touches, NOW, C, W, FIVE_MIN, include_all=True)
    assert ids(everything)[: len(due)] == due
    rest = everything[len(due) :]
    assert not any(e.due for e in rest)
    assert {e.lead.id for e in rest} == {"new-future", "cb-later", "working", "sydney-new"}
    assert [e.next_action.due_at for e in rest] == sorted(e.next_action.due_at for e in rest)
    assert "won" not in ids(everything) and "dnc" not in ids(everything)


def test_claims_fill_claimed_by(board) -> None:  # type: ignore[no-untyped-def]
    leads, touches = board
    queue = rank(leads, touches, NOW, C, W, FIVE_MIN, claims={"new-old": "sam"})
    claimed = {e.lead.id: e.claimed_by for e in queue}
    assert claimed["new-old"] == "sam"
    assert claimed["new-fresh"] is None


def test_a_changed_touch_list_is_noticed_between_calls() -> None:
    lead = make_lead("l", NOW - timedelta(hours=1))
    assert ids(rank([lead], {}, NOW, C, W, FIVE_MIN)) == ["l"]
    logged = {"l": [touch("l", Outcome.VM_HANGUP, NOW - timedelta(minutes=1))]}
    assert rank([lead], logged, NOW, C, W, FIVE_MIN) == []  # call 2 due in 29 minutes
    later = NOW + timedelta(minutes=29)
    entry = rank([lead], logged, later, C, W, FIVE_MIN)[0]
    assert entry.next_action.message is Message.FIRST
    closed = {"l": [*logged["l"], touch("l", Outcome.NOT_INTERESTED, NOW)]}
    assert rank([lead], closed, later, C, W, FIVE_MIN) == []
    # same id, equal-but-new objects and a different zone: recomputed, not reused
    moved = replace(lead, timezone=SYD)
    assert rank([moved], logged, later, C, W, FIVE_MIN) == []


def test_results_are_never_reused_for_a_different_lead_or_history() -> None:
    first = make_lead("m", NOW - timedelta(hours=1))
    again = make_lead("m", NOW - timedelta(hours=2))  # same id, other data
    assert rank([first], {}, NOW, C, W, FIVE_MIN)[0].next_action.due_at == first.received_at
    assert rank([again], {}, NOW, C, W, FIVE_MIN)[0].next_action.due_at == again.received_at
    last = touch("m", Outcome.NO_ANSWER, NOW - timedelta(days=2))
    unreached = {"m": [touch("m", Outcome.VM_HANGUP, NOW - timedelta(days=3)), last]}
    reached = {"m": [touch("m", Outcome.TALKED, NOW - timedelta(days=3)), last]}
    kinds = [
        rank([again], history, NOW, C, W, FIVE_MIN, include_all=True)[0].next_action.kind
        for history in (unreached, reached, unreached)
    ]
    assert kinds == ["cadence", "follow-up", "cadence"]
    narrow = CallingWindow(start=W.start, end=W.end.replace(hour=13))  # closed at 14:00
    assert rank([again], unreached, NOW, C, narrow, FIVE_MIN) == []


def test_rank_leaves_the_garbage_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    rank([make_lead("l", NOW)], {}, NOW, C, W, FIVE_MIN)
    assert gc.isenabled()
    gc.disable()
    try:
        rank([make_lead("l", NOW)], {}, NOW, C, W, FIVE_MIN)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0s"),
        (0, "0s"),
        (45, "45s"),
        (59, "59s"),
        (60, "1m"),
        (240, "4m"),
        (3599, "59m"),
        (3600, "1h00m"),
        (2 * 3600 + 13 * 60 + 59, "2h13m"),
        (86399, "23h59m"),
        (86400, "1d"),
        (3 * 86400 + 5 * 3600, "3d"),
        (400 * 86400, "400d"),
    ],
)
def test_format_age(seconds: int, text: str) -> None:
    assert format_age(seconds) == text


def action(kind: str, message: Message = Message.NONE, **kw: object) -> NextAction:
    fields: dict[str, object] = {
        "channel": Channel.CALL,
        "kind": kind,
        "message": message,
        "due_at": loc(NY, 2024, 7, 1, 15, 30),
        "stage": kind,
    }
    fields.update(kw)
    return NextAction(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("act", "text"),
    [
        (action("first-call"), "call"),
        (action("cadence", Message.FIRST), "call + first message"),
        (action("cadence", Message.FOLLOW_UP), "call + follow-up message"),
        (action("cadence", Message.FINAL), "call + final message"),
        (action("cadence"), "call"),
        (action("follow-up"), "follow-up call"),
        (action("callback", ignores_window=True), "callback 15:30"),
        (action("appointment", due_at=loc(NY, 2024, 7, 1, 10, 0)), "appointment 10:00"),
        (action("email", channel=Channel.EMAIL), "email"),
        (action("text", channel=Channel.TEXT), "text"),
    ],
)
def test_describe_action(act: NextAction, text: str) -> None:
    assert describe_action(act, NY) == text


def test_describe_action_uses_the_leads_clock_and_adds_the_date_when_not_today() -> None:
    cb = action("callback", due_at=loc(SYD, 2024, 7, 2, 9, 15))
    assert describe_action(cb, SYD) == "callback 09:15"
    assert describe_action(cb, SYD, now=loc(SYD, 2024, 7, 2, 8, 0)) == "callback 09:15"
    assert describe_action(cb, SYD, now=loc(SYD, 2024, 7, 1, 8, 0)) == "callback Tue 2 Jul 09:15"
