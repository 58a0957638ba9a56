"""The calling window in the lead's local time, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from leadtui.domain.model import LeadError
from leadtui.domain.window import (
    CallingWindow,
    closes_at,
    is_open,
    local_instant,
    local_time,
    next_opening,
    zone,
)

NY = "America/New_York"
SYD = "Australia/Sydney"
W = CallingWindow()


def loc(tz: str, *args: int) -> datetime:
    """An aware local datetime (fold=0) in `tz`."""
    return datetime(*args, tzinfo=zone(tz))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_default_window_is_0800_to_2030() -> None:
    assert W.start == time(8, 0)
    assert W.end == time(20, 30)


def test_window_must_start_before_it_ends() -> None:
    with pytest.raises(ValueError, match="before its end"):
        CallingWindow(time(21, 0), time(8, 0))
    with pytest.raises(ValueError):
        CallingWindow(time(9, 0), time(9, 0))


def test_local_time_converts_to_the_zone() -> None:
    at = utc(2024, 7, 1, 12, 0)
    assert local_time(at, NY).hour == 8
    assert local_time(at, NY).utcoffset() == timedelta(hours=-4)
    assert local_time(at, SYD).hour == 22


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(W, NY, datetime(2024, 7, 1, 12, 0))


def test_unknown_zone_is_a_lead_error() -> None:
    with pytest.raises(LeadError, match="unknown time zone 'Mars/Olympus'"):
        is_open(W, "Mars/Olympus", utc(2024, 7, 1))


@pytest.mark.parametrize(
    ("hour", "minute", "second", "expected"),
    [
        (7, 59, 59, False),
        (8, 0, 0, True),  # start is inclusive
        (12, 0, 0, True),
        (20, 29, 59, True),
        (20, 30, 0, False),  # end is exclusive
        (20, 45, 0, False),
        (3, 0, 0, False),
    ],
)
def test_is_open_edges(hour: int, minute: int, second: int, expected: bool) -> None:
    at = loc(NY, 2024, 7, 1, hour, minute, second)
    assert is_open(W, NY, at) is expected
    assert is_open(W, NY, at.astimezone(UTC)) is expected


def test_open_is_judged_on_the_leads_clock_not_utc() -> None:
    at = utc(2024, 7, 1, 23, 0)  # 19:00 in New York, 09:00 next day in Sydney
    assert is_open(W, NY, at)
    assert is_open(W, SYD, at)
    assert not is_open(W, "Europe/London", at)  # 00:00 in London


def test_next_opening_returns_at_itself_when_open() -> None:
    at = loc(NY, 2024, 7, 1, 8, 0)
    assert next_opening(W, NY, at) == at
    assert next_opening(W, NY, at).tzinfo is UTC


def test_lead_arriving_at_2045_waits_for_next_morning() -> None:
    at = loc(NY, 2024, 7, 1, 20, 45)
    assert next_opening(W, NY, at) == utc(2024, 7, 2, 12, 0)  # 08:00 EDT


def test_lead_arriving_at_0300_waits_for_0800_same_day() -> None:
    at = loc(NY, 2024, 7, 1, 3, 0)
    assert next_opening(W, NY, at) == utc(2024, 7, 1, 12, 0)


def test_at_2030_exactly_the_window_is_closed_until_tomorrow() -> None:
    at = loc(NY, 2024, 7, 1, 20, 30)
    assert next_opening(W, NY, at) == utc(2024, 7, 2, 12, 0)


def test_next_opening_across_new_york_spring_forward() -> None:
    # Sunday 10 March 2024 has 23 hours: 02:00 EST -> 03:00 EDT.
    at = loc(NY, 2024, 3, 9, 21, 0)  # Saturday evening, EST (-5)
    opening = next_opening(W, NY, at)
    assert opening == utc(2024, 3, 10, 12, 0)  # 08:00 EDT (-4), not 13:00 UTC
    assert local_time(opening, NY).hour == 8
    assert opening - at.astimezone(UTC) == timedelta(hours=10)


def test_next_opening_across_new_york_fall_back() -> None:
    # Sunday 3 November 2024 has 25 hours: 02:00 EDT -> 01:00 EST.
    at = loc(NY, 2024, 11, 2, 22, 0)  # Saturday evening, EDT (-4)
    opening = next_opening(W, NY, at)
    assert opening == utc(2024, 11, 3, 13, 0)  # 08:00 EST (-5)
    assert opening - at.astimezone(UTC) == timedelta(hours=11)


def test_in_the_repeated_hour_the_window_is_still_closed() -> None:
    first = utc(2024, 11, 3, 5, 30)  # 01:30 EDT
    second = utc(2024, 11, 3, 6, 30)  # 01:30 EST
    assert local_time(first, NY).hour == local_time(second, NY).hour == 1
    assert next_opening(W, NY, first) == next_opening(W, NY, second) == utc(2024, 11, 3, 13, 0)


def test_next_opening_across_sydney_dst_end() -> None:
    # Sunday 7 April 2024: 03:00 AEDT (+11) -> 02:00 AEST (+10), a 25-hour day.
    at = loc(SYD, 2024, 4, 6, 21, 0)  # Saturday 21:00 AEDT = 10:00 UTC
    opening = next_opening(W, SYD, at)
    assert opening == utc(2024, 4, 6, 22, 0)  # Sunday 08:00 AEST
    assert local_time(opening, SYD).utcoffset() == timedelta(hours=10)
    assert opening - at.astimezone(UTC) == timedelta(hours=12)


def test_next_opening_across_sydney_dst_start() -> None:
    # Sunday 6 October 2024: 02:00 AEST (+10) -> 03:00 AEDT (+11), a 23-hour day.
    at = loc(SYD, 2024, 10, 5, 22, 0)  # Saturday 22:00 AEST = 12:00 UTC
    opening = next_opening(W, SYD, at)
    assert opening == utc(2024, 10, 5, 21, 0)  # Sunday 08:00 AEDT
    assert opening - at.astimezone(UTC) == timedelta(hours=9)


def test_window_open_at_the_same_local_hours_all_dst_week() -> None:
    # Every day of the New York spring-forward week opens at 08:00 and closes at 20:30 local.
    for day in range(8, 15):
        opening = next_opening(W, NY, loc(NY, 2024, 3, day, 0, 30))
        assert local_time(opening, NY).time() == time(8, 0)
        assert local_time(opening, NY).date() == date(2024, 3, day)
        close = closes_at(W, NY, opening)
        assert local_time(close, NY).time() == time(20, 30)
        assert local_time(close, NY).date() == date(2024, 3, day)


def test_a_start_time_inside_a_dst_gap_resolves_to_the_end_of_the_gap() -> None:
    night = CallingWindow(start=time(2, 30), end=time(20, 30))
    at = loc(NY, 2024, 3, 10, 1, 0)  # 01:00 EST, the clock jumps 02:00 -> 03:00
    opening = next_opening(night, NY, at)
    assert opening == utc(2024, 3, 10, 7, 0)  # the transition instant, 03:00 EDT
    assert local_time(opening, NY).time() == time(3, 0)
    assert is_open(night, NY, opening)
    assert not is_open(night, NY, opening - timedelta(seconds=1))


def test_local_instant_in_a_gap_and_a_fold() -> None:
    assert local_instant(date(2024, 3, 10), time(2, 30), NY) == utc(2024, 3, 10, 7, 0)
    # Fold: 01:30 happens twice on 3 November; the first one (EDT) wins.
    assert local_instant(date(2024, 11, 3), time(1, 30), NY) == utc(2024, 11, 3, 5, 30)
    # Sydney DST start: 02:30 does not exist on 6 October 2024 -> 03:00 AEDT.
    assert local_instant(date(2024, 10, 6), time(2, 30), SYD) == utc(2024, 10, 5, 16, 0)
    assert local_instant(date(2024, 7, 1), time(16, 30), SYD) == utc(2024, 7, 1, 6, 30)


def test_closes_at() -> None:
    assert closes_at(W, NY, loc(NY, 2024, 7, 1, 9, 0)) == utc(2024, 7, 2, 0, 30)
    assert closes_at(W, NY, loc(NY, 2024, 7, 1, 3, 0)) == utc(2024, 7, 2, 0, 30)
    assert closes_at(W, NY, loc(NY, 2024, 7, 1, 20, 30)) == utc(2024, 7, 3, 0, 30)
    assert closes_at(W, NY, loc(NY, 2024, 7, 1, 20, 30)).tzinfo is UTC
