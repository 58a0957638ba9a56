"""The callback/appointment time parser: lead-local wall times, offsets, ISO, and the read-back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadtui.domain.model import LeadError
from leadtui.domain.when import WhenError, describe_when, parse_when, relative

NY = "America/New_York"
# Mon 24 Nov 2025 13:30 in New York (EST, UTC-5).
NOW = datetime(2025, 11, 24, 18, 30, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:30", utc(2025, 11, 24, 20, 30)),
        ("3:30pm", utc(2025, 11, 24, 20, 30)),
        ("3pm", utc(2025, 11, 24, 20, 0)),
        ("  3 PM ", utc(2025, 11, 24, 20, 0)),
        ("10am", utc(2025, 11, 25, 15, 0)),  # 10:00 has passed today: tomorrow
        ("09:15", utc(2025, 11, 25, 14, 15)),
        ("noon", utc(2025, 11, 25, 17, 0)),
        ("tomorrow 10am", utc(2025, 11, 25, 15, 0)),
        ("tomorrow at 16:45", utc(2025, 11, 25, 21, 45)),
        ("tomorrow", utc(2025, 11, 25, 14, 0)),  # 09:00 local by default
        ("today 17:00", utc(2025, 11, 24, 22, 0)),
        ("fri 9:30", utc(2025, 11, 28, 14, 30)),
        ("Monday", utc(2025, 12, 1, 14, 0)),  # today is Monday: next week's
        ("+2h", utc(2025, 11, 24, 20, 30)),
        ("+30m", utc(2025, 11, 24, 19, 0)),
        ("+ 90 min", utc(2025, 11, 24, 20, 0)),
        ("in 3 days", utc(2025, 11, 27, 18, 30)),
        ("in an hour", utc(2025, 11, 24, 19, 30)),
        ("in 1 week", utc(2025, 12, 1, 18, 30)),
        ("2025-11-26 15:30", utc(2025, 11, 26, 20, 30)),
        ("2025-11-26T15:30", utc(2025, 11, 26, 20, 30)),
        ("2025-11-26T15:30:00-08:00", utc(2025, 11, 26, 23, 30)),
        ("2025-11-26T20:30Z", utc(2025, 11, 26, 20, 30)),
        ("2025-11-26", utc(2025, 11, 26, 14, 0)),
        ("now", NOW),
    ],
)
def test_parses_in_the_leads_zone(text: str, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(WhenError):
            parse_when(text, NOW, NY)
        return
    assert parse_when(text, NOW, NY) == expected


def test_other_zone_reads_its_own_wall_clock() -> None:
    # 15:30 in Los Angeles (PST, UTC-8) is 23:30 UTC.
    assert parse_when("15:30", NOW, "America/Los_Angeles") == utc(2025, 11, 24, 23, 30)


def test_days_keep_the_local_time_across_dst() -> None:
    before = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)  # Fri 10:00 EST
    after = parse_when("in 3 days", before, NY)  # Mon 10:00 EDT
    assert after == datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
    assert parse_when("+72h", before, NY) == before + timedelta(hours=72)


def test_a_time_skipped_by_dst_lands_after_the_gap() -> None:
    at = parse_when("2025-03-09 02:30", datetime(2025, 3, 8, tzinfo=UTC), NY)
    assert at == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)  # 03:30 EDT


@pytest.mark.parametrize(
    "text", ["", "   ", "soon", "25:00", "13pm", "10", "in 3 parsecs", "2025-13-40", "fri 99"]
)
def test_refuses_what_it_cannot_read_with_a_clear_message(text: str) -> None:
    with pytest.raises(WhenError) as info:
        parse_when(text, NOW, NY)
    assert str(info.value)
    assert isinstance(info.value, LeadError)


def test_refuses_the_past() -> None:
    with pytest.raises(WhenError, match="in the past"):
        parse_when("2025-11-20 10:00", NOW, NY)


def test_unknown_zone_is_a_clear_error() -> None:
    with pytest.raises(WhenError, match="time zone"):
        parse_when("15:30", NOW, "Mars/Olympus")


def test_describe_reads_back_in_the_leads_zone() -> None:
    assert describe_when(utc(2025, 11, 24, 20, 30), NY, NOW) == "Mon 24 Nov 15:30 EST (in 2h)"
    assert describe_when(utc(2025, 11, 25, 15, 0), NY, NOW) == "Tue 25 Nov 10:00 EST (in 20h)"
    assert describe_when(utc(2025, 11, 28, 15, 0), NY, NOW).endswith("(in 3d)")


def test_relative() -> None:
    assert relative(NOW + timedelta(seconds=30), NOW) == "now"
    assert relative(NOW + timedelta(minutes=45), NOW) == "in 45m"
    assert relative(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert relative(NOW + timedelta(hours=26), NOW) == "in 26h"


@given(st.text(max_size=40))
def test_never_crashes_on_any_text(text: str) -> None:
    try:
        result = parse_when(text, NOW, NY)
    except WhenError:
        return
    assert result.tzinfo is not None
    assert result >= NOW - timedelta(minutes=1)


# Each phrase form the README lists for --when and the callback prompt, read in a zone with
# a half-hour offset on the weekend its daylight saving ends (Sun 5 Apr 2026, 03:00 ACDT
# becomes 02:00 ACST). Now: Sat 4 Apr 2026 09:30 in Adelaide (UTC+10:30).
ADELAIDE = "Australia/Adelaide"
SAT = datetime(2026, 4, 3, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:30", utc(2026, 4, 4, 5, 0)),  # today, ACDT
        ("3pm", utc(2026, 4, 4, 4, 30)),
        ("tomorrow 10am", utc(2026, 4, 5, 0, 30)),  # Sunday, already ACST (UTC+9:30)
        ("fri 9:30", utc(2026, 4, 10, 0, 0)),
        ("+2h", utc(2026, 4, 4, 1, 0)),  # elapsed time
        ("in 3 days", utc(2026, 4, 7, 0, 0)),  # same wall clock (09:30), one hour later in UTC
        ("2026-04-06 09:30", utc(2026, 4, 6, 0, 0)),  # ISO without offset: Adelaide time
        ("2026-04-06T09:30+02:00", utc(2026, 4, 6, 7, 30)),  # with one: as written
    ],
)
def test_every_readme_phrase_in_a_zone_crossing_dst(text: str, expected: datetime) -> None:
    assert parse_when(text, SAT, ADELAIDE) == expected


def test_a_weekday_named_on_that_day_is_next_weeks() -> None:
    assert parse_when("sat 8am", SAT, ADELAIDE) == utc(2026, 4, 10, 22, 30)
