"""The journal storage: durability, replay, compaction, damage detection, permissions."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from tinydb import Query

from leadtui.store import storage as storage_module
from leadtui.store.files import FileNames, encode_record, encode_snapshot
from leadtui.store.protocol import StoreError
from leadtui.store.storage import JournalStorage
from leadtui.store.tables import LeadDB

INITIAL = {"meta": {"1": {"schema": 1}}}


def open_db(path: Path, **kwargs) -> tuple[JournalStorage, LeadDB]:
    storage = JournalStorage(path, initial=lambda: json.loads(json.dumps(INITIAL)), **kwargs)
    return storage, LeadDB(storage)


def hashes(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


def test_new_database_has_header_and_initial_tables(db_path: Path) -> None:
    storage, db = open_db(db_path)
    raw = json.loads(db_path.read_bytes())
    assert raw["_leadtui"] == {"format": 1, "seq": 0}
    assert raw["meta"] == {"1": {"schema": 1}}
    assert db.table("meta").get(doc_id=1) == {"schema": 1}
    storage.close()


def test_writes_survive_reopen_and_replay_in_order(db_path: Path) -> None:
    storage, db = open_db(db_path)
    leads = db.table("leads")
    a = leads.insert({"name": "Ann"})
    b = leads.insert({"name": "Bob"})
    leads.update({"status": "won"}, doc_ids=[a])
    leads.remove(doc_ids=[b])
    with storage.transaction():
        leads.insert({"name": "Cy"})
        db.table("touches").insert({"lead": a})
    storage.close()

    again, db2 = open_db(db_path)
    assert [d["name"] for d in db2.table("leads").all()] == ["Ann", "Cy"]
    assert db2.table("leads").get(doc_id=a) == {"name": "Ann", "status": "won"}
    assert len(db2.table("touches")) == 1
    assert again.seq == storage.seq == 5
    again.close()


def test_one_transaction_is_one_journal_line(db_path: Path) -> None:
    storage, db = open_db(db_path)
    with storage.transaction():
        for n in range(10):
            db.table("leads").insert({"n": n})
    lines = FileNames(db_path).journal.read_bytes().splitlines()
    assert len(lines) == 1
    storage.close()


def test_exception_inside_transaction_rolls_back_and_writes_nothing(db_path: Path) -> None:
    storage, db = open_db(db_path)
    leads = db.table("leads")
    keep = leads.insert({"name": "keep"})
    before = hashes(db_path.parent)
    with pytest.raises(RuntimeError), storage.transaction():
        leads.insert({"name": "gone"})
        leads.update({"name": "changed"}, doc_ids=[keep])
        db.table("other").insert({"x": 1})
        raise RuntimeError("boom")
    assert [d["name"] for d in leads.all()] == ["keep"]
    assert "other" not in db.tables()
    assert hashes(db_path.parent) == before
    storage.close()


def test_failed_fsync_reports_error_rolls_back_and_truncates(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, db = open_db(db_path)
    db.table("leads").insert({"name": "first"})
    journal = FileNames(db_path).journal
    size = journal.stat().st_size

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_module.os, "fsync", no_space)
    with pytest.raises(StoreError, match="No space left"):
        db.table("leads").insert({"name": "second"})
    monkeypatch.undo()
    assert [d["name"] for d in db.table("leads").all()] == ["first"]
    assert journal.stat().st_size == size
    db.table("leads").insert({"name": "third"})
    storage.close()
    _, db2 = open_db(db_path)
    assert [d["name"] for d in db2.table("leads").all()] == ["first", "third"]


def test_torn_last_line_is_ignored_then_cleaned_by_next_writer(db_path: Path) -> None:
    storage, db = open_db(db_path)
    db.table("leads").insert({"name": "kept"})
    storage.close()
    journal = FileNames(db_path).journal
    torn = encode_record(2, [["p", "leads", "2", {"name": "torn"}]])
    with open(journal, "ab") as handle:
        handle.write(torn[: len(torn) // 2])
    before = hashes(db_path.parent)

    reader, db2 = open_db(db_path)
    assert [d["name"] for d in db2.table("leads").all()] == ["kept"]
    assert hashes(db_path.parent) == before  # opening never repairs
    db2.table("leads").insert({"name": "after"})
    reader.close()
    _, db3 = open_db(db_path)
    assert [d["name"] for d in db3.table("leads").all()] == ["kept", "after"]


def test_complete_line_with_bad_checksum_at_the_end_is_a_torn_write(db_path: Path) -> None:
    storage, db = open_db(db_path)
    db.table("leads").insert({"name": "kept"})
    storage.close()
    line = bytearray(encode_record(2, [["p", "leads", "2", {"name": "flipped"}]]))
    line[20] ^= 1
    with open(FileNames(db_path).journal, "ab") as handle:
        handle.write(bytes(line))
    _, db2 = open_db(db_path)
    assert [d["name"] for d in db2.table("leads").all()] == ["kept"]


def test_corrupt_record_in_the_middle_is_damage(db_path: Path) -> None:
    storage, db = open_db(db_path)
    for name in ("a", "b", "c"):
        db.table("leads").insert({"name": name})
    storage.close()
    journal = FileNames(db_path).journal
    data = bytearray(journal.read_bytes())
    data[data.index(b'"b"') + 1] = ord("x")
    journal.write_bytes(bytes(data))
    before = hashes(db_path.parent)
    with pytest.raises(StoreError) as info:
        open_db(db_path)
    assert str(journal) in str(info.value) and "leadtui doctor" in str(info.value)
    assert hashes(db_path.parent) == before


def test_missing_record_is_damage(db_path: Path) -> None:
    storage, db = open_db(db_path)
    for name in ("a", "b", "c"):
        db.table("leads").insert({"name": name})
    storage.close()
    journal = FileNames(db_path).journal
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0] + lines[2])
    with pytest.raises(StoreError, match="record 2 is missing"):
        open_db(db_path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b'{"_leadtui": {"format": 1, "seq": 0}, "meta": {"1": {"sch', "truncated"),
        (b"\x00\xff\xfe garbage \x01", "not"),
        (b"hello, world", "not valid JSON"),
        (b'{"just": "json"}', "unexpected"),
        (b"[1, 2, 3]", "unexpected"),
        (b'{"_leadtui": {"format": 1, "seq": 0}, "leads": [1]}', "unexpected"),
        (b'{"_leadtui": {"format": 1, "seq": 0}, "leads": {"x": {}}}', "unexpected"),
    ],
)
def test_damaged_snapshot_is_refused_and_left_unchanged(
    db_path: Path, content: bytes, words: str
) -> None:
    db_path.parent.mkdir(mode=0o700)
    db_path.write_bytes(content)
    before = hashes(db_path.parent)
    with pytest.raises(StoreError) as info:
        open_db(db_path)
    message = str(info.value)
    assert str(db_path) in message and words in message and "leadtui doctor" in message
    assert hashes(db_path.parent) == before


def test_newer_storage_format_says_upgrade(db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o700)
    db_path.write_bytes(b'{"_leadtui": {"format": 9, "seq": 0}}')
    with pytest.raises(StoreError, match="upgrade leadtui") as info:
        open_db(db_path)
    assert str(db_path) in str(info.value)
    assert db_path.read_bytes() == b'{"_leadtui": {"format": 9, "seq": 0}}'


def test_missing_snapshot_with_journal_left_is_damage_not_new(db_path: Path) -> None:
    storage, db = open_db(db_path)
    db.table("leads").insert({"name": "a"})
    storage.close()
    db_path.unlink()
    with pytest.raises(StoreError, match="missing"):
        open_db(db_path)
    assert not db_path.exists()


def test_compaction_preserves_data_and_keeps_previous_state(db_path: Path) -> None:
    storage, db = open_db(db_path)
    leads = db.table("leads")
    for n in range(20):
        leads.insert({"n": n})
    leads.remove(doc_ids=[3])
    storage.compact()
    names = FileNames(db_path)
    assert not names.journal.exists()
    assert names.backup.exists() and names.journal_backup.exists()
    leads.insert({"n": 100})
    storage.close()
    _, db2 = open_db(db_path)
    assert [d["n"] for d in db2.table("leads").all()] == [n for n in range(20) if n != 2] + [100]


def test_automatic_compaction_at_threshold(db_path: Path) -> None:
    storage, db = open_db(db_path, compact_bytes=2000)
    for n in range(200):
        db.table("leads").insert({"n": n, "pad": "x" * 20})
    names = FileNames(db_path)
    assert names.backup.exists()
    assert names.journal.stat().st_size <= 2100
    assert json.loads(db_path.read_bytes())["_leadtui"]["seq"] > 150
    storage.close()
    _, db2 = open_db(db_path)
    assert [d["n"] for d in db2.table("leads").all()] == list(range(200))


def test_crash_between_snapshot_rename_and_journal_rotation_applies_nothing_twice(
    db_path: Path,
) -> None:
    storage, db = open_db(db_path)
    leads = db.table("leads")
    for n in range(5):
        leads.insert({"n": n})
    leads.update({"n": 10}, doc_ids=[1])
    names = FileNames(db_path)
    old_journal = names.journal.read_bytes()
    storage.compact()
    storage.close()
    names.journal.write_bytes(old_journal)  # as if the rotation never happened

    again, db2 = open_db(db_path)
    assert [d["n"] for d in db2.table("leads").all()] == [10, 1, 2, 3, 4]
    db2.table("leads").insert({"n": 5})
    again.close()
    _, db3 = open_db(db_path)
    assert [d["n"] for d in db3.table("leads").all()] == [10, 1, 2, 3, 4, 5]


def test_replay_is_idempotent_when_snapshot_already_holds_records(db_path: Path) -> None:
    names = FileNames(db_path)
    db_path.parent.mkdir(mode=0o700)
    tree = {"meta": {"1": {"schema": 1}}, "leads": {"1": {"n": 1}}}
    db_path.write_bytes(encode_snapshot(tree, 1))
    names.journal.write_bytes(
        encode_record(1, [["p", "leads", "1", {"n": 1}]])
        + encode_record(2, [["p", "leads", "2", {"n": 2}]])
    )
    storage, db = open_db(db_path)
    assert [d["n"] for d in db.table("leads").all()] == [1, 2]
    assert storage.seq == 2


def test_permissions_with_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "nested" / "leads.json"
    old = os.umask(0)
    try:
        storage, db = open_db(path, compact_bytes=200)
        for n in range(20):
            db.table("leads").insert({"n": n, "pad": "y" * 30})
        storage.compact()
        db.table("leads").insert({"n": 99})
        storage.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    files = list(path.parent.iterdir())
    assert {p.name for p in files} >= {
        "leads.json", "leads.json.journal", "leads.json.bak", "leads.json.journal.bak",
        "leads.json.lock",
    }  # fmt: skip
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_second_instance_sees_writes_and_changed_is_cheap(db_path: Path) -> None:
    first, db1 = open_db(db_path)
    second, db2 = open_db(db_path)
    assert not second.changed()
    version = second.version
    db1.table("leads").insert({"name": "from first"})
    assert second.changed()
    assert db2.table("leads").search(Query().name == "from first")
    assert not second.changed()
    assert second.version > version
    first.compact()
    assert second.changed()
    db2.table("leads").insert({"name": "from second"})
    assert [d["name"] for d in db1.table("leads").all()] == ["from first", "from second"]
    assert not first.changed() or first.refresh() is False


def test_concurrent_inserts_from_two_instances_get_distinct_ids(db_path: Path) -> None:
    first, db1 = open_db(db_path)
    second, db2 = open_db(db_path)
    ids = []
    for n in range(10):
        ids.append(db1.table("t").insert({"n": n}))
        ids.append(db2.table("t").insert({"n": -n}))
    assert len(set(ids)) == 20
    assert len(db1.table("t")) == len(db2.table("t")) == 20


def test_closed_store_refuses(db_path: Path) -> None:
    storage, db = open_db(db_path)
    storage.close()
    with pytest.raises(StoreError, match="closed"):
        db.table("leads").insert({"x": 1})


def test_read_only_journal_is_a_clear_error_and_nothing_changes(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, db = open_db(db_path)
    before = hashes(db_path.parent)

    def read_only(path, flags=0):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(storage_module, "create_private", read_only)
    with pytest.raises(StoreError, match="Read-only file system") as info:
        db.table("leads").insert({"name": "x"})
    assert "leads.json.journal" in str(info.value)
    assert db.table("leads").all() == []
    assert hashes(db_path.parent) == before
    storage.close()
