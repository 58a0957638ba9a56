"""Reading one archived lead alone: only the archive segment that holds it is read (issue
17), whether it is asked for by id, found by a repeat inquiry's number, or changed by
another process; compaction then rewrites what was read and copies the rest unread."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from test_store_archive import CADENCE, T0, Clock, draft, everything, segments

from leadtui.domain.model import LeadStatus, Outcome
from leadtui.store import archive
from leadtui.store.repository import TinyLeadStore, doctor, open_store

LEADS, CLOSED, PER_SEGMENT = 60, 50, 7


@pytest.fixture(autouse=True)
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "SEGMENT_LEADS", PER_SEGMENT)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


def archived(db_path: Path, clock: Clock) -> list[str]:
    """LEADS leads, the first CLOSED won after two calls; a week later, archived."""
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        with store.batch():
            ids = [r.lead.id for r in store.add_leads([draft(n) for n in range(LEADS)], T0)]
            for n, lead_id in enumerate(ids):
                store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=1))
                if n < CLOSED:
                    store.log_touch(lead_id, Outcome.VM_HANGUP, T0 + timedelta(minutes=5))
                    store.log_touch(lead_id, Outcome.WON, T0 + timedelta(minutes=40))
    clock.at = T0 + timedelta(days=8)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
    return ids


def read_segments(store: TinyLeadStore) -> int:
    unread = store._storage._unread
    assert unread is not None, "the whole archive was read"
    return len(unread.loaded)


def test_the_archive_is_written_in_small_segments(db_path: Path, clock: Clock) -> None:
    archived(db_path, clock)
    assert segments(db_path) == -(-CLOSED // PER_SEGMENT)
    assert doctor(db_path)[-1].startswith("ok:")


def test_an_archived_lead_is_read_from_its_segment_alone(db_path: Path, clock: Clock) -> None:
    ids = archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = everything(store)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        lead = store.get_lead(ids[23])
        assert read_segments(store) == 1
        assert lead == before[0][ids[23]] and lead.status is LeadStatus.WON
        assert tuple(store.touches(ids[23])) == before[1][ids[23]]
        assert store.touches_of([ids[3], ids[23]]) == {
            ids[3]: list(before[1][ids[3]]),
            ids[23]: list(before[1][ids[23]]),
        }
        assert read_segments(store) == 2
        assert store.lead_count() == LEADS
        assert everything(store) == before  # and everything is still there


def test_a_repeat_inquiry_reads_one_segment_and_compaction_keeps_everything(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        leads_before, touches_before = everything(store)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        [again] = store.add_leads([draft(31, received=clock.at)], clock.at)
        assert not again.created and again.lead.id == ids[31]
        assert read_segments(store) == 1
        assert store.lead_count() == LEADS
        store.compact()  # the segment read is rewritten, the others copied unread
        assert store.lead_count() == LEADS
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        leads, touches = everything(store)
        assert store.lead_count() == LEADS
    assert touches == touches_before
    assert leads[ids[31]].inquiries == (clock.at,)
    assert {k: v for k, v in leads.items() if k != ids[31]} == {
        k: v for k, v in leads_before.items() if k != ids[31]
    }
    assert doctor(db_path)[-1].startswith("ok:")


def test_another_process_changing_an_archived_lead_reads_one_segment_here(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock)
    reader = open_store(db_path, cadence=CADENCE, clock=clock)
    writer = open_store(db_path, cadence=CADENCE, clock=clock)
    try:
        writer.add_leads([draft(12, received=clock.at)], clock.at)
        writer.undo_last_touch(ids[40])  # reopened: back on the queue
        assert ids[40] in {lead.id for lead in reader.active_leads()}
        assert read_segments(reader) == 2
        assert reader.get_lead(ids[12]).inquiries == (clock.at,)
        assert reader.lead_count() == LEADS
        assert everything(reader) == everything(writer)
    finally:
        reader.close()
        writer.close()
    # a process opening later replays the journal the same way
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert read_segments(store) == 2
        assert [t.outcome for t in store.touches(ids[40])] == [
            Outcome.NO_ANSWER,
            Outcome.VM_HANGUP,
        ]
        assert store.lead_count() == LEADS


def test_reading_every_segment_one_by_one_ends_with_the_whole_archive(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        for lead_id in ids[:CLOSED]:
            store.get_lead(lead_id)
        assert store._storage.archive_loaded
        assert store.lead_count() == LEADS
        clock.at += timedelta(days=8)
        store.compact()
    assert segments(db_path) == -(-CLOSED // PER_SEGMENT)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert store.lead_count() == LEADS
        assert len(store.leads()) == LEADS


def streamed(store: TinyLeadStore) -> dict[str, tuple]:
    pairs = list(store.leads_with_touches())
    assert len({lead.id for lead, _ in pairs}) == len(pairs)  # each lead once
    return {lead.id: (lead, tuple(touches)) for lead, touches in pairs}


def test_leads_with_touches_streams_the_archive_without_reading_it_in(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        leads, touches = everything(store)
        whole = {lead_id: (lead, touches[lead_id]) for lead_id, lead in leads.items()}
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert streamed(store) == whole
        assert read_segments(store) == 0  # nothing of the archive was kept
        store.add_leads([draft(8, received=clock.at)], clock.at)  # one segment in memory
        store.log_touch(ids[55], Outcome.TALKED, clock.at)
        got = streamed(store)
        assert read_segments(store) == 1
        assert got == streamed(store)
        assert got[ids[8]][0].inquiries == (clock.at,)
        assert got[ids[55]][1][-1].outcome is Outcome.TALKED
        assert {k: v for k, v in got.items() if k not in (ids[8], ids[55])} == {
            k: v for k, v in whole.items() if k not in (ids[8], ids[55])
        }


def test_the_report_streamed_from_the_store_equals_the_report_from_every_lead(
    db_path: Path, clock: Clock
) -> None:
    from leadtui.io.report import build_report

    archived(db_path, clock)

    class Whole:  # the report's minimal source: every lead and every lead's touches
        def __init__(self, store: TinyLeadStore) -> None:
            self.leads, self.touches_by_lead, self.blitzes = (
                store.leads,
                store.touches_by_lead,
                store.blitzes,
            )

    for scope in ({}, {"source": "WEB"}, {"since": T0 + timedelta(minutes=1)}):
        with open_store(db_path, cadence=CADENCE, clock=clock) as store:
            streamed_report = build_report(
                store, now=clock.at, threshold=timedelta(minutes=5), **scope
            )
            assert read_segments(store) == 0
            whole_report = build_report(
                Whole(store), now=clock.at, threshold=timedelta(minutes=5), **scope
            )
        assert streamed_report == whole_report
