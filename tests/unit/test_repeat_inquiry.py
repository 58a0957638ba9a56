"""Issue 11: a repeat inquiry brings a closed lead back (domain.inquiry, through the TinyDB
store), keeps new contact details, never touches a dnc lead; the report's exhausted split."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadtui.domain.cadence import load_cadence, next_action
from leadtui.domain.inquiry import apply_inquiry
from leadtui.domain.metrics import compute
from leadtui.domain.model import Lead, LeadDraft, LeadStatus, Outcome, Touch
from leadtui.domain.queue import rank
from leadtui.domain.window import CallingWindow
from leadtui.store.index import lead_doc, lead_from_doc

C = load_cadence()
W = CallingWindow()
T0 = datetime(2026, 4, 14, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata
KOL = "Asia/Kolkata"


def draft(phone: str = "+919820555101", email: str = "meera@example.in", **kw: object) -> LeadDraft:
    values: dict[str, object] = dict(
        name="Meera Rao", phone=phone, email=email, source="expo", timezone=KOL, received_at=T0
    )
    values.update(kw)
    return LeadDraft(**values)  # type: ignore[arg-type]


def closed_lead(status: LeadStatus = LeadStatus.NOT_INTERESTED) -> tuple[Lead, list[Touch]]:
    lead = Lead("m1", "Meera Rao", "+919820555101", "meera@example.in", "expo", KOL, T0,
                status=status)  # fmt: skip
    closing = {LeadStatus.NOT_INTERESTED: Outcome.NOT_INTERESTED,
               LeadStatus.BAD_NUMBER: Outcome.BAD_NUMBER, LeadStatus.WON: Outcome.WON,
               LeadStatus.DNC: Outcome.DNC}.get(status, Outcome.NO_ANSWER)  # fmt: skip
    return lead, [Touch("t1", "m1", closing, T0 + timedelta(minutes=4))]


@pytest.mark.parametrize(
    "status",
    [
        LeadStatus.NOT_INTERESTED,
        LeadStatus.BAD_NUMBER,
        LeadStatus.EXHAUSTED,
        LeadStatus.WON,
    ],  # fmt: skip
)
def test_a_later_inquiry_reopens_a_closed_lead_with_its_new_number(status: LeadStatus) -> None:
    lead, touches = closed_lead(status)
    later = T0 + timedelta(days=40)
    result = apply_inquiry(lead, touches, draft("+919811555777", received_at=later), dnc=set())
    assert result.reopened
    got = result.lead
    assert (got.status, got.reopened_at, got.started_at) == (LeadStatus.NEW, later, later)
    assert (got.phone, got.other_phones) == ("+919811555777", ("+919820555101",))
    assert got.inquiries == (later,) and f"was {status.value}" in got.notes
    # the cadence starts over from the inquiry; the old touch no longer counts
    action = next_action(got, touches, C, W)
    assert action is not None and (action.kind, action.due_at) == ("first-call", later)


def test_a_dnc_lead_stays_dnc_and_keeps_its_number() -> None:
    lead, touches = closed_lead(LeadStatus.DNC)
    later = T0 + timedelta(days=9)
    result = apply_inquiry(lead, touches, draft("+919811555777", received_at=later), dnc={"x"})
    assert not result.reopened
    assert (result.lead.status, result.lead.phone) == (LeadStatus.DNC, "+919820555101")
    assert result.lead.other_phones == ("+919811555777",)


def test_an_old_or_repeated_inquiry_reopens_nothing() -> None:
    lead, touches = closed_lead()
    same = apply_inquiry(lead, touches, draft(), dnc=set())  # an import run twice
    assert not same.reopened and same.lead.status is LeadStatus.NOT_INTERESTED
    before_close = apply_inquiry(lead, touches, draft(received_at=T0 + timedelta(minutes=2)),
                                 dnc=set())  # fmt: skip
    assert not before_close.reopened


def test_an_older_inquiry_lists_its_contacts_without_taking_over() -> None:
    lead = Lead("m1", "Meera", "+919820555101", "new@example.in", "", KOL, T0,
                inquiries=(T0 + timedelta(days=3),))  # fmt: skip
    old = draft("+919811555000", "Old@Example.IN", received_at=T0 + timedelta(days=1))
    got = apply_inquiry(lead, [], old, dnc=set()).lead
    assert (got.phone, got.email) == ("+919820555101", "new@example.in")
    assert (got.other_phones, got.other_emails) == (("+919811555000",), ("Old@Example.IN",))


def test_a_new_number_on_the_dnc_list_is_listed_but_never_called() -> None:
    lead, touches = closed_lead()
    later = T0 + timedelta(days=20)
    got = apply_inquiry(lead, touches, draft("+919811555777", received_at=later),
                        dnc={"+919811555777"}).lead  # fmt: skip
    assert got.phone == "+919820555101" and got.other_phones == ("+919811555777",)


def test_an_inquiry_for_the_same_number_with_a_zone_ends_the_doubt() -> None:
    lead = Lead("a1", "Ann", "+61438555219", "", "", "Australia/Sydney", T0,
                zone_candidates=("Australia/Sydney", "Australia/Perth"))  # fmt: skip
    named = draft("+61438555219", "", timezone="Australia/Perth", received_at=T0 + timedelta(1))
    got = apply_inquiry(lead, [], named, dnc=set()).lead
    assert (got.timezone, got.zones) == ("Australia/Perth", ("Australia/Perth",))


# --- through the store ----------------------------------------------------------------------


def test_the_store_reopens_keeps_history_and_finds_earlier_numbers(backend) -> None:
    store = backend.open()  # on both backends (tests/store_backends.py)
    (first,) = store.add_leads([draft()], T0)
    lead_id = first.lead.id
    store.log_touch(lead_id, Outcome.NOT_INTERESTED, T0 + timedelta(minutes=3))
    assert store.get_lead(lead_id).status is LeadStatus.NOT_INTERESTED
    later = T0 + timedelta(days=31)
    (again,) = store.add_leads([draft("+919811555777", received_at=later)], later)
    assert (again.created, again.reopened, again.lead.id) == (False, True, lead_id)
    assert len(store.touches(lead_id)) == 1  # the old history is kept
    queue = rank(store.active_leads(), store.touches_by_lead(), later + timedelta(minutes=1),
                 C, W, timedelta(minutes=5))  # fmt: skip
    assert [(e.lead.id, e.attempts, e.age_seconds) for e in queue] == [(lead_id, 0, 60)]
    # the earlier number still finds the lead; nothing is created twice
    (third,) = store.add_leads([draft("+919820555101", "", received_at=later)], later)
    assert (third.created, third.reopened) == (False, False)
    store.close()
    reopened = backend.open()
    lead = reopened.get_lead(lead_id)
    assert lead.reopened_at == later and lead.status is LeadStatus.NEW
    assert lead.phone == "+919820555101" and lead.other_phones == ("+919811555777",)
    reopened.close()


def test_a_database_without_the_new_fields_still_opens(tmp_path: Path) -> None:
    old = {"id": "abc", "name": "Old", "phone": "+12065550100", "email": "", "source": "",
           "timezone": "America/Los_Angeles", "received_at": "2024-01-02T03:04:05.000000+00:00",
           "status": "working", "notes": "", "inquiries": []}  # fmt: skip
    lead = lead_from_doc(old)
    assert (lead.other_phones, lead.other_emails, lead.zone_candidates, lead.reopened_at) == (
        (),
        (),
        (),
        None,
    )
    assert lead_doc(lead) == old  # nothing new is written for a lead without them
    full = replace(lead, other_phones=("+12065550199",), zone_candidates=("A/B", "C/D"),
                   reopened_at=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
    assert lead_from_doc(json.loads(json.dumps(lead_doc(full)))) == full


def test_the_report_splits_exhausted_unreached_from_exhausted_after_contact() -> None:
    never = Lead("n", "N", "+12065550101", "", "", "America/Los_Angeles", T0,
                 status=LeadStatus.EXHAUSTED)  # fmt: skip
    reached = replace(never, id="r")
    touches = {
        "n": [Touch(f"n{i}", "n", Outcome.NO_ANSWER, T0 + timedelta(days=i)) for i in range(9)],
        "r": [Touch("r0", "r", Outcome.TALKED, T0)]
        + [Touch(f"r{i}", "r", Outcome.NO_ANSWER, T0 + timedelta(days=i)) for i in range(1, 7)],
    }
    persistency = compute([never, reached], touches, timedelta(minutes=5)).persistency
    assert (persistency.exhausted, persistency.follow_ups_exhausted) == (1, 1)


def test_a_reopening_never_starts_in_the_future() -> None:
    lead, touches = closed_lead()
    now = T0 + timedelta(days=12)
    ahead = draft("+919811555777", received_at=now + timedelta(minutes=7))  # a fast web clock
    got = apply_inquiry(lead, touches, ahead, dnc=set(), now=now).lead
    assert got.reopened_at == now and got.inquiries == (now + timedelta(minutes=7),)
    call = Touch("t2", "m1", Outcome.NO_ANSWER, now + timedelta(minutes=1))
    action = next_action(got, [*touches, call], C, W)
    assert action is not None and action.kind == "cadence"  # the call counts in the new round


def test_a_second_number_of_the_draft_finds_the_lead(backend) -> None:
    store = backend.open()
    (first,) = store.add_leads([draft("+919811555000", "")], T0)
    both = draft("+919811555111", "", other_phones=("+919811555000",), received_at=T0)
    (again,) = store.add_leads([both], T0 + timedelta(hours=1))
    assert (again.created, again.lead.id) == (False, first.lead.id)
    assert again.lead.phone == "+919811555111"  # the newest inquiry's number is called
    assert again.lead.other_phones == ("+919811555000",)
    store.close()
