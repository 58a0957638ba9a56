"""Store contract (both backends): undo by touch id, and the due queue's first screen.

`due_queue` must give the same leads, in the same order, as ranking every active lead the
usual way (domain.queue.rank): PostgreSQL answers from the next action stored on each lead
row, so this checks that every write keeps that stored action right.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from store_backends import CADENCE, Backend

from leadtui.domain.model import LeadDraft, LeadError, LeadStatus, Outcome
from leadtui.domain.queue import rank
from leadtui.domain.window import CallingWindow

T0 = datetime(2025, 9, 16, 15, 30, tzinfo=UTC)  # a Tuesday, mid-afternoon in Chicago
WINDOW = CallingWindow()


def draft(n: int, **changes) -> LeadDraft:
    values = dict(
        name=f"Caller {n}",
        phone=f"+1312555{n:04d}",
        email=f"caller{n}@example.org",
        source="form",
        timezone="America/Chicago",
        received_at=T0 - timedelta(minutes=7 * n),
    )
    values.update(changes)
    return LeadDraft(**values)


@pytest.fixture
def store(backend: Backend):
    return backend.open()


def test_undo_touch_removes_exactly_the_last_one(store) -> None:
    lead = store.add_leads([draft(1)], T0)[0].lead
    first = store.log_touch(lead.id, Outcome.NO_ANSWER, T0)
    second = store.log_touch(lead.id, Outcome.NOT_INTERESTED, T0 + timedelta(minutes=2))
    with pytest.raises(LeadError, match="no longer the lead's last"):
        store.undo_touch(lead.id, first.id)
    with pytest.raises(LeadError, match="no longer on this lead"):
        store.undo_touch(lead.id, "zzzzzzzz")
    assert store.undo_touch(lead.id, second.id) == second
    assert store.touches(lead.id) == [first]
    assert store.get_lead(lead.id).status is LeadStatus.WORKING
    with pytest.raises(LeadError):
        store.undo_touch(lead.id, second.id)  # already gone: never removes another
    assert store.undo_touch(lead.id, first.id) == first
    assert store.get_lead(lead.id).status is LeadStatus.NEW


def test_undo_touch_of_a_dnc_unlists_the_number(store) -> None:
    lead = store.add_leads([draft(2)], T0)[0].lead
    touch = store.log_touch(lead.id, Outcome.DNC, T0)
    assert store.is_dnc(lead.phone)
    store.undo_touch(lead.id, touch.id)
    assert not store.is_dnc(lead.phone)
    assert store.get_lead(lead.id).status is LeadStatus.NEW


def _ranked(store, now: datetime) -> list[str]:
    active = store.active_leads()
    entries = rank(active, store.touches_of(a.id for a in active), now, CADENCE, WINDOW,
                   timedelta(minutes=5))  # fmt: skip
    return [entry.lead.id for entry in entries]


def test_due_queue_matches_the_ranked_queue_through_every_kind_of_change(
    store, backend: Backend
) -> None:
    leads = [r.lead for r in store.add_leads([draft(n) for n in range(1, 13)], T0)]
    store.log_touch(leads[9].id, Outcome.NO_ANSWER, T0 - timedelta(minutes=60))
    eastern = store.add_leads([draft(40, timezone="Asia/Tokyo")], T0)[0].lead  # night there
    store.log_touch(leads[0].id, Outcome.NO_ANSWER, T0 - timedelta(hours=3))
    store.log_touch(leads[1].id, Outcome.CALLBACK, T0 - timedelta(hours=2),
                    when=T0 - timedelta(minutes=20))  # fmt: skip
    store.log_touch(leads[2].id, Outcome.WON, T0 - timedelta(hours=1))
    store.log_touch(leads[3].id, Outcome.DNC, T0 - timedelta(hours=1))
    store.log_touch(leads[4].id, Outcome.TALKED, T0 - timedelta(days=3))
    store.log_touch(leads[5].id, Outcome.VM_MESSAGE, T0 - timedelta(days=2))
    store.log_touch(leads[6].id, Outcome.APPOINTMENT, T0 - timedelta(hours=5),
                    when=T0 + timedelta(days=1))  # fmt: skip
    store.add_leads([draft(8, received_at=T0 - timedelta(seconds=30))], T0)  # a repeat
    store.undo_last_touch(leads[0].id)
    # zone doubt: callable only while every zone it may be in is open (Honolulu: 05:30)
    store.add_leads([draft(41, timezone="America/Chicago",
                           zone_candidates=("America/Chicago", "Pacific/Honolulu"))], T0)
    store.add_leads([draft(42, timezone="America/Chicago",
                           zone_candidates=("America/Chicago", "America/Denver"))], T0)
    # a closed lead that inquires again is reopened and ranks as never called
    store.log_touch(leads[9].id, Outcome.NOT_INTERESTED, T0 - timedelta(minutes=50))
    reopened = store.add_leads([draft(10, received_at=T0 - timedelta(minutes=2))], T0)[0]
    assert reopened.reopened
    now = T0 + timedelta(minutes=1)
    expected = _ranked(store, now)
    assert eastern.id not in expected and leads[2].id not in expected
    assert len(expected) >= 8
    for limit in (1, 3, len(expected), len(expected) + 5):
        got = [lead.id for lead in store.queue_head(now, limit, WINDOW)]
        assert got == expected[:limit], (backend.kind, limit)
    other = backend.open()  # another process's writes keep the stored actions right too
    other.log_touch(leads[7].id, Outcome.NOT_INTERESTED, now)
    other.log_touch(leads[8].id, Outcome.NO_ANSWER, now)
    later = now + timedelta(minutes=1)
    assert [lead.id for lead in store.queue_head(later, 50, WINDOW)] == _ranked(store, later)


def test_take_next_gives_each_rep_a_different_lead(store, backend: Backend) -> None:
    import threading

    store.add_leads([draft(n) for n in range(1, 9)], T0)
    now = T0 + timedelta(minutes=1)
    order = [lead.id for lead in store.queue_head(now, 8, WINDOW)]
    reps = [backend.open() for _ in range(6)]  # six workstations on the same pool
    taken: dict[str, str | None] = {}
    start = threading.Barrier(len(reps))

    def take(n: int) -> None:
        start.wait()
        claim = reps[n].take_next(f"rep{n}", f"s{n}", now, 300, WINDOW)
        taken[f"s{n}"] = claim.lead_id if claim else None

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(reps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = [lead_id for lead_id in taken.values() if lead_id]
    assert len(got) == 6 and len(set(got)) == 6  # nobody shares a lead
    assert set(got) == set(order[:6])  # and they are the top of the queue
    claims = store.claims(now)
    assert {claims[lead_id].session for lead_id in got} == set(taken)
    # a session taking again moves on; the other two free leads go, then nothing is left
    again = reps[0].take_next("rep0", "s0", now, 300, WINDOW)
    assert again is not None and again.lead_id not in got
    assert taken["s0"] not in store.claims(now)  # its previous claim was replaced
    assert reps[1].take_next("rep1", "s6", now, 300, WINDOW).lead_id == taken["s0"]
    assert reps[2].take_next("rep2", "s7", now, 300, WINDOW) is not None
    assert reps[3].take_next("rep3", "s8", now, 300, WINDOW) is None
    later = now + timedelta(seconds=301)  # every claim expired: the top lead is free again
    assert store.take_next("rep9", "s9", later, 300, WINDOW).lead_id == order[0]


def test_an_id_already_taken_is_never_reused(store, backend: Backend, monkeypatch) -> None:
    """Random 8-character ids meet in a big pool (a million touches make a clash likely):
    the store takes another id instead of failing or overwriting."""
    if backend.kind == "postgres":
        import leadtui.store.postgres.store as module
    else:
        import leadtui.store.repository as module
    first = store.add_leads([draft(60)], T0)[0].lead
    touch = store.log_touch(first.id, Outcome.NO_ANSWER, T0)
    ids = iter([first.id, "clash222", touch.id, "fresh333", "fresh444"])
    monkeypatch.setattr(module, "new_id", lambda: next(ids))
    second = store.add_leads([draft(61)], T0)[0].lead
    assert second.id == "clash222" and store.get_lead(first.id).name == "Caller 60"
    again = store.log_touch(first.id, Outcome.VM_HANGUP, T0 + timedelta(minutes=1))
    assert again.id == "fresh333"
    assert [t.id for t in store.touches(first.id)] == [touch.id, "fresh333"]
