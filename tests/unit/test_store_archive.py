"""The archive: closed leads idle for two days leave the working set at compaction, stay on
disk in archive files beside the snapshot, and come back whenever anything asks for them."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, LeadStatus, Outcome
from leadtui.store import repository
from leadtui.store.archive import IDLE, LEAD_IDS, LeadArchiver
from leadtui.store.files import StoreDamaged, parse_snapshot
from leadtui.store.repository import TinyLeadStore, doctor, open_store

CADENCE = load_cadence()
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def __call__(self) -> datetime:
        return self.at


def draft(n: int, received: datetime = T0) -> LeadDraft:
    return LeadDraft(
        name=f"Lead {n}",
        phone=f"+1212555{n:04d}",
        email=f"lead{n}@example.com",
        source="web",
        timezone="America/New_York",
        received_at=received,
    )


def everything(store: TinyLeadStore) -> tuple[dict, dict]:
    """Every lead and every lead's touches, as comparable values."""
    leads = {lead.id: lead for lead in store.leads()}
    touches = {lead_id: tuple(t) for lead_id, t in store.touches_by_lead().items()}
    return leads, touches


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


def build(db_path: Path, clock: Clock, *, leads: int = 40, closed: int = 30) -> list[str]:
    """`leads` leads, the first `closed` of them won after a call; returns their ids."""
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        with store.batch():
            ids = [r.lead.id for r in store.add_leads([draft(n) for n in range(leads)], T0)]
            for n, lead_id in enumerate(ids):
                store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=1))
                if n < closed:
                    store.log_touch(lead_id, Outcome.WON, T0 + timedelta(minutes=40))
    return ids


def archived(db_path: Path, clock: Clock, **counts: int) -> list[str]:
    """`build`, then a week later a compaction moves the closed leads to the archive."""
    ids = build(db_path, clock, **counts)
    clock.at = T0 + timedelta(days=8)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
    return ids


def working_set_bytes(db_path: Path) -> int:
    """Where the archive segments start: the first line, and in format 3 its parts."""
    first = db_path.read_bytes().split(b"\n", 1)[0]
    parts = json.loads(first)["_leadtui"].get("parts", [])
    return len(first) + 1 + sum(length + 1 for _, length, _ in parts)


def archive_files(db_path: Path) -> list[Path]:
    """The archive files beside the snapshot (format 4), sorted by name."""
    return sorted(db_path.parent.glob(db_path.name + ".archive-*"))


def named_files(db_path: Path) -> list[str]:
    """The archive files the snapshot's header names."""
    header = json.loads(db_path.read_bytes().split(b"\n", 1)[0])["_leadtui"]
    return list(header.get("archive", {}).get("files", []))


def segments(db_path: Path) -> int:
    header = json.loads(db_path.read_bytes().split(b"\n", 1)[0])["_leadtui"]
    return len(header.get("archive", {}).get("segments", []))


def test_closed_leads_stay_in_the_working_set_while_recent(db_path: Path, clock: Clock) -> None:
    build(db_path, clock)
    clock.at = T0 + timedelta(minutes=40) + IDLE - timedelta(minutes=1)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
    assert segments(db_path) == 0
    assert b"\n" not in db_path.read_bytes()  # format 1: one line, as older versions wrote


