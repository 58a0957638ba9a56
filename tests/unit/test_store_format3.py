"""Snapshot format 3 (store/parts.py): the working set one line per table, parsed when
first used; untouched tables copied byte for byte by a compaction; format 1 and 2 files
still open and are migrated by the next compaction; compactions in a thread of their own
(`compact_later`) never inside the write that made them due."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from test_next_cache import CADENCE, START, WINDOWS, check, step

from leadtui.domain.model import LeadDraft, Outcome
from leadtui.store import files, next_cache, snapshot_write
from leadtui.store.files import StoreDamaged, parse_snapshot
from leadtui.store.index import LEADS, TOUCHES
from leadtui.store.journal_reader import COMPACT_ENV
from leadtui.store.repository import open_store
from leadtui.store.snapshot_write import compact_files


def header(path: Path) -> dict[str, object]:
    return json.loads(path.read_bytes().split(b"\n", 1)[0])["_leadtui"]  # type: ignore[no-any-return]


def lines(path: Path) -> dict[str, bytes]:
    """Each part's line, by name."""
    data = path.read_bytes()
    first = data.split(b"\n", 1)[0]
    found, offset = {}, len(first) + 1
    for name, length, _ in header(path)["parts"]:  # type: ignore[attr-defined]
        found[name] = data[offset : offset + length]
        offset += length + 1
    return found


def fill(path: Path, count: int = 30) -> list[str]:
    drafts = [
        LeadDraft(
            name=f"Format Three {n}",
            phone=f"+1415555{100 + n:04d}",
            email="",
            source="f3",
            timezone="America/Chicago",
            received_at=START - timedelta(hours=n),
        )
        for n in range(count)
    ]
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        ids = [result.lead.id for result in store.add_leads(drafts, START)]
        for n, lead_id in enumerate(ids[:10]):
            store.log_touch(lead_id, Outcome.NO_ANSWER, START + timedelta(minutes=n))
        store.compact()
    return ids


