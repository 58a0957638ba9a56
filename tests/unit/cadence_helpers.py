"""Shared builders for the cadence tests: fixed leads, touch logs, local-time views."""

from __future__ import annotations

from datetime import UTC, datetime

from leadtui.domain.cadence import derive_status, load_cadence, next_action
from leadtui.domain.model import Lead, LeadStatus, NextAction, Outcome, Touch
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