def test_compaction_archives_idle_closed_leads_and_reopening_reads_only_the_rest(
    db_path: Path, clock: Clock
) -> None:
    ids = build(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = everything(store)
    clock.at = T0 + timedelta(days=8)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
    assert segments(db_path) == 1

    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        storage = store._storage
        assert not storage.archive_loaded
        assert {lead.id for lead in store.active_leads()} == set(ids[30:])
        assert store.lead_count() == 40
        assert len(storage.table("leads")) == 10  # only the working set is in memory
        assert not storage.archive_loaded
        assert everything(store) == before  # reading every lead brings the archive in
        assert storage.archive_loaded

    tree, _, _ = parse_snapshot(db_path, db_path.read_bytes())  # the whole file, as doctor reads it
    assert len(tree["leads"]) == 40 and len(tree["touches"]) == 70
    assert doctor(db_path)[-1].startswith("ok:")


def test_an_archived_lead_is_found_by_id_phone_and_email(db_path: Path, clock: Clock) -> None:
    ids = archived(db_path, clock)

    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        lead = store.get_lead(ids[3])
        assert lead.status is LeadStatus.WON and lead.name == "Lead 3"
        assert [t.outcome for t in store.touches(ids[3])] == [Outcome.NO_ANSWER, Outcome.WON]

    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        again = store.add_leads([draft(5, received=clock.at)], clock.at)  # same phone
        assert not again[0].created and again[0].lead.id == ids[5]
        assert again[0].lead.inquiries == (clock.at,)
        by_email = replace(draft(6, received=clock.at), phone="+12125559999")
        assert store.add_leads([by_email], clock.at)[0].lead.id == ids[6]
        assert store.lead_count() == 40

    # The new inquiries make those two leads recent again: the next compaction keeps them.
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        hot = {doc["id"] for doc in store._storage.table("leads").values()}
        assert {ids[5], ids[6]} <= hot and ids[3] not in hot


def test_undo_on_an_archived_lead_reopens_it(db_path: Path, clock: Clock) -> None:
    ids = archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        undone = store.undo_last_touch(ids[0])
        assert undone is not None and undone.outcome is Outcome.WON
        assert ids[0] in {lead.id for lead in store.active_leads()}
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert store.get_lead(ids[0]).status is LeadStatus.WORKING
        assert len(store.touches(ids[0])) == 1


def test_another_process_changing_an_archived_lead_is_caught_up(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock)
    reader = open_store(db_path, cadence=CADENCE, clock=clock)
    writer = open_store(db_path, cadence=CADENCE, clock=clock)
    try:
        assert not reader._storage.archive_loaded
        writer.add_note(ids[2], "asked about the premium plan", clock.at)
        writer.undo_last_touch(ids[4])
        # The reader never asked for the archive, but the journal changes archived
        # documents: catching up reads it first, so nothing is lost or doubled.
        assert ids[4] in {lead.id for lead in reader.active_leads()}
        assert "premium plan" in reader.get_lead(ids[2]).notes
        assert everything(reader) == everything(writer)
        assert reader.lead_count() == 40
    finally:
        reader.close()
        writer.close()


def test_new_segments_are_appended_and_old_ones_copied_unread(db_path: Path, clock: Clock) -> None:
    ids = archived(db_path, clock, leads=40, closed=20)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        for lead_id in ids[20:30]:
            store.log_touch(lead_id, Outcome.NOT_INTERESTED, clock.at)
        before = everything(store)  # (this reads the archive: reopen for the next step)
    clock.at += timedelta(days=8)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
        assert not store._storage.archive_loaded  # the first segment was copied as bytes
        assert len(store._storage.table("leads")) == 10
    assert segments(db_path) == 2
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert everything(store) == before
        assert store.lead_count() == 40


def test_compaction_with_the_archive_in_memory_writes_one_segment(
    db_path: Path, clock: Clock
) -> None:
    ids = build(db_path, clock, leads=40, closed=20)
    clock.at = T0 + timedelta(days=8)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
        for lead_id in ids[20:30]:
            store.log_touch(lead_id, Outcome.NOT_INTERESTED, clock.at)
    clock.at += timedelta(days=8)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = everything(store)
        store.compact()
        assert len(store._storage.table("leads")) == 10  # the archived leads left memory
        assert everything(store) == before
    assert segments(db_path) == 1


def test_an_old_one_line_database_is_archived_at_the_first_write(
    db_path: Path, clock: Clock
) -> None:
    ids = build(db_path, clock, leads=400, closed=300)  # written before the archive was due
    assert segments(db_path) == 0
    clock.at = T0 + timedelta(days=30)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.log_touch(ids[-1], Outcome.NO_ANSWER, clock.at)
    assert segments(db_path) == 1
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert len(store._storage.table("leads")) == 100
        assert store.lead_count() == 400


def test_new_ids_avoid_archived_ones(
    db_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        archived_touch = store._storage._unread.info.lookups["touch_ids"].split("\n")[1]
        offered = iter([ids[0], "newlead1", archived_touch, "newtouch"])
        monkeypatch.setattr(repository, "new_id", lambda: next(offered))
        lead = store.add_leads([draft(99)], clock.at)[0].lead
        touch = store.log_touch(lead.id, Outcome.NO_ANSWER, clock.at)
        assert (lead.id, touch.id) == ("newlead1", "newtouch")
        assert not store._storage.archive_loaded


@pytest.mark.parametrize("damage", ["flip", "truncate", "append"])
def test_a_damaged_archive_is_reported_with_the_file_and_nothing_is_changed(
    db_path: Path, clock: Clock, damage: str
) -> None:
    ids = archived(db_path, clock)
    (name,) = named_files(db_path)
    damaged_file = db_path if damage == "append" else db_path.with_name(name)
    data = bytearray(damaged_file.read_bytes())
    if damage == "flip":  # inside the segment: the snapshot and the lookups still read
        length, _, _, offset = json.loads(db_path.read_bytes().split(b"\n", 1)[0])[
            "_leadtui"
        ]["archive"]["segments"][0]
        data[offset + length // 2] ^= 0x01
    elif damage == "truncate":
        del data[-5:]
    else:
        data += b"{}\n"
    damaged_file.write_bytes(bytes(data))

    with pytest.raises(StoreDamaged) as caught:
        with open_store(db_path, cadence=CADENCE, clock=clock) as store:
            store.get_lead(ids[0])  # an archived lead: needs the segment
    assert str(damaged_file) in str(caught.value) and "doctor" in str(caught.value)
    assert damaged_file.read_bytes() == bytes(data)
    report = doctor(db_path)
    assert any(line.startswith("problem:") for line in report)


def test_lookups_are_exact_values_not_substrings() -> None:
    archiver = LeadArchiver(lambda: T0)
    docs = {"leads": {"1": {"id": "abcdefgh", "phone": "+12125550001", "email": "A@x.io"}}}
    from leadtui.store.files import ArchiveInfo

    info = ArchiveInfo.of(b"{}", docs, archiver.lookups(docs))
    assert info.holds(LEAD_IDS, "abcdefgh")
    assert not info.holds(LEAD_IDS, "abcdefg") and not info.holds(LEAD_IDS, "bcdefgh")
    assert not info.holds(LEAD_IDS, "abcdefgh\nx")
    assert info.holds("emails", "a@x.io") and info.holds("phones", "+12125550001")


def test_random_work_with_compactions_matches_a_store_that_never_archives(
    tmp_path: Path,
) -> None:
    """Two processes, random outcomes, undos, duplicates and notes over weeks, compactions
    at random: every lead and touch matches a store that keeps everything in one line."""
    rng = random.Random(7)
    clock = Clock(T0)
    path, plain = tmp_path / "a" / "leads.json", tmp_path / "b" / "leads.json"
    one = open_store(path, cadence=CADENCE, clock=clock)
    two = open_store(path, cadence=CADENCE, clock=clock)
    ref = open_store(plain, cadence=CADENCE, clock=lambda: T0 - timedelta(days=3650))
    try:
        pairs: list[tuple[str, str]] = []  # (id in the archiving store, id in ref)
        for step in range(400):
            clock.at += timedelta(hours=rng.choice([1, 5, 30]))
            store = rng.choice([one, two])
            roll = rng.random()
            if roll < 0.15 or not pairs:
                n = rng.randrange(60)
                got = store.add_leads([draft(n, received=clock.at)], clock.at)[0]
                mirror = ref.add_leads([draft(n, received=clock.at)], clock.at)[0]
                assert got.created is mirror.created
                if got.created:
                    pairs.append((got.lead.id, mirror.lead.id))
                continue
            lead_id, ref_id = rng.choice(pairs)
            lead = ref.get_lead(ref_id)
            if roll < 0.25:
                undone, expected = store.undo_last_touch(lead_id), ref.undo_last_touch(ref_id)
                assert (undone and undone.outcome) == (expected and expected.outcome)
            elif roll < 0.3:
                store.add_note(lead_id, f"note {step}", clock.at)
                ref.add_note(ref_id, f"note {step}", clock.at)
            elif lead.status.active:
                outcome = rng.choice([Outcome.NO_ANSWER, Outcome.WON, Outcome.NOT_INTERESTED])
                store.log_touch(lead_id, outcome, clock.at)
                ref.log_touch(ref_id, outcome, clock.at)
            if rng.random() < 0.1:
                rng.choice([one, two]).compact()
        assert segments(path) >= 1
        fresh = open_store(path, cadence=CADENCE, clock=clock)
        try:
            want = _comparable(ref)
            for store in (one, two, fresh):
                assert _comparable(store) == want
        finally:
            fresh.close()
    finally:
        one.close()
        two.close()
        ref.close()


def _comparable(store: TinyLeadStore) -> dict:
    """Leads by phone with their status, notes, inquiries and touch outcomes (the two
    stores draw different random ids)."""
    leads, touches = everything(store)
    return {
        lead.phone: (
            lead.status,
            [line.split("] ", 1)[-1] for line in lead.notes.splitlines()],
            lead.inquiries,
            [(t.outcome, t.at) for t in touches.get(lead_id, ())],
        )
        for lead_id, lead in leads.items()
    }


def test_lookups_answer_like_a_set() -> None:
    from leadtui.store.files import ArchiveInfo

    rng = random.Random(3)
    words = ["".join(rng.choice("ab+1@.") for _ in range(rng.randrange(1, 6))) for _ in range(300)]
    first, second = words[:150], words[150:]
    info = ArchiveInfo.of(b"{}", {}, {"w": first}).plus(ArchiveInfo.of(b"{}", {}, {"w": second}))
    probes = words + ["".join(rng.choice("ab+1@.z") for _ in range(4)) for _ in range(300)]
    for probe in probes:
        assert info.holds("w", probe) is (probe in set(words)), probe
    assert not ArchiveInfo.of(b"{}", {}, {"w": []}).holds("w", "a")
    assert not info.holds("missing", "a")


def test_doctor_says_how_much_is_in_the_archive(db_path: Path, clock: Clock) -> None:
    archived(db_path, clock)
    ok, listed = [line for line in doctor(db_path) if line.startswith("ok:")]
    (name,) = named_files(db_path)
    assert listed == f"ok: archive file {name} ({db_path.with_name(name).stat().st_size} bytes)"
    assert "40 leads, 70 touches" in ok
    assert "(30 of the leads in the archive, in 1 segment; up to record" in ok


def test_the_journal_is_folded_in_at_an_eighth_of_the_working_set_not_of_the_file(
    db_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening replays the journal beside parsing the first line: a big archive must not
    let the journal grow with it."""
    from leadtui.store import storage

    ids = archived(db_path, clock, leads=200, closed=190)
    monkeypatch.setattr(storage, "MIN_COMPACT_BYTES", 1)
    head = working_set_bytes(db_path)
    size = db_path.stat().st_size + sum(p.stat().st_size for p in archive_files(db_path))
    assert size // storage.COMPACT_RATIO > 2 * (head // storage.COMPACT_RATIO)
    journal = db_path.with_name("leads.json.journal")
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        grown = record = 0
        for n in range(400):
            store.log_touch(ids[190 + n % 10], Outcome.NO_ANSWER, clock.at)
            now_size = journal.stat().st_size if journal.exists() else 0
            if now_size < grown:
                break  # rotated: compacted
            grown, record = now_size, max(record, now_size - grown)
        else:
            pytest.fail("the journal was never folded in")
    # the write that took the journal past the limit folded it in at once: the last size
    # seen is within one record (a few hundred bytes) under an eighth of the working set
    limit = head // storage.COMPACT_RATIO
    assert 200 < record < 1000
    assert grown <= limit < grown + record < size // storage.COMPACT_RATIO
