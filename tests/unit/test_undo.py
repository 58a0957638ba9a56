"""Undo never removes someone else's work: `undo_touch` by id in the store, and the CLI's
`undo LEAD [--touch ID] [--force]` (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cli_helpers import Cli

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, LeadError, LeadStatus, Outcome

T0 = datetime(2026, 1, 19, 16, 20, tzinfo=UTC)
CADENCE = load_cadence()


def _draft() -> LeadDraft:
    return LeadDraft("Mara Voss", "+4930555019", "", "fair", "Europe/Berlin", T0)


@pytest.fixture
def two(backend):
    """One pool opened twice: rep A's and rep B's processes (on both backends)."""
    return backend.open(), backend.open()


def test_undo_touch_removes_exactly_that_touch(two) -> None:
    a, _ = two
    (added,) = a.add_leads([_draft()], T0)
    lead_id = added.lead.id
    first = a.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=1), rep="Ana")
    mine = a.log_touch(lead_id, Outcome.VM_HANGUP, T0 + timedelta(minutes=40), rep="Ana")
    assert a.undo_touch(lead_id, mine.id) == mine
    assert a.touches(lead_id) == [first]
    assert a.get_lead(lead_id).status is LeadStatus.WORKING


def test_undo_touch_refuses_when_another_rep_logged_after_it(two) -> None:
    a, b = two
    (added,) = a.add_leads([_draft()], T0)
    lead_id = added.lead.id
    mine = a.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=2), rep="Ana")
    theirs = b.log_touch(lead_id, Outcome.TALKED, T0 + timedelta(minutes=3), rep="Ben",
                         note="booked follow-up", when=T0 + timedelta(days=1))  # fmt: skip
    with pytest.raises(LeadError, match="no longer the lead's last touch.*Ben"):
        a.undo_touch(lead_id, mine.id)
    assert [t.id for t in a.touches(lead_id)] == [mine.id, theirs.id]
    assert a.touches(lead_id)[-1].note == "booked follow-up"
    assert a.get_lead(lead_id).status is LeadStatus.CONTACTED


def test_undo_touch_refuses_a_touch_that_is_gone(two) -> None:
    a, b = two
    (added,) = a.add_leads([_draft()], T0)
    lead_id = added.lead.id
    mine = a.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=2), rep="Ana")
    assert b.undo_last_touch(lead_id) == mine
    with pytest.raises(LeadError, match="no longer on this lead"):
        a.undo_touch(lead_id, mine.id)
    (other,) = a.add_leads([LeadDraft("Uwe Kern", "+4930555020", "", "", "Europe/Berlin", T0)],
                           T0)  # fmt: skip
    theirs = a.log_touch(other.lead.id, Outcome.NO_ANSWER, T0 + timedelta(minutes=5))
    with pytest.raises(LeadError, match="no longer on this lead"):
        a.undo_touch(lead_id, theirs.id)  # a touch of another lead is not this lead's
    assert a.touches(other.lead.id) == [theirs]


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


NOW = "2026-01-19T16:30:00Z"


def _as(monkeypatch: pytest.MonkeyPatch, rep: str) -> None:
    monkeypatch.setenv("LEADTUI_REP_NAME", rep)


def test_cli_undo_of_another_reps_touch_needs_force(cli: Cli, monkeypatch) -> None:
    _as(monkeypatch, "Ana Ruiz")
    lead = cli.add("Lio Park", "+82 2 555 0142", now=NOW)
    cli.ok("log", lead, "no-answer", now=NOW)
    _as(monkeypatch, "Ben Okafor")
    cli.ok("log", lead, "talked", "--note", "wants a demo", now=NOW)
    _as(monkeypatch, "Ana Ruiz")
    line = cli.refused("undo", lead, now=NOW)
    assert "Ben Okafor" in line and "--force" in line
    touches = cli.ok("show", lead, "--json", now=NOW).json()["touches"]
    assert [t["outcome"] for t in touches] == ["no-answer", "talked"]
    assert "removed talked" in cli.ok("undo", lead, "--force", now=NOW).out


def test_cli_undo_touch_id_only_while_last(cli: Cli, monkeypatch) -> None:
    _as(monkeypatch, "Ana Ruiz")
    lead = cli.add("Lio Park", "+82 2 555 0142", now=NOW)
    cli.ok("log", lead, "no-answer", now=NOW)
    first = cli.ok("show", lead, "--json", now=NOW).json()["touches"][0]["id"]
    cli.ok("log", lead, "vm-hangup", now="2026-01-19T17:30:00Z")
    line = cli.refused("undo", lead, "--touch", first, now="2026-01-19T17:31:00Z")
    assert "no longer the lead's last touch" in line
    assert "no touch 'zzzz'" in cli.refused("undo", lead, "--touch", "zzzz", now=NOW)
    assert len(cli.ok("show", lead, "--json", now=NOW).json()["touches"]) == 2
    second = cli.ok("show", lead, "--json", now=NOW).json()["touches"][1]["id"]
    assert "removed vm-hangup" in cli.ok("undo", lead, "--touch", second, now=NOW).out
