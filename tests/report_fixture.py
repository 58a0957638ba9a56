"""Eight leads and 24 touches whose report figures are worked out by hand (see test_metrics).

January 2024, so no zone is in daylight saving time: New York is UTC-5, Los Angeles UTC-8,
London UTC+0. Threshold 5 minutes.

    lead  source     zone  received (UTC)   calls (UTC -> local hour, outcome)
    L1    web        NY    01-08 14:00      14:02 ->9 NA, 14:40 ->9 VM-msg, 01-09 15:00 ->10 talked
    L2    web        LA    01-08 17:00      17:04 ->9 talked
    L3    web        NY    01-08 14:00      14:30 ->9 NA, 15:30 ->10 VM-msg, 19:00 ->14 NA,
                                            01-09 21:30 ->16 VM-hangup, 01-11 16:00 ->11 NA,
                                            01-13 22:30 ->17 NA
    L4    purchased  Lon   01-08 10:00      12:00 NA, 12:45 VM-msg, 16:00 NA, 01-09 16:30 VM-msg,
                                            01-11 11:00 NA, 01-13 17:30 NA, 01-17 15:30 VM-msg,
                                            01-20 10:30 NA, 01-25 16:00 VM-msg   (exhausted)
    L5    purchased  NY    01-08 10:00      never called; one email at 10:20
    L6    purchased  LA    01-08 18:00      18:05 ->10 bad-number
    L7    (none)     NY    01-08 14:00      01-10 14:00 ->9 appointment
    L8    web        NY    01-08 15:00      15:00:30 ->10 NA, 15:45 ->10 won
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadtui.domain.model import Lead, LeadStatus, Outcome, Touch

NY, LA, LON = "America/New_York", "America/Los_Angeles", "Europe/London"
O = Outcome  # noqa: E741 - keeps the table below readable


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A UTC instant in January 2024."""
    return datetime(2024, 1, day, hour, minute, second, tzinfo=UTC)


_LEADS = [
    ("L1", "web", NY, at(8, 14), LeadStatus.CONTACTED,
     [(at(8, 14, 2), O.NO_ANSWER), (at(8, 14, 40), O.VM_MESSAGE), (at(9, 15), O.TALKED)]),
    ("L2", "web", LA, at(8, 17), LeadStatus.CONTACTED, [(at(8, 17, 4), O.TALKED)]),
    ("L3", "web", NY, at(8, 14), LeadStatus.WORKING,
     [(at(8, 14, 30), O.NO_ANSWER), (at(8, 15, 30), O.VM_MESSAGE), (at(8, 19), O.NO_ANSWER),
      (at(9, 21, 30), O.VM_HANGUP), (at(11, 16), O.NO_ANSWER), (at(13, 22, 30), O.NO_ANSWER)]),
    ("L4", "purchased", LON, at(8, 10), LeadStatus.EXHAUSTED,
     [(at(8, 12), O.NO_ANSWER), (at(8, 12, 45), O.VM_MESSAGE), (at(8, 16), O.NO_ANSWER),
      (at(9, 16, 30), O.VM_MESSAGE), (at(11, 11), O.NO_ANSWER), (at(13, 17, 30), O.NO_ANSWER),
      (at(17, 15, 30), O.VM_MESSAGE), (at(20, 10, 30), O.NO_ANSWER),
      (at(25, 16), O.VM_MESSAGE)]),
    ("L5", "purchased", NY, at(8, 10), LeadStatus.NEW, [(at(8, 10, 20), O.EMAIL)]),
    ("L6", "purchased", LA, at(8, 18), LeadStatus.BAD_NUMBER, [(at(8, 18, 5), O.BAD_NUMBER)]),
    ("L7", "", NY, at(8, 14), LeadStatus.APPOINTMENT, [(at(10, 14), O.APPOINTMENT)]),
    ("L8", "web", NY, at(8, 15), LeadStatus.WON,
     [(at(8, 15, 0, 30), O.NO_ANSWER), (at(8, 15, 45), O.WON)]),
]  # fmt: skip


def fixture_data() -> tuple[list[Lead], dict[str, list[Touch]]]:
    """The eight leads and their touches (oldest first), keyed by lead id."""
    leads: list[Lead] = []
    touches: dict[str, list[Touch]] = {}
    for lead_id, source, tz, received, status, history in _LEADS:
        leads.append(
            Lead(
                id=lead_id,
                name=f"Lead {lead_id}",
                phone=f"+1202555{100 + len(leads):04d}",
                email="",
                source=source,
                timezone=tz,
                received_at=received,
                status=status,
            )
        )
        touches[lead_id] = [
            Touch(
                id=f"{lead_id}-{n}",
                lead_id=lead_id,
                outcome=outcome,
                at=when,
                when=when if outcome.needs_when else None,
            )
            for n, (when, outcome) in enumerate(history, start=1)
        ]
    return leads, touches
