"""The use-case layer (`leadtui.service`) on a real store, with fixed times.

Leads live in Denver and Lisbon here (other zones than the README's examples); times are
pinned datetimes, never the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadtui.config import Settings
from leadtui.domain.cadence import load_cadence, next_action
from leadtui.domain.model import LeadError, LeadStatus, Outcome
from leadtui.domain.plan import plan
from leadtui.domain.window import CallingWindow
from leadtui.service import claims, leads, outcomes, queue, reports
from leadtui.service.add_lead import add_lead
from leadtui.service.gateway import PendingWrite, StoreGateway
from leadtui.store.repository import open_store

CADENCE = load_cadence()
SETTINGS = Settings(window=CallingWindow(), default_region="US",
                    default_timezone="America/Denver")  # fmt: skip
T0 = datetime(2026, 2, 17, 17, 40, tzinfo=UTC)  # 10:40 in Denver, 17:40 in Lisbon


@pytest.fixture
def store(tmp_path: Path):
    opened = open_store(tmp_path / "data" / "leads.json", cadence=CADENCE)
    yield opened
    opened.close()


def add(store, name: str, phone: str, zone: str, minutes_ago: int = 3):
    return add_lead(
        store, name=name, phone=phone, timezone=zone, source="trade-show",
        received_at=T0 - timedelta(minutes=minutes_ago), region=SETTINGS.default_region,
        default_timezone=SETTINGS.default_timezone, now=T0,
    )  # fmt: skip


def test_add_lead_stores_it_and_a_repeat_number_is_a_duplicate(store) -> None:
    first = add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver")
    again = add(store, "R. Diaz", "+1 720 555 0143", "America/Denver")
    assert first.created and not again.created
    assert again.lead.id == first.lead.id
    assert store.get_lead(first.lead.id).phone == "+17205550143"


def test_add_lead_refuses_bad_fields_with_a_reason(store) -> None:
    with pytest.raises(LeadError, match="name"):
        add_lead(store, name="  ", phone="(720) 555-0143", now=T0)
    assert store.leads() == []


def test_add_leads_of_nothing_writes_nothing(store) -> None:
    before = store.version()
    assert leads.add_leads(store, [], T0) == []
    assert store.version() == before


def test_log_outcome_returns_the_stored_touch_and_the_next_action(store) -> None:
    lead = add(store, "Joao Silva", "+351 912 345 678", "Europe/Lisbon").lead
    at = T0 + timedelta(minutes=1)
    logged = outcomes.log_outcome(
        store, CADENCE, SETTINGS.window, lead.id, Outcome.NO_ANSWER, at, note="rang out",
        rep="Kim",
    )  # fmt: skip
    stored = store.touches(lead.id)
    assert [t.outcome for t in stored] == [Outcome.NO_ANSWER]
    assert logged.touch == stored[0] and logged.touch.rep == "Kim"
    assert logged.lead == store.get_lead(lead.id)
    assert logged.action == next_action(logged.lead, stored, CADENCE, SETTINGS.window)


def test_the_store_owns_the_refusal_even_when_the_face_saw_the_lead_callable(
    store, tmp_path: Path
) -> None:
    """Another process marks the lead do-not-call after this face read it: the service
    does not re-check a stale copy, the store refuses against the lead on disk."""
    seen = add(store, "Ada Park", "(303) 555-0177", "America/Denver").lead
    assert outcomes.refusal(seen, Outcome.TALKED, T0) is None  # as the face saw it
    other = open_store(store.path, cadence=CADENCE)
    try:
        outcomes.log_outcome(other, CADENCE, SETTINGS.window, seen.id, Outcome.DNC, T0)
    finally:
        other.close()
    with pytest.raises(LeadError) as refused:
        outcomes.log_outcome(store, CADENCE, SETTINGS.window, seen.id, Outcome.TALKED,
                             T0 + timedelta(minutes=2), when=T0 + timedelta(days=1))  # fmt: skip
    assert [t.outcome for t in store.touches(seen.id)] == [Outcome.DNC]
    fresh = store.get_lead(seen.id)
    assert fresh.status is LeadStatus.DNC
    assert outcomes.refusal(fresh, Outcome.TALKED, T0) == str(refused.value)


def test_refusal_names_a_callback_without_a_time_only_when_it_has_none(store) -> None:
    lead = add(store, "Ada Park", "(303) 555-0177", "America/Denver").lead
    assert outcomes.refusal(lead, Outcome.CALLBACK, T0) is None  # the face asks the time
    with pytest.raises(LeadError, match="needs a time"):
        outcomes.log_outcome(store, CADENCE, SETTINGS.window, lead.id, Outcome.CALLBACK, T0)


@pytest.mark.parametrize(
    ("utc_hour", "outcome", "outside"),
    [
        (3, Outcome.NO_ANSWER, True),  # 03:00 in Lisbon
        (3, Outcome.EMAIL, False),  # not a call
        (11, Outcome.TALKED, False),
        (20, Outcome.VM_HANGUP, False),  # 20:00, the window shuts at 20:30
        (21, Outcome.VM_HANGUP, True),
    ],
)
def test_outside_window_is_a_call_while_the_leads_window_is_shut(
    store, utc_hour: int, outcome: Outcome, outside: bool
) -> None:
    lead = add(store, "Joao Silva", "+351 912 345 678", "Europe/Lisbon").lead
    at = datetime(2026, 2, 18, utc_hour, 0, tzinfo=UTC)  # Lisbon is UTC+0 in February
    assert outcomes.outside_window(SETTINGS.window, lead, outcome, at) is outside


def test_undo_removes_exactly_that_touch_while_it_is_the_last(store) -> None:
    lead = add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver").lead
    window = SETTINGS.window
    first = outcomes.log_outcome(store, CADENCE, window, lead.id, Outcome.NO_ANSWER, T0).touch
    second = outcomes.log_outcome(store, CADENCE, window, lead.id, Outcome.WON,
                                  T0 + timedelta(minutes=9)).touch  # fmt: skip
    assert first is not None and second is not None
    with pytest.raises(LeadError):
        outcomes.undo(store, CADENCE, window, lead.id, first.id)  # not the last one
    assert len(store.touches(lead.id)) == 2
    undone = outcomes.undo(store, CADENCE, window, lead.id, second.id)
    assert undone.touch == second
    assert [t.outcome for t in undone.touches] == [Outcome.NO_ANSWER]
    assert undone.lead.status is LeadStatus.WORKING and undone.action is not None


def test_add_note_keeps_it_on_the_lead(store) -> None:
    lead = add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver").lead
    noted = outcomes.add_note(store, CADENCE, SETTINGS.window, lead.id, "prefers texts", T0)
    assert "prefers texts" in noted.lead.notes and noted.touch is None


def test_the_queue_marks_other_sessions_claims_but_not_its_own(store) -> None:
    mine = add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver", minutes_ago=2).lead
    theirs = add(store, "Ada Park", "(303) 555-0177", "America/Denver", minutes_ago=4).lead
    claims.claim_lead(store, mine.id, "Kim", "kim-screen", T0, 120)
    claims.claim_lead(store, theirs.id, "", "lee-screen", T0, 120)
    page = queue.queue_page(store, T0, SETTINGS, limit=10, due_only=True, session="kim-screen")
    assert [(e.lead.id, e.claimed_by) for e in page.entries] == [
        (mine.id, None), (theirs.id, "another rep"),
    ]  # fmt: skip
    everyone = queue.queue_entries(store, T0, CADENCE, SETTINGS, include_all=False)
    assert [e.claimed_by for e in everyone] == ["Kim", "another rep"]
    claims.release_claims(store, "kim-screen")
    assert set(store.claims(T0)) == {theirs.id}


def test_the_queue_leaves_out_what_is_not_due_unless_asked(store) -> None:
    lead = add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver").lead
    outcomes.log_outcome(store, CADENCE, SETTINGS.window, lead.id, Outcome.NO_ANSWER, T0)
    later = T0 + timedelta(minutes=1)
    assert queue.queue_entries(store, later, CADENCE, SETTINGS, include_all=False) == []
    (entry,) = queue.queue_entries(store, later, CADENCE, SETTINGS, include_all=True)
    assert entry.lead.id == lead.id and not entry.due


def test_plan_for_and_lead_view_agree_with_the_domain(store) -> None:
    lead = add(store, "Joao Silva", "+351 912 345 678", "Europe/Lisbon").lead
    view = leads.lead_view(store, CADENCE, SETTINGS, lead.id)
    assert view.touches == [] and view.action is not None
    same, steps = leads.plan_for(store, CADENCE, SETTINGS, lead.id, T0)
    assert same == view.lead and steps
    assert steps == plan(view.lead, [], CADENCE, SETTINGS.window, T0)


def test_report_and_blitz_records_go_through_the_service(store) -> None:
    add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver")
    add(store, "Ada Park", "(303) 555-0177", "America/Denver")
    data = reports.report(store, T0, timedelta(minutes=5), source="TRADE-SHOW")
    assert data["overall"]["leads"] == 2
    reports.save_blitz(store, {"id": "b-7", "started_at": T0.isoformat()})
    assert [r["id"] for r in store.blitzes()] == ["b-7"]


def test_import_leads_counts_new_and_known_rows(store) -> None:
    add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver")
    data = b"name,phone\nRosa D,720-555-0143\nMina Cho,303-555-0199\n"
    done = leads.import_leads(store, data, SETTINGS, T0, source="expo")
    assert (done.imported, done.duplicates, done.rejected) == (1, 1, [])
    mina = next(lead for lead in store.leads() if lead.name == "Mina Cho")
    assert mina.source == "expo"


def test_the_gateway_applies_writes_through_the_service(store) -> None:
    lead = add(store, "Rosa Diaz", "(720) 555-0143", "America/Denver").lead
    gateway = StoreGateway(store, CADENCE, lambda: SETTINGS, "kim-screen")
    write = PendingWrite(1, "touch", lead.id, lead.name, T0, outcome=Outcome.VM_HANGUP)
    result = gateway.apply(write, "Kim")
    assert result.touch is not None and result.touch.rep == "Kim"
    assert result.version == store.version()
    undo = gateway.apply(PendingWrite(2, "undo", lead.id, lead.name, T0, undo_seq=1), "Kim")
    assert undo.touch == result.touch and store.touches(lead.id) == []
    snapshot = gateway.snapshot(T0)
    assert [e.lead.id for e in snapshot.entries] == [lead.id] and snapshot.active == 1
