"""The store contract: leads, duplicates, do-not-call, touches, undo, notes, claims, blitzes.

Every test runs on both backends (TinyDB and a real PostgreSQL server) through the
`backend` fixture; the few that read a backend's own storage say which one."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import Backend

from leadtui.domain.cadence import derive_status, load_cadence
from leadtui.domain.model import LeadDraft, LeadError, LeadStatus, Outcome
from leadtui.store.protocol import LeadNotFound, LeadStore
from leadtui.store.repository import TinyLeadStore, new_id, open_store

T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)
CADENCE = load_cadence()


def draft(n: int = 0, **changes) -> LeadDraft:
    values = dict(
        name=f"Lead {n}",
        phone=f"+1212555{n:04d}",
        email=f"lead{n}@example.com",
        source="web",
        timezone="America/New_York",
        received_at=T0,
    )
    values.update(changes)
    return LeadDraft(**values)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


@pytest.fixture
def store(backend: Backend):
    return backend.open()


@pytest.fixture
def tiny(db_path: Path):
    opened = open_store(db_path, cadence=CADENCE)
    yield opened
    opened.close()


def reopen(store, backend: Backend):
    store.close()
    return backend.open()


def test_implements_the_protocol(store, backend: Backend) -> None:
    if backend.kind == "tinydb":
        assert isinstance(store, TinyLeadStore)
    checked: LeadStore = store  # the type checker's view
    for name in vars(LeadStore):
        if not name.startswith("_"):
            assert hasattr(checked, name), name


def test_ids_are_short_lowercase_base32() -> None:
    ids = {new_id() for _ in range(500)}
    assert len(ids) == 500
    assert all(re.fullmatch(r"[a-z2-7]{8}", i) for i in ids)


def test_add_leads_stores_them_in_order(store: LeadStore) -> None:
    results = store.add_leads([draft(1), draft(2, received_at=T0 + timedelta(minutes=3))], T0)
    assert [r.created for r in results] == [True, True]
    leads = store.leads()
    assert [lead.name for lead in leads] == ["Lead 1", "Lead 2"]
    assert leads[1].received_at == T0 + timedelta(minutes=3)
    assert leads[0].status is LeadStatus.NEW
    assert store.get_lead(leads[0].id) == leads[0] == results[0].lead


def test_all_drafts_in_one_journal_record(tiny: TinyLeadStore, db_path: Path) -> None:
    tiny.add_leads([draft(n) for n in range(50)], T0)
    journal = db_path.with_name("leads.json.journal").read_bytes().splitlines()
    assert len(journal) == 1


def test_stored_times_are_utc_iso_strings(tiny: TinyLeadStore, db_path: Path) -> None:
    plus2 = datetime(2024, 5, 6, 16, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    )
    lead = tiny.add_leads([draft(1, received_at=plus2)], T0)[0].lead
    tiny.log_touch(lead.id, Outcome.CALLBACK, plus2, when=plus2 + timedelta(days=1))
    lines = db_path.with_name("leads.json.journal").read_bytes().splitlines()
    lead_doc = json.loads(lines[0].split(b" ", 1)[1])["ops"][0][3]
    touch_doc = json.loads(lines[1].split(b" ", 1)[1])["ops"][0][3]
    assert lead_doc["received_at"] == "2024-05-06T16:00:00.000000+00:00"
    assert touch_doc["at"] == "2024-05-06T16:00:00.000000+00:00"
    assert touch_doc["when"] == "2024-05-07T16:00:00.000000+00:00"


def test_duplicate_by_phone_records_an_inquiry(store: LeadStore) -> None:
    first = store.add_leads([draft(1)], T0)[0].lead
    again = store.add_leads([draft(1, name="Other", email="", received_at=T0 + timedelta(1))], T0)
    assert again[0].created is False
    assert again[0].lead.id == first.id
    assert again[0].lead.inquiries == (T0 + timedelta(1),)
    assert len(store.leads()) == 1


def test_duplicate_by_email_is_case_insensitive(store: LeadStore) -> None:
    first = store.add_leads([draft(1, email="Ann@Example.com")], T0)[0].lead
    result = store.add_leads([draft(2, email="ann@EXAMPLE.com")], T0)[0]
    assert (result.created, result.lead.id) == (False, first.id)


def test_empty_emails_are_not_duplicates(store: LeadStore) -> None:
    results = store.add_leads([draft(1, email=""), draft(2, email="")], T0)
    assert [r.created for r in results] == [True, True]


def test_duplicates_within_one_batch(store: LeadStore) -> None:
    later = T0 + timedelta(hours=1)
    results = store.add_leads(
        [draft(1), draft(1, received_at=later), draft(3, email="lead1@example.com")], T0
    )
    assert [r.created for r in results] == [True, False, False]
    assert len({r.lead.id for r in results}) == 1
    assert store.leads()[0].inquiries == (later, T0)


def test_dnc_outcome_lists_the_number_and_new_leads_arrive_dnc(store: LeadStore) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    store.log_touch(lead.id, Outcome.DNC, T0)
    assert store.get_lead(lead.id).status is LeadStatus.DNC
    assert store.is_dnc(lead.phone)
    with pytest.raises(LeadError, match="do-not-call"):
        store.log_touch(lead.id, Outcome.NO_ANSWER, T0 + timedelta(minutes=1))
    assert len(store.touches(lead.id)) == 1
    # same number, different email: a duplicate anyway; a new number stays new
    other = store.add_leads([draft(2)], T0)[0].lead
    assert other.status is LeadStatus.NEW


def test_lead_whose_number_is_listed_arrives_dnc(store, backend: Backend) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    store.log_touch(lead.id, Outcome.DNC, T0)
    if backend.kind == "tinydb":  # the number stays listed; the lead is gone
        with store._storage.transaction():
            store._db.table("leads").remove(doc_ids=[1])
    else:
        backend.sql("DELETE FROM leads WHERE id = %s", lead.id)
    arrived = store.add_leads([draft(1, email="new@example.com")], T0)[0]
    assert arrived.created and arrived.lead.status is LeadStatus.DNC


def test_log_touch_stores_and_derives_status(store: LeadStore) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    touch = store.log_touch(lead.id, Outcome.NO_ANSWER, T0, note="rang", rep="al")
    assert re.fullmatch(r"[a-z2-7]{8}", touch.id)
    assert (touch.note, touch.rep, touch.outcome) == ("rang", "al", Outcome.NO_ANSWER)
    assert store.touches(lead.id) == [touch]
    expected = derive_status(lead, [touch], CADENCE)
    assert store.get_lead(lead.id).status is expected is not LeadStatus.NEW
    store.log_touch(lead.id, Outcome.WON, T0 + timedelta(minutes=5))
    assert store.get_lead(lead.id).status is LeadStatus.WON


def test_log_touch_refusals(store: LeadStore) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    with pytest.raises(LeadError):
        store.log_touch(lead.id, Outcome.CALLBACK, T0)
    with pytest.raises(LeadError, match="time zone"):
        store.log_touch(lead.id, Outcome.NO_ANSWER, datetime(2024, 5, 6, 14))
    with pytest.raises(LeadNotFound):
        store.log_touch("nosuchid", Outcome.NO_ANSWER, T0)
    assert store.touches(lead.id) == []


def test_touches_sorted_by_time_then_insertion(store: LeadStore) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    late = store.log_touch(lead.id, Outcome.NO_ANSWER, T0 + timedelta(hours=2))
    early = store.log_touch(lead.id, Outcome.VM_HANGUP, T0)
    same = store.log_touch(lead.id, Outcome.VM_MESSAGE, T0 + timedelta(hours=2))
    assert [t.id for t in store.touches(lead.id)] == [early.id, late.id, same.id]
    assert [t.id for t in store.touches_by_lead()[lead.id]] == [early.id, late.id, same.id]
    assert store.undo_last_touch(lead.id) == same
    assert store.undo_last_touch(lead.id) == late
    assert [t.id for t in store.touches(lead.id)] == [early.id]


def test_undo_restores_status_and_returns_none_when_empty(store: LeadStore) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    assert store.undo_last_touch(lead.id) is None
    store.log_touch(lead.id, Outcome.NO_ANSWER, T0)
    working = store.get_lead(lead.id).status
    store.log_touch(lead.id, Outcome.NOT_INTERESTED, T0 + timedelta(minutes=1))
    assert store.get_lead(lead.id).status is LeadStatus.NOT_INTERESTED
    store.undo_last_touch(lead.id)
    assert store.get_lead(lead.id).status is working
    store.undo_last_touch(lead.id)
    assert store.get_lead(lead.id).status is LeadStatus.NEW


def test_undo_dnc_unlists_the_number_unless_another_dnc_touch_keeps_it(
    store: LeadStore,
) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    store.log_touch(lead.id, Outcome.NO_ANSWER, T0)
    store.log_touch(lead.id, Outcome.DNC, T0 + timedelta(minutes=1))
    store.log_touch(lead.id, Outcome.DNC, T0 + timedelta(minutes=2))
    store.undo_last_touch(lead.id)
    assert store.is_dnc(lead.phone)
    assert store.get_lead(lead.id).status is LeadStatus.DNC
    store.undo_last_touch(lead.id)
    assert not store.is_dnc(lead.phone)
    assert store.get_lead(lead.id).status is LeadStatus.WORKING


def test_add_note_appends_timestamped_lines(store: LeadStore) -> None:
    lead = store.add_leads([draft(1, notes="from the form")], T0)[0].lead
    store.add_note(lead.id, "asked for pricing", T0)
    updated = store.add_note(lead.id, "call after 5", T0 + timedelta(hours=1, seconds=59))
    assert updated.notes == (
        "from the form\n[2024-05-06 14:00 UTC] asked for pricing\n"
        "[2024-05-06 15:00 UTC] call after 5"
    )
    assert store.get_lead(lead.id).notes == updated.notes
    with pytest.raises(LeadNotFound):
        store.add_note("missing1", "x", T0)


def test_claims_replace_expire_and_release(store: LeadStore) -> None:
    a, b = (r.lead for r in store.add_leads([draft(1), draft(2)], T0))
    store.claim(a.id, "al", "s1", T0, 120)
    assert set(store.claims(T0)) == {a.id}
    store.claim(b.id, "al", "s1", T0, 120)  # moving on releases the previous lead
    assert set(store.claims(T0)) == {b.id}
    store.claim(a.id, "bo", "s2", T0 + timedelta(seconds=5), 120)
    refused = store.claim(b.id, "bo", "s2", T0 + timedelta(seconds=10), 120)
    assert (refused.session, refused.rep) == ("s1", "al")  # al was first: bo does not get it
    assert store.claims(T0 + timedelta(seconds=10)) == {b.id: refused}  # bo left a, too
    claim = store.claim(b.id, "al", "s1", T0 + timedelta(seconds=100), 120)  # renew
    assert claim.expires_at == T0 + timedelta(seconds=220)
    assert store.claims(T0 + timedelta(seconds=200))[b.id].session == "s1"
    after = store.claim(b.id, "bo", "s2", T0 + timedelta(seconds=221), 120)  # al's expired
    assert after.session == "s2"
    assert store.claims(T0 + timedelta(seconds=230))[b.id].rep == "bo"
    store.release("s2")
    store.claim(b.id, "al", "s1", T0 + timedelta(seconds=240), 120)
    store.release("s1")
    assert store.claims(T0 + timedelta(seconds=241)) == {}
    with pytest.raises(LeadNotFound):
        store.claim("missing1", "al", "s1", T0, 120)


def test_blitz_records_upsert_in_order(store: LeadStore) -> None:
    store.save_blitz({"id": "b1", "goal": 10, "tallies": {"dials": 0}})
    store.save_blitz({"id": "b2", "goal": 5})
    store.save_blitz({"id": "b1", "goal": 12, "tallies": {"dials": 3}})
    assert store.blitzes() == [
        {"id": "b1", "goal": 12, "tallies": {"dials": 3}},
        {"id": "b2", "goal": 5},
    ]
    store.blitzes()[0]["goal"] = 99  # a copy
    assert store.blitzes()[0]["goal"] == 12
    with pytest.raises(ValueError):
        store.save_blitz({"goal": 1})
    with pytest.raises(ValueError):
        store.save_blitz({"id": "b3", "when": T0})


def test_reopen_sees_everything(store, backend: Backend) -> None:
    a, b = (r.lead for r in store.add_leads([draft(1), draft(2)], T0))
    store.add_leads([draft(1, received_at=T0 + timedelta(days=1))], T0)
    touch = store.log_touch(a.id, Outcome.CALLBACK, T0, when=T0 + timedelta(days=2), rep="al")
    store.log_touch(b.id, Outcome.DNC, T0)
    store.add_note(a.id, "hi", T0)
    store.claim(a.id, "al", "s1", T0, 120)
    store.save_blitz({"id": "b1", "goal": 3})
    before = (store.leads(), dict(store.touches_by_lead()), store.claims(T0), store.blitzes())
    again = reopen(store, backend)
    after = (again.leads(), dict(again.touches_by_lead()), again.claims(T0), again.blitzes())
    assert after == before
    assert again.touches(a.id) == [touch]
    assert again.is_dnc(b.phone) and again.get_lead(b.id).status is LeadStatus.DNC
    again.close()


def test_reopen_after_compaction(db_path: Path) -> None:  # TinyDB's own file format
    store = open_store(db_path, cadence=CADENCE, compact_bytes=1500)
    leads = [r.lead for r in store.add_leads([draft(n) for n in range(10)], T0)]
    touches = [store.log_touch(lead.id, Outcome.NO_ANSWER, T0) for lead in leads for _ in (1, 2)]
    assert db_path.with_name("leads.json.bak").exists()
    store.close()
    again = open_store(db_path, cadence=CADENCE)
    assert sorted(t.id for ts in again.touches_by_lead().values() for t in ts) == sorted(
        t.id for t in touches
    )
    again.close()


def test_second_instance_sees_first_ones_writes(store, backend: Backend) -> None:
    other = backend.open()
    version = other.version()
    lead = store.add_leads([draft(1)], T0)[0].lead
    assert other.changed()
    assert other.get_lead(lead.id) == lead
    assert other.version() > version and not other.changed()
    touch = other.log_touch(lead.id, Outcome.NO_ANSWER, T0)
    assert store.touches(lead.id) == [touch]
    assert store.get_lead(lead.id).status is other.get_lead(lead.id).status
    other.close()


def test_touches_by_lead_covers_every_lead_and_is_a_frozen_view(store: LeadStore) -> None:
    a, b = (r.lead for r in store.add_leads([draft(1), draft(2)], T0))
    store.log_touch(a.id, Outcome.NO_ANSWER, T0)
    view = store.touches_by_lead()
    assert set(view) == {a.id, b.id} and len(view[a.id]) == 1 and view[b.id] == ()
    store.log_touch(a.id, Outcome.NO_ANSWER, T0 + timedelta(hours=1))
    assert len(view[a.id]) == 1
    assert len(store.touches_by_lead()[a.id]) == 2


def test_unknown_lead(store: LeadStore) -> None:
    with pytest.raises(LeadNotFound):
        store.get_lead("zzzzzzzz")
    with pytest.raises(LeadNotFound):
        store.touches("zzzzzzzz")
    with pytest.raises(LeadNotFound):
        store.undo_last_touch("zzzzzzzz")


def test_threads_share_one_store(store: LeadStore) -> None:
    leads = [r.lead for r in store.add_leads([draft(n) for n in range(4)], T0)]
    errors: list[BaseException] = []

    def work(lead_id: str) -> None:
        try:
            for n in range(15):
                store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=n))
                store.leads()
                store.touches_by_lead()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(lead.id,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [len(store.touches(lead.id)) for lead in leads] == [15] * 4


def test_touches_by_lead_stays_right_through_every_kind_of_change(
    store, backend: Backend
) -> None:
    other = backend.open()
    a, b = (r.lead for r in store.add_leads([draft(1), draft(2)], T0))
    first = store.touches_by_lead()
    store.log_touch(a.id, Outcome.NO_ANSWER, T0)
    other.log_touch(b.id, Outcome.VM_HANGUP, T0)  # another process's write
    c = other.add_leads([draft(3)], T0)[0].lead
    store.undo_last_touch(a.id)
    other.log_touch(c.id, Outcome.TALKED, T0)
    view = store.touches_by_lead()
    assert set(view) == {a.id, b.id, c.id}
    assert view[a.id] == ()
    assert [t.outcome for t in view[b.id]] == [Outcome.VM_HANGUP]
    assert [t.outcome for t in view[c.id]] == [Outcome.TALKED]
    assert first[a.id] == () and c.id not in first
    fresh = backend.open()
    assert dict(fresh.touches_by_lead()) == dict(view)
    fresh.close()
    other.close()


def test_touches_by_lead_sees_another_writer_without_asking_changed(
    store: LeadStore, backend: Backend
) -> None:
    lead = store.add_leads([draft(7)], T0)[0].lead
    assert store.touches_by_lead()[lead.id] == ()
    other = backend.open()
    other.log_touch(lead.id, Outcome.NO_ANSWER, T0)
    assert [t.outcome for t in store.touches_by_lead()[lead.id]] == [Outcome.NO_ANSWER]