@pytest.fixture
def always3(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write format 3 at any size (small snapshots are format 1 otherwise)."""
    monkeypatch.setattr(snapshot_write, "SMALL_SNAPSHOT", 0)


def test_opening_parses_only_the_tables_a_read_uses(tmp_path: Path, always3: None) -> None:
    path = tmp_path / "leads.json"
    ids = fill(path)
    assert header(path)["format"] == 3
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        tree = store._storage._tree
        assert not tree.loaded(next_cache.NEXT)  # the due index: not needed to open
        assert store.get_lead(ids[3]).name == "Format Three 3"
        assert not tree.loaded(next_cache.NEXT)
        queued = store.due_queue(START, WINDOWS[0])
        assert tree.loaded(next_cache.NEXT)
        assert {q.lead.id for q in queued} == set(ids)


def test_a_compaction_copies_untouched_tables_byte_for_byte(tmp_path: Path, always3: None) -> None:
    path = tmp_path / "leads.json"
    ids = fill(path)
    before = lines(path)
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        store.add_note(ids[0], "a note changes the lead, nothing else", START)
        store.compact()
    after = lines(path)
    assert after[TOUCHES] == before[TOUCHES] and after[next_cache.NEXT] == before[next_cache.NEXT]
    assert after[LEADS] != before[LEADS]
    tree, _, _ = parse_snapshot(path, path.read_bytes())
    assert "a note changes the lead" in json.dumps(dict(tree.items())[LEADS])


def test_a_damaged_part_is_refused_at_open(tmp_path: Path, always3: None) -> None:
    path = tmp_path / "leads.json"
    fill(path)
    data = bytearray(path.read_bytes())
    at = data.index(b"Format Three 7")
    data[at] = ord("f")  # same length, valid JSON, wrong checksum
    path.write_bytes(bytes(data))
    with pytest.raises(StoreDamaged, match="checksum"):
        open_store(path, cadence=CADENCE)


def test_a_format_2_file_opens_and_the_next_compaction_migrates_it(
    tmp_path: Path, always3: None
) -> None:
    path = tmp_path / "leads.json"
    ids = fill(path)
    tree, seq, archive = parse_snapshot(path, path.read_bytes())
    plain = {name: tree[name] for name in tree}
    path.unlink()
    compact_files(files.FileNames(path), plain, seq, archive)  # the old writer: format 1
    assert b"\n" not in path.read_bytes() and header(path)["format"] == 1
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        assert [lead.id for lead in store.leads()] == ids
        store.log_touch(ids[20], Outcome.NO_ANSWER, START)
        store.compact()
    assert header(path)["format"] == 3
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        assert [lead.id for lead in store.leads()] == ids
        assert len(store.touches(ids[20])) == 1


def test_a_background_compaction_runs_after_the_write_not_inside_it(
    tmp_path: Path, always3: None
) -> None:
    path = tmp_path / "leads.json"
    ids = fill(path)
    journal = path.with_name("leads.json.journal")
    with open_store(path, cadence=CADENCE, clock=lambda: START, compact_bytes=1) as store:
        store.compact_later()
        storage = store._storage
        with storage.thread_lock:  # the compaction thread cannot start its work yet
            store.log_touch(ids[25], Outcome.NO_ANSWER, START)
            assert journal.exists()  # the write returned; nothing compacted inside it
            assert storage._compactor is not None
        storage.wait_for_compaction()
        assert not journal.exists()  # folded in right after
        assert len(store.touches(ids[25])) == 1
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        assert len(store.touches(ids[25])) == 1


@pytest.mark.parametrize("seed", [5, 1234])
def test_random_walk_on_format_3_with_background_compactions(
    tmp_path: Path, seed: int, always3: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """test_next_cache's walk with every snapshot in format 3, compactions every few
    writes, one store compacting in the background: the due index still equals a full
    replay after every step, and reopening gives the same leads."""
    monkeypatch.setenv(COMPACT_ENV, "3000")
    rng = random.Random(seed)
    path = tmp_path / "leads.json"
    now = START
    store = open_store(path, cadence=CADENCE, window=WINDOWS[0], clock=lambda: now)  # noqa: B023
    other = open_store(path, cadence=CADENCE, window=WINDOWS[1], clock=lambda: now)  # noqa: B023
    store.compact_later()
    try:
        for n in range(90):
            now += timedelta(minutes=rng.choice((1, 7, 45, 180, 1440)))
            step(rng, other if rng.random() < 0.3 else store, now, n)
            for reader in (store, other):
                check(reader, rng.choice(WINDOWS), now)
            if rng.random() < 0.08:
                store._storage.wait_for_compaction()
                before = {lead.id: lead for lead in store.leads()}
                store.close()
                store = open_store(path, cadence=CADENCE, window=WINDOWS[0], clock=lambda: now)  # noqa: B023
                store.compact_later()
                assert {lead.id: lead for lead in store.leads()} == before
        store._storage.wait_for_compaction()
        assert header(path)["format"] in (3, 4)  # (4: with an archive, in its files)
    finally:
        store.close()
        other.close()


def test_a_table_changed_only_by_a_delete_is_written_afresh(tmp_path: Path, always3: None) -> None:
    path = tmp_path / "leads.json"
    ids = fill(path)
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        assert store.undo_last_touch(ids[4]) is not None  # deletes a touch, puts nothing in it
        store.compact()
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        assert store.touches(ids[4]) == []


def test_the_index_learns_a_segment_in_one_pass_as_it_would_one_by_one(tmp_path: Path) -> None:
    from leadtui.store.index import Index

    rng = random.Random(8)
    docs = {
        str(key): {
            "id": f"t{key}",
            "lead_id": f"lead{rng.randrange(5)}",
            "outcome": "no-answer",
            "at": f"2026-11-{rng.randrange(10, 13)}T{rng.randrange(24):02d}:00:00.000000+00:00",
        }
        for key in rng.sample(range(1, 400), 60)
    }
    one, bulk = Index(tmp_path), Index(tmp_path)
    for index in (one, bulk):
        index.reset({TOUCHES: {}})
        index._tree[TOUCHES].update(docs)
    for key, doc in docs.items():
        one.changed(TOUCHES, key, None, doc)
    bulk.learn_many(TOUCHES, docs)
    assert bulk.touch_order == one.touch_order
    assert bulk.revision == one.revision
