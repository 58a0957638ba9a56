"""A compaction skips the archiver's pass when the snapshot's `quiet` time (the earliest
last activity of a closed lead left in the working set) and the changes since say that
nothing can be due yet; it still moves every lead the pass would have moved, as soon as
one can be due."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from test_store_archive import CADENCE, T0, Clock, archived, everything

from leadtui.domain.model import Outcome
from leadtui.store.archive import IDLE, LeadArchiver
from leadtui.store.documents import iso
from leadtui.store.repository import open_store
from leadtui.store.segments import Activity


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the archiver's passes over the working set."""
    counted: list[int] = []
    select = LeadArchiver.select

    def counting(self: LeadArchiver, tree: dict) -> dict:  # type: ignore[type-arg]
        counted.append(1)
        return select(self, tree)

    monkeypatch.setattr(LeadArchiver, "select", counting)
    return counted


def quiet(db_path: Path) -> str | None:
    header = json.loads(db_path.read_bytes().split(b"\n", 1)[0])["_leadtui"]
    return header.get("archive", {}).get("quiet")


def test_select_says_when_the_closed_leads_it_keeps_last_moved() -> None:
    at = T0 + timedelta(days=10)
    archiver = LeadArchiver(lambda: at)
    stamp = lambda days: iso(T0 + timedelta(days=days))  # noqa: E731
    tree = {
        "leads": {
            "1": {"id": "a", "status": "won", "received_at": stamp(0)},  # touched lately
            "2": {"id": "b", "status": "won", "received_at": stamp(9)},  # arrived lately
            "3": {"id": "c", "status": "won", "received_at": stamp(1)},  # idle: moves
            "4": {"id": "d", "status": "new", "received_at": stamp(0)},  # active
        },
        "touches": {
            "1": {"id": "t1", "lead_id": "a", "at": stamp(8.5)},
            "2": {"id": "t2", "lead_id": "a", "at": stamp(1)},
            "3": {"id": "t3", "lead_id": "c", "at": stamp(2)},
        },
    }
    assert archiver.select(tree) == {"leads": ["3"], "touches": ["3"]}
    assert archiver.quiet == stamp(8.5)  # a's last touch, before b's arrival
    del tree["touches"]["1"]
    archiver.select(tree)
    assert archiver.quiet == stamp(9)


def test_activity_lowers_the_bound_and_gives_up_on_what_it_cannot_bound() -> None:
    at = T0 + timedelta(days=10)
    archiver = LeadArchiver(lambda: at)
    activity = Activity(archiver, iso(at - timedelta(hours=1)))
    assert not activity.due()  # the quiet time is after the cutoff (two days ago)
    activity.note(["p", "figures", "1", {"fp": "x", "f": "y"}])
    activity.note(["p", "touches", "9", {"id": "t", "lead_id": "a", "at": iso(at)}])
    assert not activity.due()
    old = iso(at - IDLE - timedelta(minutes=1))  # a touch logged for an earlier time
    activity.note(["p", "touches", "10", {"id": "u", "lead_id": "b", "at": old}])
    assert activity.bound() == old and activity.due()
    for op in (["d", "touches", "9"], ["c", "leads"], ["p", "touches", "11", {"at": "x"}]):
        fresh = Activity(archiver, iso(at))
        fresh.note(op)
        assert fresh.bound() is None and fresh.due()
    assert Activity(archiver, None).due()  # a snapshot that does not say
    assert not Activity(archiver, "").due()  # no closed lead in the working set


def test_compactions_skip_the_pass_until_a_lead_can_be_due(
    db_path: Path, clock: Clock, passes: list[int]
) -> None:
    ids = archived(db_path, clock, leads=50, closed=30)
    assert quiet(db_path) == ""  # every closed lead moved: none left
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        for lead_id in ids[30:40]:
            store.log_touch(lead_id, Outcome.WON, clock.at)
        for lead_id in ids[40:]:
            store.log_touch(lead_id, Outcome.NO_ANSWER, clock.at)
        before = len(passes)
        store.compact()
        assert len(passes) == before  # closed now, but touched now: not due for 2 days
    assert quiet(db_path) == iso(clock.at)
    clock.at += IDLE - timedelta(minutes=5)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = len(passes)
        store.compact()
        assert len(passes) == before
        assert store._storage.archive_count("lead_ids") == 30
    clock.at += timedelta(minutes=10)  # now they can be due: the pass runs and moves them
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        kept = everything(store)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
        assert store._storage.archive_count("lead_ids") == 40
    assert quiet(db_path) == ""
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert everything(store) == kept


def test_an_undone_touch_makes_the_next_compaction_run_the_pass(
    db_path: Path, clock: Clock, passes: list[int]
) -> None:
    ids = archived(db_path, clock, leads=50, closed=30)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.log_touch(ids[45], Outcome.NO_ANSWER, clock.at)
        store.compact()
        before = len(passes)
        store.undo_last_touch(ids[45])
        store.compact()
        assert len(passes) == before + 1


def test_a_lead_read_back_from_the_archive_is_moved_again(
    db_path: Path, clock: Clock, passes: list[int]
) -> None:
    ids = archived(db_path, clock, leads=50, closed=30)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.log_touch(ids[45], Outcome.NO_ANSWER, clock.at)
        store.compact()
        assert store.get_lead(ids[0]) is not None  # its segment is read into memory
        before = len(passes)
        store.compact()
        assert len(passes) == before + 1
        assert store._storage.archive_count("lead_ids") == 30
