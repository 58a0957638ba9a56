"""add_leads_streamed: the same outcome as add_leads, one durable write, all or nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, LeadStatus, Outcome
from leadtui.store import bulk
from leadtui.store.protocol import StoreError
from leadtui.store.repository import open_store

T0 = datetime(2025, 9, 2, 16, 30, tzinfo=UTC)
CADENCE = load_cadence()


def draft(n: int, **changes: object) -> LeadDraft:
    values: dict[str, object] = dict(
        name=f"Vendor Lead {n}",
        phone=f"+4420794600{n:02d}",
        email=f"v{n}@example.org",
        source="expo",
        timezone="Europe/London",
        received_at=T0 - timedelta(hours=n),
    )
    values.update(changes)
    return LeadDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


def snapshot_of(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.suffix != ".lock"}


def test_streamed_equals_add_leads_for_new_repeats_and_stored(db: Path, tmp_path: Path) -> None:
    with open_store(db, cadence=CADENCE) as store:
        stored = store.add_leads([draft(1)], T0)[0].lead
        store.log_touch(stored.id, Outcome.DNC, T0)
        kept = store.add_leads([draft(2)], T0)[0].lead
        # another process adds one more lead after this one last read
        with open_store(db, cadence=CADENCE) as other:
            other.add_leads([draft(3)], T0)
        drafts = [
            draft(4, other_phones=("+442079460099",)),
            draft(1, name="Again By Phone", email=""),  # a stored (dnc) lead
            draft(5, email="v2@example.org"),  # the stored lead 2 by email
            draft(6),
            draft(7, email="V6@example.org"),  # lead 6 of this import, by email (any case)
            draft(6, name="Six Again", received_at=T0 - timedelta(minutes=5)),
            draft(3),  # stored by the other process
        ]
        counts = store.add_leads_streamed(iter(drafts), T0)
        assert (counts.created, counts.duplicates) == (2, 5)
        by_phone = {lead.phone: lead for lead in store.leads()}
    assert len(by_phone) == 5
    assert by_phone[draft(4).phone].other_phones == ("+442079460099",)
    six = by_phone[draft(6).phone]
    assert six.inquiries == (T0 - timedelta(hours=7), T0 - timedelta(minutes=5))
    assert six.other_phones == (draft(7).phone,)
    assert len(by_phone[draft(1).phone].inquiries) == 1
    assert by_phone[draft(1).phone].status is LeadStatus.DNC
    assert by_phone[kept.phone].inquiries == (T0 - timedelta(hours=5),)
    assert len(by_phone[draft(3).phone].inquiries) == 1
    with open_store(db, cadence=CADENCE) as again:  # a fresh process reads the same
        assert {lead.phone: lead for lead in again.leads()} == by_phone
        ids = [lead.id for lead in again.leads()]
        assert len(set(ids)) == len(ids)


def test_a_stored_number_on_the_dnc_list_arrives_dnc(db: Path) -> None:
    with open_store(db, cadence=CADENCE) as store:
        lead = store.add_leads([draft(1)], T0)[0].lead
        store.log_touch(lead.id, Outcome.DNC, T0)
        counts = store.add_leads_streamed(iter([draft(1, email="new@example.org")]), T0)
    assert (counts.created, counts.duplicates) == (0, 1)


def test_one_durable_write_and_nothing_on_failure(db: Path, monkeypatch) -> None:
    with open_store(db, cadence=CADENCE) as store:
        store.add_leads([draft(1)], T0)
        before = snapshot_of(db)

        def failing() -> Iterator[LeadDraft]:
            yield draft(2)
            yield draft(1, name="repeat")  # an inquiry on the stored lead: undone too
            raise OSError(28, "No space left on device")

        with pytest.raises(OSError):
            store.add_leads_streamed(failing(), T0)
        assert snapshot_of(db) == before

        members = bulk._members

        def members_then_fail(*args: object) -> Iterator[bytes]:
            yield from members(*args)  # type: ignore[arg-type]
            raise OSError(28, "No space left on device")  # the disk fills up mid-snapshot

        monkeypatch.setattr(bulk, "_members", members_then_fail)
        with pytest.raises(StoreError, match="nothing was saved"):
            store.add_leads_streamed(iter([draft(3), draft(1, name="again")]), T0)
        assert snapshot_of(db) == before
        assert [lead.phone for lead in store.leads()] == [draft(1).phone]
        assert store.leads()[0].inquiries == ()
    leftovers = [p.name for p in db.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == []


def test_dry_run_counts_and_writes_nothing(db: Path) -> None:
    with open_store(db, cadence=CADENCE) as store:
        store.add_leads([draft(1)], T0)
        before = snapshot_of(db)
        counts = store.add_leads_streamed(
            iter([draft(1), draft(2), draft(2, name="x")]), T0, dry_run=True
        )
        assert (counts.created, counts.duplicates) == (1, 2)
        assert snapshot_of(db) == before


def test_many_leads_get_distinct_ids_and_leave_no_spool(db: Path) -> None:
    n = 3000
    drafts = (
        draft(0, phone=f"+1312555{i:04d}", email=f"p{i}@example.net", name=f"P {i}")
        for i in range(n)
    )
    with open_store(db, cadence=CADENCE) as store:
        assert store.add_leads_streamed(drafts, T0).created == n
        leads = store.leads()
    assert len({lead.id for lead in leads}) == n
    assert all(len(lead.id) == 8 and lead.id.isalnum() for lead in leads)
    assert sorted(os.listdir(db.parent)) == ["leads.json", "leads.json.bak", "leads.json.lock"]


def test_streamed_contract_on_both_backends(backend) -> None:
    """The same outcome as add_leads, all or nothing, dry run writes nothing: TinyDB and
    PostgreSQL alike (tests/store_backends.py)."""
    store = backend.open()
    stored = store.add_leads([draft(1)], T0)[0].lead
    store.log_touch(stored.id, Outcome.DNC, T0)
    backend.open().add_leads([draft(3)], T0)  # another process
    drafts = [draft(4, other_phones=("+442079460099",)), draft(1, name="Again", email=""),
              draft(6), draft(7, email="V6@example.org"), draft(3)]  # fmt: skip
    dry = store.add_leads_streamed(iter(drafts), T0, dry_run=True)
    assert (dry.created, dry.duplicates) == (2, 3) and store.lead_count() == 2

    def failing() -> Iterator[LeadDraft]:
        yield draft(8)
        yield draft(1, name="repeat")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        store.add_leads_streamed(failing(), T0)
    assert store.lead_count() == 2 and store.get_lead(stored.id).inquiries == ()
    counts = store.add_leads_streamed(iter(drafts), T0)
    assert (counts.created, counts.duplicates) == (2, 3)
    by_phone = {lead.phone: lead for lead in backend.open().leads()}
    assert len(by_phone) == 4
    assert by_phone[draft(4).phone].other_phones == ("+442079460099",)
    assert by_phone[draft(6).phone].other_phones == (draft(7).phone,)
    assert by_phone[draft(1).phone].status is LeadStatus.DNC
