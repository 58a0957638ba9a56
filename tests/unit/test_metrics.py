"""Report figures on fixture data with answers worked out by hand (tests/report_fixture.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from report_fixture import at, fixture_data

from leadtui.domain.blitz import BlitzSession, BlitzState
from leadtui.domain.metrics import (
    blitz_history,
    by_source,
    compute,
    median,
    percentile,
    select_leads,
)
from leadtui.domain.model import Outcome

FIVE_MINUTES = timedelta(minutes=5)


@pytest.fixture(scope="module")
def figures():
    leads, touches = fixture_data()
    return compute(leads, touches, FIVE_MINUTES)


def test_median_and_nearest_rank_percentile() -> None:
    assert median([]) is None
    assert median([5]) == 5
    assert median([4, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5
    assert percentile([], 90) is None
    # 10 values: rank ceil(9.0) = 9 -> the 9th smallest
    assert percentile(list(range(1, 11)), 90) == 9
    # 11 values: rank ceil(9.9) = 10
    assert percentile(list(range(1, 12)), 90) == 10
    assert percentile([7], 90) == 7


def test_speed_to_lead(figures) -> None:
    speed = figures.speed
    # first calls (s): L8 30, L1 120, L2 240, L6 300, L3 1800, L4 7200, L7 172800; L5 never
    assert speed.leads == 8
    assert speed.called == 7
    assert speed.median_seconds == 300  # the 4th of 7
    assert speed.p90_seconds == 172800  # rank ceil(6.3) = 7
    assert speed.within_threshold == 4  # 30, 120, 240 and exactly 300 (inclusive)
    assert speed.never_called == 1
    assert dict(speed.histogram) == {
        "<=1m": 1, "1-5m": 3, "5-30m": 1, "30m-2h": 1, "2h-1d": 0, ">1d": 1, "never": 1,
    }  # fmt: skip


def test_contact_rate(figures) -> None:
    contact = figures.contact
    # dials: L1 3 + L2 1 + L3 6 + L4 9 + L6 1 + L7 1 + L8 2 = 23; the email is not a dial
    assert contact.dials == 23
    assert contact.contacts == 4  # talked x2, appointment, won
    assert contact.per_dial == pytest.approx(4 / 23)
    assert contact.leads_reached == 4  # L1 L2 L7 L8
    assert contact.per_lead == 0.5


def test_persistency(figures) -> None:
    persistency = figures.persistency
    # attempts: L1 3, L2 1, L3 6, L4 9, L5 0, L6 1, L7 1, L8 2
    histogram = {0: 1, 1: 3, 2: 1, 3: 1, 4: 0, 5: 0, 6: 1, 7: 0, 8: 0, 9: 1}
    assert dict(persistency.attempts) == histogram
    assert persistency.mean_attempts == 23 / 8
    assert persistency.median_attempts == 1.5  # (1 + 2) / 2
    # unreached: L3 6, L4 9, L5 0, L6 1 -> 2 of 4 got 6+, typical (median) 3.5
    assert persistency.unreached == 4
    assert persistency.unreached_persistent == 2
    assert persistency.unreached_median_attempts == 3.5
    assert persistency.exhausted == 1


def test_outcomes_by_kind(figures) -> None:
    assert figures.outcomes == {
        "no-answer": 11, "vm-hangup": 1, "vm-message": 6, "talked": 2, "callback": 0,
        "appointment": 1, "not-interested": 0, "bad-number": 1, "dnc": 0, "won": 1,
        "email": 1, "text": 0,
    }  # fmt: skip
    assert list(figures.outcomes) == [o.value for o in Outcome]


def test_contact_rate_by_local_hour(figures) -> None:
    by_hour = {h.hour: (h.dials, h.contacts) for h in figures.by_hour if h.dials}
    assert by_hour == {
        9: (5, 2),  # L1 x2, L2 (talked), L3, L7 (appointment)
        10: (6, 2),  # L1 (talked), L3, L4, L6, L8 x2 (won)
        11: (2, 0), 12: (2, 0), 14: (1, 0), 15: (1, 0), 16: (4, 0), 17: (2, 0),
    }  # fmt: skip
    assert len(figures.by_hour) == 24
    assert figures.by_hour[9].rate == 0.4
    assert figures.by_hour[3].rate is None


def test_split_by_source() -> None:
    leads, touches = fixture_data()
    groups = by_source(leads, touches, FIVE_MINUTES)
    assert list(groups) == ["(no source)", "purchased", "web"]
    web, bought, none = groups["web"], groups["purchased"], groups["(no source)"]
    # web: first calls 30, 120, 240, 1800
    assert web.speed.median_seconds == 180
    assert web.speed.p90_seconds == 1800
    assert (web.speed.within_threshold, web.speed.never_called) == (3, 0)
    assert (web.contact.dials, web.contact.contacts, web.contact.leads_reached) == (12, 3, 3)
    assert web.persistency.median_attempts == 2.5  # 1, 2, 3, 6
    assert (web.persistency.unreached, web.persistency.unreached_persistent) == (1, 1)
    # purchased: first calls 300 and 7200, one never called, nobody reached
    assert bought.speed.median_seconds == 3750
    assert bought.speed.p90_seconds == 7200
    assert (bought.speed.within_threshold, bought.speed.never_called) == (1, 1)
    assert (bought.contact.dials, bought.contact.contacts) == (10, 0)
    assert bought.contact.per_dial == 0.0
    assert bought.persistency.unreached_median_attempts == 1  # 0, 1, 9
    assert bought.persistency.unreached_persistent == 1
    assert none.speed.median_seconds == 172800
    assert none.contact.per_dial == 1.0


def test_select_leads_by_arrival_and_source() -> None:
    leads, _ = fixture_data()
    since = select_leads(leads, since=at(8, 14))
    assert [lead.id for lead in since] == ["L1", "L2", "L3", "L6", "L7", "L8"]
    assert [lead.id for lead in select_leads(leads, source=" WEB ")] == ["L1", "L2", "L3", "L8"]
    assert [lead.id for lead in select_leads(leads, source="(no source)")] == ["L7"]
    assert select_leads(leads, since=at(8, 14), source="purchased")[0].id == "L6"


def test_empty_scope_has_no_figures_but_does_not_fail() -> None:
    empty = compute([], {}, FIVE_MINUTES)
    assert empty.speed.median_seconds is None
    assert empty.contact.per_dial is None
    assert empty.persistency.attempts == ()
    assert empty.persistency.mean_attempts is None


def test_blitz_history_marks_abandoned_sessions_ended_early() -> None:
    t0 = datetime(2024, 1, 8, 15, 0, tzinfo=UTC)
    done = BlitzSession.start(t0, minutes=30, goal=20, id="b-done")
    for n in range(6):
        done.record_touch(f"d{n}", Outcome.NO_ANSWER)
    done.finish(t0 + timedelta(minutes=31))
    crashed = BlitzSession.start(t0 + timedelta(hours=2), minutes=60, id="b-crash")
    crashed.record_touch("c1", Outcome.TALKED)
    crash_record = crashed.to_record(t0 + timedelta(hours=2, minutes=12))  # last save
    running = BlitzSession.start(t0 + timedelta(hours=5), minutes=60, id="b-run")
    now = t0 + timedelta(hours=5, minutes=20)
    records = [running.to_record(now), crash_record, done.to_record(now), {"id": "junk"}]
    history, broken = blitz_history(records, now)
    assert broken == 1
    assert [s.id for s in history] == ["b-done", "b-crash", "b-run"]
    first, second, third = history
    assert first.state is BlitzState.FINISHED and not first.ended_early
    assert first.minutes_used == 30
    assert first.dials_per_hour == 12.0  # 6 dials in 30 minutes
    assert second.state is BlitzState.ENDED_EARLY and second.ended_early
    assert second.minutes_used == 12  # up to its last save
    assert second.tallies.contacts == 1
    assert third.state is BlitzState.RUNNING and third.minutes_used == 20
    only_recent, _ = blitz_history(records, now, since=t0 + timedelta(hours=1))
    assert [s.id for s in only_recent] == ["b-crash", "b-run"]
