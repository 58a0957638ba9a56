"""Touches come back oldest first after a reopen, whatever order they were logged in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, Outcome
from leadtui.store.repository import open_store

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_backdated_touches_are_in_time_order_after_reopen_and_compaction(tmp_path: Path) -> None:
    db = tmp_path / "leads.json"
    cadence = load_cadence()
    store = open_store(db, cadence=cadence)
    drafts = [
        LeadDraft(f"Lead {n}", f"+1212555{n:04d}", "", "web", "America/New_York", T0)
        for n in range(3)
    ]
    a, b, c = (result.lead.id for result in store.add_leads(drafts, T0))
    offsets = {a: [50, 10, 30], b: [5, 6, 7], c: [90, 80, 70]}  # minutes after T0
    for lead_id, minutes in offsets.items():
        for m in minutes:
            store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=m))
    store.close()

    for compact in (False, True):
        store = open_store(db, cadence=cadence)
        try:
            for lead_id, minutes in offsets.items():
                got = [t.at for t in store.touches(lead_id)]
                assert got == [T0 + timedelta(minutes=m) for m in sorted(minutes)]
                assert [t.at for t in store.touches_by_lead()[lead_id]] == got
            if compact:
                break
            store.compact()  # the next open reads the snapshot, not the journal
        finally:
            store.close()


def test_active_leads_are_the_leads_with_an_active_status(tmp_path: Path) -> None:
    store = open_store(tmp_path / "leads.json", cadence=load_cadence())
    try:
        drafts = [
            LeadDraft(f"Lead {n}", f"+1212555{n:04d}", "", "web", "America/New_York", T0)
            for n in range(4)
        ]
        ids = [result.lead.id for result in store.add_leads(drafts, T0)]
        store.log_touch(ids[1], Outcome.WON, T0)
        store.log_touch(ids[2], Outcome.NO_ANSWER, T0)
        store.log_touch(ids[3], Outcome.DNC, T0)
        active = store.active_leads()
        assert [lead.id for lead in active] == [ids[0], ids[2]]
        assert active == [lead for lead in store.leads() if lead.status.active]
    finally:
        store.close()


def test_touches_of_matches_touches_per_lead(tmp_path: Path) -> None:
    store = open_store(tmp_path / "leads.json", cadence=load_cadence())
    try:
        drafts = [
            LeadDraft(f"Lead {n}", f"+1212555{n:04d}", "", "web", "America/New_York", T0)
            for n in range(3)
        ]
        ids = [result.lead.id for result in store.add_leads(drafts, T0)]
        store.log_touch(ids[0], Outcome.NO_ANSWER, T0 + timedelta(minutes=9))
        store.log_touch(ids[0], Outcome.VM_HANGUP, T0 + timedelta(minutes=2))
        store.log_touch(ids[2], Outcome.TALKED, T0)
        got = store.touches_of([ids[0], ids[1], ids[2], "nosuchid"])
        assert got == {
            ids[0]: store.touches(ids[0]),
            ids[1]: [],
            ids[2]: store.touches(ids[2]),
            "nosuchid": [],
        }
        assert [t.outcome for t in got[ids[0]]] == [Outcome.VM_HANGUP, Outcome.NO_ANSWER]
    finally:
        store.close()
