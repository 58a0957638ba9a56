"""Short times in the lead's zone, as the workstation shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadtui.tui.formatting import short_time

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
NY = "America/New_York"


@pytest.mark.parametrize(
    ("at", "shown"),
    [
        (datetime(2026, 1, 5, 19, 30, tzinfo=UTC), "14:30"),
        (datetime(2026, 1, 6, 15, 0, tzinfo=UTC), "tomorrow 10:00"),
        (datetime(2026, 1, 8, 15, 0, tzinfo=UTC), "Thu 10:00"),
        (datetime(2026, 1, 2, 15, 0, tzinfo=UTC), "02 Jan 10:00"),
        (datetime(2025, 12, 30, 15, 0, tzinfo=UTC), "30 Dec 2025 10:00"),
        (datetime(2027, 1, 4, 15, 0, tzinfo=UTC), "04 Jan 2027 10:00"),
    ],
)
def test_short_time_names_the_year_only_when_it_is_not_this_one(at, shown) -> None:
    assert short_time(at, NY, NOW) == shown
