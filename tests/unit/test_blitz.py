"""BlitzSession: the countdown, pause, pace, tallies, end of blitz and storage, on fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadtui.clock import FixedClock
from leadtui.domain.blitz import (
    BlitzSession,
    BlitzState,
    format_clock,
    record_status,
    tally,
)
from leadtui.domain.model import Outcome

T0 = datetime(2024, 3, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def test_countdown_is_derived_from_the_clock_not_from_ticks(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=60, id="b1")
    assert blitz.remaining(clock.now()) == 3600
    clock.advance(minutes=12, seconds=30)
    # no tick happened in between: the answer still follows the clock
    assert blitz.elapsed(clock.now()) == 750
    assert blitz.remaining(clock.now()) == 2850
    assert format_clock(blitz.remaining(clock.now())) == "47:30"
    assert blitz.progress(clock.now()) == pytest.approx(750 / 3600)
    assert blitz.state(clock.now()) is BlitzState.RUNNING


def test_a_suspended_laptop_does_not_stretch_the_blitz(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=10)
    clock.advance(hours=3)  # lid closed for three hours
    assert blitz.remaining(clock.now()) == 0
    assert blitz.elapsed(clock.now()) == 600
    assert blitz.state(clock.now()) is BlitzState.FINISHED
    assert blitz.progress(clock.now()) == 1.0


def test_pause_stops_the_countdown_and_paused_time_never_counts(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=30)
    clock.advance(minutes=5)
    assert blitz.toggle_pause(clock.now()) is True
    assert blitz.state(clock.now()) is BlitzState.PAUSED
    clock.advance(minutes=20)
    assert blitz.remaining(clock.now()) == 25 * 60  # frozen while paused
    assert blitz.toggle_pause(clock.now()) is False
    assert blitz.paused_seconds == 20 * 60
    clock.advance(minutes=10)
    assert blitz.remaining(clock.now()) == 15 * 60
    # a second pause adds up
    blitz.pause(clock.now())
    clock.advance(minutes=7)
    blitz.resume(clock.now())
    assert blitz.paused_seconds == 27 * 60
    assert blitz.remaining(clock.now()) == 15 * 60
    assert blitz.due_end() == T0 + timedelta(minutes=30 + 27)


def test_pause_and_resume_are_no_ops_when_they_do_not_apply(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=1)
    blitz.resume(clock.now())  # not paused
    assert blitz.paused_seconds == 0
    clock.advance(minutes=2)
    blitz.pause(clock.now())  # over: nothing to pause
    assert blitz.paused_at is None
    assert blitz.state(clock.now()) is BlitzState.FINISHED


def test_finish_at_zero_ends_on_time_and_quitting_early_is_marked(clock: FixedClock) -> None:
    on_time = BlitzSession.start(clock.now(), minutes=20)
    early = BlitzSession.start(clock.now(), minutes=20)
    clock.advance(minutes=8)
    early.finish(clock.now())
    assert early.ended_early is True
    assert early.ended_at == T0 + timedelta(minutes=8)
    assert early.state(clock.now()) is BlitzState.ENDED_EARLY
    assert early.remaining(clock.now() + timedelta(hours=1)) == 12 * 60  # frozen at the end
    clock.advance(minutes=30)  # noticed late (slow redraw): the end is still the planned one
    on_time.finish(clock.now())
    assert on_time.ended_early is False
    assert on_time.ended_at == T0 + timedelta(minutes=20)
    assert on_time.state(clock.now()) is BlitzState.FINISHED
    on_time.finish(clock.now() + timedelta(hours=1))  # idempotent
    assert on_time.ended_at == T0 + timedelta(minutes=20)


def test_finish_while_paused_closes_the_pause_first(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=20)
    clock.advance(minutes=5)
    blitz.pause(clock.now())
    clock.advance(minutes=5)
    blitz.finish(clock.now())
    assert blitz.paused_seconds == 300
    assert blitz.ended_early is True
    assert blitz.elapsed(clock.now()) == 300


def test_tallies_count_dials_contacts_messages_and_appointments() -> None:
    outcomes = [
        Outcome.NO_ANSWER,
        Outcome.VM_HANGUP,
        Outcome.VM_MESSAGE,
        Outcome.VM_MESSAGE,
        Outcome.TALKED,
        Outcome.CALLBACK,
        Outcome.APPOINTMENT,
        Outcome.WON,
        Outcome.NOT_INTERESTED,
        Outcome.BAD_NUMBER,
        Outcome.EMAIL,
        Outcome.TEXT,
    ]
    tallies = tally(outcomes)
    # 10 call outcomes (email/text are not dials)
    assert tallies.dials == 10
    assert tallies.contacts == 5  # talked, callback, appointment, won, not-interested
    assert (tallies.talked, tallies.callbacks, tallies.appointments, tallies.won) == (1, 1, 1, 1)
    assert tallies.messages_left == 2
    assert (tallies.emails, tallies.texts) == (1, 1)


def test_record_and_undo_touches(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now())
    blitz.record_touch("t1", Outcome.NO_ANSWER)
    blitz.record_touch("t1", Outcome.NO_ANSWER)  # same touch twice counts once
    blitz.record_touch("t2", Outcome.TALKED)
    assert blitz.tallies.dials == 2
    assert blitz.forget_touch("t2") is True
    assert blitz.forget_touch("zz") is False
    assert blitz.tallies.as_dict()["contacts"] == 0


def test_pace_projects_the_total_and_what_the_goal_needs(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=60, goal=40)
    early = blitz.pace(clock.now())
    assert early.dials_per_hour is None and early.projected is None and early.on_track is None
    assert early.needed_per_hour == 40.0
    for i in range(6):
        blitz.record_touch(f"t{i}", Outcome.NO_ANSWER)
    clock.advance(minutes=15)
    pace = blitz.pace(clock.now())
    # 6 dials in 15 minutes -> 24/hour -> 24 projected over 60 minutes
    assert pace.dials_per_hour == pytest.approx(24.0)
    assert pace.projected == 24
    assert pace.on_track is False
    # 34 dials still needed in 45 minutes -> 45.33/hour
    assert pace.needed_per_hour == pytest.approx(34 / 0.75)
    for i in range(6, 12):
        blitz.record_touch(f"t{i}", Outcome.NO_ANSWER)
    assert blitz.pace(clock.now()).projected == 48
    assert blitz.pace(clock.now()).on_track is True
    clock.advance(minutes=44, seconds=30)  # 30 seconds left: no silly "need 3360/h"
    assert blitz.pace(clock.now()).needed_per_hour is None


def test_pace_excludes_paused_time(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=60, goal=10)
    clock.advance(minutes=10)
    blitz.pause(clock.now())
    clock.advance(minutes=50)
    blitz.resume(clock.now())
    clock.advance(minutes=10)
    for i in range(5):
        blitz.record_touch(f"t{i}", Outcome.VM_HANGUP)
    # 5 dials in 20 minutes of blitz time (not 70 of wall time) -> 15/hour
    assert blitz.pace(clock.now()).dials_per_hour == pytest.approx(15.0)
    assert blitz.pace(clock.now()).projected == 15
    assert blitz.pace(clock.now()).needed_per_hour == pytest.approx(5 / (40 / 60))


def test_record_round_trip(clock: FixedClock) -> None:
    blitz = BlitzSession.start(clock.now(), minutes=45, goal=30, id="bzfeed")
    blitz.record_touch("t1", Outcome.VM_MESSAGE)
    clock.advance(minutes=3)
    blitz.pause(clock.now())
    record = blitz.to_record(clock.now())
    assert record["start"] == "2024-03-04T14:00:00+00:00"
    assert record["end"] is None
    assert record["planned_minutes"] == 45
    assert record["goal"] == 30
    assert record["ended_early"] is False
    assert record["touch_ids"] == ["t1"]
    assert record["tallies"]["messages_left"] == 1
    assert record["updated_at"] == "2024-03-04T14:03:00+00:00"
    again = BlitzSession.from_record(record)
    assert again == blitz
    clock.advance(minutes=1)
    again.finish(clock.now())
    closed = BlitzSession.from_record(again.to_record(clock.now()))
    assert closed.ended_early is True
    assert closed.ended_at == T0 + timedelta(minutes=4)


def test_broken_record_raises_value_error() -> None:
    with pytest.raises(ValueError, match="broken blitz record 'x'"):
        BlitzSession.from_record({"id": "x", "start": "not a date"})


def test_a_session_never_finished_shows_as_ended_early_once_its_time_passed() -> None:
    blitz = BlitzSession.start(T0, minutes=30)
    stored = BlitzSession.from_record(blitz.to_record(T0))  # the app crashed after this
    assert record_status(stored, T0 + timedelta(minutes=29)) is BlitzState.RUNNING
    assert record_status(stored, T0 + timedelta(minutes=30)) is BlitzState.ENDED_EARLY
    blitz.pause(T0 + timedelta(minutes=1))
    paused = BlitzSession.from_record(blitz.to_record())
    assert record_status(paused, T0 + timedelta(minutes=2)) is BlitzState.PAUSED
    assert record_status(paused, T0 + timedelta(minutes=31)) is BlitzState.ENDED_EARLY
    blitz.finish(T0 + timedelta(hours=5))  # quit while paused: ended early, for good
    assert record_status(blitz, T0 + timedelta(hours=6)) is BlitzState.ENDED_EARLY
    done = BlitzSession.start(T0, minutes=30)
    done.finish(T0 + timedelta(minutes=31))
    assert record_status(done, T0 + timedelta(hours=6)) is BlitzState.FINISHED


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "00:00"), (0.2, "00:01"), (59.0, "00:59"), (60, "01:00"), (3599, "59:59"),
     (3600, "1:00:00"), (-5, "00:00")],
)  # fmt: skip
def test_format_clock(seconds: float, text: str) -> None:
    assert format_clock(seconds) == text


def test_invalid_sessions_are_refused() -> None:
    with pytest.raises(ValueError):
        BlitzSession.start(T0, minutes=0)
    with pytest.raises(ValueError):
        BlitzSession.start(T0, goal=-1)
    with pytest.raises(ValueError):
        BlitzSession(id="x", started_at=datetime(2024, 1, 1))


def test_blitz_command_needs_a_terminal_and_checks_its_options(capsys, monkeypatch) -> None:
    from cli_helpers import Cli

    cli = Cli(capsys, monkeypatch)
    reason = cli.refused("blitz", "--minutes", "30")  # pytest's stdout is no terminal
    assert "blitz needs a terminal" in reason
    for bad in (["--minutes", "0"], ["--minutes", "ten"], ["--goal", "-3"]):
        result = cli("blitz", *bad)
        assert result.code == 2 and "blitz" in result.err
