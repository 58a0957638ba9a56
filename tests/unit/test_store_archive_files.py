"""The archive in files of its own beside the snapshot (format 4): a compaction writes the
working set and only new segments; an interrupted one leaves nothing that matters; a
missing or damaged archive file is named; older snapshots migrate at their next
compaction; doctor and db copy see everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from test_store_archive import (
    CADENCE,
    T0,
    Clock,
    archive_files,
    archived,
    build,
    draft,
    everything,
    named_files,
)

from leadtui.domain.model import Outcome
from leadtui.store.files import StoreDamaged, parse_snapshot
from leadtui.store.repository import doctor, open_store


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


def header(db_path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(db_path.read_bytes().split(b"\n", 1)[0])["_leadtui"]


def test_the_snapshot_names_its_archive_file_and_holds_only_the_working_set(
    db_path: Path, clock: Clock
) -> None:
    archived(db_path, clock)
    head = header(db_path)
    assert head["format"] == 4
    (name,) = named_files(db_path)
    assert [p.name for p in archive_files(db_path)] == [name]
    # the snapshot ends with its parts: no segment line in it
    parts_end = len(db_path.read_bytes().split(b"\n", 1)[0]) + 1
    parts_end += sum(length + 1 for _, length, _ in head["parts"])
    assert db_path.stat().st_size == parts_end
    # each segment lies where the header says, with its length and CRC-32
    data = db_path.with_name(name).read_bytes()
    for length, crc, number, offset in head["archive"]["segments"]:
        assert number == 0
        assert zlib.crc32(data[offset : offset + length]) == crc
        assert data[offset + length : offset + length + 1] == b"\n"


def test_a_compaction_moving_nothing_leaves_the_archive_file_alone(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock)
    (name,) = named_files(db_path)
    before = os.stat(db_path.with_name(name))
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.log_touch(ids[-1], Outcome.NO_ANSWER, clock.at)
        store.compact()
        store.compact()
    assert named_files(db_path) == [name]
    after = os.stat(db_path.with_name(name))
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def test_leads_moving_later_go_to_a_new_file_and_unnamed_files_are_removed(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock, leads=60, closed=30)
    (first,) = named_files(db_path)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        for lead_id in ids[30:45]:
            store.log_touch(lead_id, Outcome.WON, clock.at)
        before = everything(store)
    clock.at += timedelta(days=3)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()  # 15 more leads move: a new file (the first one, small, folded in)
    files = named_files(db_path)
    assert len(files) in (1, 2) and files[-1] != first  # the new segments: a new file
    # on disk: the snapshot's files, and those of `.bak` (the snapshot before), no other
    assert {p.name for p in archive_files(db_path)} == set(files) | {first}
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert store._storage.archive_count("lead_ids") == 45
        assert everything(store) == before  # (the whole archive read: it is written anew)
        store.compact()
    assert first not in {p.name for p in archive_files(db_path)}
    assert {p.name for p in archive_files(db_path)} == set(named_files(db_path)) | set(files)


def _crash_during_compaction(db_path: Path, clock: Clock, at: str) -> None:
    """Run a compaction in another process that dies (os._exit) where `at` is called."""
    code = (
        "import os, sys\n"
        "from datetime import datetime\n"
        "from leadtui.domain.cadence import load_cadence\n"
        "from leadtui.store import storage\n"
        "from leadtui.store.repository import open_store\n"
        "setattr(storage, sys.argv[2], lambda *a, **k: os._exit(7))\n"
        "now = datetime.fromisoformat(sys.argv[3])\n"
        "store = open_store(sys.argv[1], cadence=load_cadence(), clock=lambda: now)\n"
        "store.compact()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db_path), at, clock.at.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 7, done.stderr


def test_a_crash_between_the_archive_file_and_the_snapshot_rename_loses_nothing(
    db_path: Path, clock: Clock
) -> None:
    build(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = everything(store)
    clock.at = T0 + timedelta(days=8)
    # the archive file is written and fsynced, then the process dies before the snapshot
    _crash_during_compaction(db_path, clock, "compact_parts")
    (left,) = archive_files(db_path)
    assert named_files(db_path) == []  # the snapshot is the one before: it names nothing
    report = doctor(db_path)
    assert f"note: left-over archive file {left.name}" in "\n".join(report)
    assert not any(line.startswith("problem:") for line in report)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert everything(store) == before
        store.compact()  # archives for real, and removes the left-over
    assert left.name not in named_files(db_path)
    assert not left.exists()
    assert [p.name for p in archive_files(db_path)] == named_files(db_path)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert everything(store) == before


def test_a_crash_after_the_rename_keeps_what_the_snapshot_and_bak_name(
    db_path: Path, clock: Clock
) -> None:
    ids = archived(db_path, clock, leads=50, closed=30)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        for lead_id in ids[30:40]:
            store.log_touch(lead_id, Outcome.WON, clock.at)
        before = everything(store)
    clock.at += timedelta(days=3)
    _crash_during_compaction(db_path, clock, "remove_unnamed_archives")
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert everything(store) == before
    assert doctor(db_path)[-1].startswith("ok:")
    # the `.bak` + `.journal.bak` restore still finds every segment the `.bak` names
    tree, _, _ = parse_snapshot(db_path.with_name("leads.json.bak"),
                                db_path.with_name("leads.json.bak").read_bytes())  # fmt: skip
    assert len(tree["leads"]) == 50


def test_a_left_over_archive_file_is_removed_by_doctor_repair(db_path: Path, clock: Clock) -> None:
    archived(db_path, clock)
    stray = db_path.with_name("leads.json.archive-3-0badc0de")
    stray.write_bytes(b'{"leads":{}}\n')
    assert any("left-over archive file leads.json.archive-3-0badc0de" in line
               for line in doctor(db_path))  # fmt: skip
    report = doctor(db_path, repair=True)
    assert "repaired: removed the left-over archive file leads.json.archive-3-0badc0de" in report
    assert not stray.exists() and len(named_files(db_path)) == 1
    assert report[-1].startswith("ok:")


def test_a_missing_archive_file_is_named_and_doctor_restores_from_the_backup(
    db_path: Path, clock: Clock
) -> None:
    build(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = everything(store)
    clock.at = T0 + timedelta(days=8)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
    (name,) = named_files(db_path)
    db_path.with_name(name).unlink()

    with pytest.raises(StoreDamaged) as caught:
        open_store(db_path, cadence=CADENCE, clock=clock)
    message = str(caught.value)
    assert str(db_path.with_name(name)) in message and "is missing" in message
    assert "leadtui doctor" in message
    report = doctor(db_path)
    assert any(line.startswith("problem:") and name in line for line in report)
    repaired = doctor(db_path, repair=True)
    assert repaired[-1].startswith("ok:")
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert everything(store) == before


def test_a_link_in_place_of_an_archive_file_is_never_followed(
    db_path: Path, clock: Clock, tmp_path: Path
) -> None:
    ids = archived(db_path, clock)
    (name,) = named_files(db_path)
    real = db_path.with_name(name)
    elsewhere = tmp_path / "elsewhere"
    real.rename(elsewhere)
    real.symlink_to(elsewhere)
    with pytest.raises(Exception) as caught:
        with open_store(db_path, cadence=CADENCE, clock=clock) as store:
            store.get_lead(ids[0])
    assert "not a regular file" in str(caught.value)
    report = doctor(db_path)
    assert any(f"{name} is a symbolic link" in line for line in report)


def _as_old_format(db_path: Path, fmt: int) -> None:
    """Rewrite a format 4 database as format 2 or 3 (the segments after the snapshot's
    working set, as older versions wrote them) and remove its archive files."""
    data = db_path.read_bytes()
    first, rest = data.split(b"\n", 1)
    head = json.loads(first)["_leadtui"]
    archive = head["archive"]
    files = [db_path.with_name(name).read_bytes() for name in archive["files"]]
    lines = [files[n][offset : offset + length] for length, _, n, offset in archive["segments"]]
    segments = [[length, crc] for length, crc, _, _ in archive["segments"]]
    parts, pos = {}, 0
    for name, length, _ in head["parts"]:
        parts[name] = rest[pos : pos + length]
        pos += length + 1
    n, offset, length, crc = archive["lookups"]  # (format 3: a part of the snapshot)
    parts["_lookups"] = files[n][offset : offset + length]
    if fmt == 3:
        head["format"] = 3
        head["parts"].append(["_lookups", length, crc])
        head["archive"] = {"segments": segments, "max_ids": archive["max_ids"],
                           "counts": archive["counts"]}  # fmt: skip
        first = json.dumps({"_leadtui": head}, separators=(",", ":")).encode()
        out = first + b"\n" + rest + parts["_lookups"] + b"\n"
    else:
        tables = {name: json.loads(body) for name, body in parts.items() if name != "_lookups"}
        old = {"format": 2, "seq": head["seq"], "archive": {
            "segments": segments, "max_ids": archive["max_ids"],
            "lookups": json.loads(parts["_lookups"])}}  # fmt: skip
        out = json.dumps({"_leadtui": old, **tables}, separators=(",", ":")).encode() + b"\n"
    db_path.write_bytes(out + b"".join(line + b"\n" for line in lines))
    for name in archive["files"]:
        db_path.with_name(name).unlink()


@pytest.mark.parametrize("fmt", [2, 3])
def test_an_older_snapshot_with_its_segments_inside_migrates_at_its_next_compaction(
    db_path: Path, clock: Clock, fmt: int
) -> None:
    ids = archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = everything(store)
    _as_old_format(db_path, fmt)
    assert archive_files(db_path) == []
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert not store._storage.archive_loaded
        assert store.get_lead(ids[0]) is not None  # one segment read from the snapshot
        assert doctor(db_path)[-1].startswith("ok:")
        store.log_touch(ids[-1], Outcome.NO_ANSWER, clock.at)
        store.compact()
    assert header(db_path)["format"] == 4
    assert [p.name for p in archive_files(db_path)] == named_files(db_path)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert store._storage.archive_count("lead_ids") == 30
        leads, touches = everything(store)
    assert leads.keys() == before[0].keys()
    assert {k: v for k, v in leads.items() if k != ids[-1]} == {
        k: v for k, v in before[0].items() if k != ids[-1]
    }
    assert len(touches[ids[-1]]) == len(before[1].get(ids[-1], ())) + 1
    assert {k: v for k, v in touches.items() if k != ids[-1]} == {
        k: v for k, v in before[1].items() if k != ids[-1]
    }


def test_a_bulk_import_keeps_the_archive_and_the_next_compaction_moves_it_out(
    db_path: Path, clock: Clock
) -> None:
    archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        before = everything(store)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.add_leads_streamed([draft(500 + n, received=clock.at) for n in range(3)], clock.at)
    assert header(db_path)["format"] == 2  # the streamed snapshot holds its segments
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        assert not store._storage.archive_loaded
        after_add = everything(store)
    assert len(after_add[0]) == len(before[0]) + 3
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store.compact()
        assert everything(store) == after_add
    assert [p.name for p in archive_files(db_path)] == named_files(db_path)


def _segment(n: int, size: int) -> bytes:
    """A segment line of about `size` bytes holding lead document `n`."""
    line = json.dumps({"leads": {str(n): {"id": f"lead{n}", "pad": ""}}}).encode()
    pad = "x" * max(0, size - len(line))
    return json.dumps({"leads": {str(n): {"id": f"lead{n}", "pad": pad}}}).encode()


def test_the_newest_small_archive_files_are_folded_into_the_new_one(tmp_path: Path) -> None:
    from leadtui.store.archive_info import ArchiveInfo
    from leadtui.store.fileio import FileNames
    from leadtui.store.files import read_archive_files
    from leadtui.store.snapshot_write import write_archive

    names = FileNames(tmp_path / "leads.json")
    big, small = _segment(1, 5000), _segment(2, 300)
    files = {"leads.json.archive-1-00000001": big, "leads.json.archive-2-00000002": small}
    fds, kept, infos = [], [], []
    for n, (name, line) in enumerate(files.items(), start=1):
        (tmp_path / name).write_bytes(line + b"\n")
        fd = os.open(tmp_path / name, os.O_RDONLY)
        fds.append(fd)
        kept.append((tmp_path / name, fd, 0, len(line), zlib.crc32(line)))
        docs = json.loads(line)
        infos.append(ArchiveInfo.of(line, docs, {"lead_ids": [f"lead{n}"]}))
    fresh = _segment(3, 200)
    new = ArchiveInfo.of(fresh, json.loads(fresh), {"lead_ids": ["lead3"]})
    info = infos[0].plus(infos[1]).plus(new)
    old = (("leads.json.archive-1-00000001", 0), ("leads.json.archive-2-00000002", 0))
    try:
        located, path = write_archive(names, 9, info, kept, old, [fresh])
    finally:
        for fd in fds:
            os.close(fd)
    assert path is not None and path.name.startswith("leads.json.archive-9-")
    # 300 bytes <= 2 x 200: folded; 5,000 > 2 x 500: named again, not copied
    assert located.files == ["leads.json.archive-1-00000001", path.name]
    assert located.places == (
        ("leads.json.archive-1-00000001", 0),
        (path.name, 0),
        (path.name, len(small) + 1),
    )
    segments = list(read_archive_files(names.snapshot, located))
    assert [list(s["leads"]) for s in segments] == [["1"], ["2"], ["3"]]
    assert located.lookups_at is not None and located.lookups_at[0] == path.name
    # a compaction that moves nothing names the same files again and writes none
    places = []
    for name, offset in located.places:
        fd = os.open(tmp_path / name, os.O_RDONLY)
        fds.append(fd)
        places.append((tmp_path / name, fd, offset, 0, 0))
    try:
        again, none = write_archive(names, 10, located, places, located.places, [])
    finally:
        for fd in fds[2:]:
            os.close(fd)
    assert none is None and again.places == located.places
    assert again.lookups_at == located.lookups_at
    assert {p.name for p in archive_files(names.snapshot)} == set(files) | {path.name}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_opening_and_closing_leaves_no_archive_file_open(db_path: Path, clock: Clock) -> None:
    archived(db_path, clock)
    with open_store(db_path, cadence=CADENCE, clock=clock) as store:
        store._storage.clear("touches")  # journal: a change that may touch the archive
    before = _open_fds()
    for _ in range(5):  # replay reads the whole archive while opening
        with open_store(db_path, cadence=CADENCE, clock=clock) as store:
            assert store._storage.archive_loaded
    for _ in range(5):
        with open_store(db_path, cadence=CADENCE, clock=clock) as store:
            store.compact()
            assert not store._storage.archive_loaded
    assert _open_fds() == before
