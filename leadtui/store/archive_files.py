"""The archive's segment lines: checked, parsed, and read from the archive files beside a
format 4 snapshot (`<database>.archive-<seq>-<hex>`: segment lines at the offsets the
snapshot's header lists, written once and never changed; see files.py and
archive_info.py). A missing, short or corrupt archive file raises `StoreDamaged` naming
that file and `leadtui doctor`.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from leadtui.store.archive_info import ArchiveInfo
from leadtui.store.damage import damaged
from leadtui.store.fileio import open_regular
from leadtui.store.parts import loads
from leadtui.store.protocol import StoreError

Tree = dict[str, dict[str, dict[str, Any]]]


def check_segment(path: Path, number: int, data: bytes, length: int, crc: int) -> Tree:
    """Segment `number` (from 1) parsed from its bytes (`data`: the line and its newline),
    once its length, newline and CRC-32 are checked."""
    if len(data) != length + 1:
        raise damaged(path, f"archive segment {number} is truncated")
    if data[-1:] != b"\n" or zlib.crc32(memoryview(data)[:-1]) != crc:
        raise damaged(path, f"archive segment {number} is corrupt (checksum mismatch)")
    return _parse_segment(path, number, memoryview(data)[:-1])


def _parse_segment(path: Path, number: int, data: bytes | memoryview) -> Tree:
    try:
        tree = loads(data)
    except ValueError:
        raise damaged(path, f"archive segment {number} is not valid JSON") from None
    check_tree(path, tree)
    return cast(Tree, tree)


def check_tree(path: Path, tree: Any) -> None:
    """StoreDamaged unless `tree` is table name -> {numeric id string -> document dict}."""
    if not isinstance(tree, dict):
        raise damaged(path, "unexpected content: the tables are not an object")
    for name, table in tree.items():
        if not isinstance(table, dict):
            raise damaged(path, f"unexpected content: table {name!r} is not an object")
        for key, doc in table.items():
            if not key.isdigit() or not isinstance(doc, dict):
                raise damaged(path, f"unexpected content: table {name!r} entry {key!r}")


def archive_file(snapshot: Path, name: str) -> Path:
    """Where the archive file `name` of the snapshot at `snapshot` lies (beside it)."""
    return snapshot.with_name(name)


def open_archive_file(snapshot: Path, name: str, needed: int) -> int:
    """The archive file `name` that the snapshot at `snapshot` names, opened (never
    through a link, never a FIFO), and checked to hold at least `needed` bytes;
    StoreDamaged naming it when it is missing or short."""
    path = archive_file(snapshot, name)
    try:
        fd = open_regular(path)
    except FileNotFoundError:
        raise damaged(path, f"the archive file that {snapshot.name} names is missing") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    size = os.fstat(fd).st_size
    if size < needed:
        os.close(fd)
        raise damaged(path, f"the archive file is truncated (it ends at byte {size} of {needed})")
    return fd


def archive_needs(archive: ArchiveInfo) -> dict[str, int]:
    """Archive file name -> the bytes its segments need (their end); {} for formats 2, 3."""
    needs: dict[str, int] = {}
    if archive.places is None:
        return needs
    if archive.lookups_at is not None:
        name, offset, length, _ = archive.lookups_at
        needs[name] = offset + length + 1
    for (length, _), (name, offset) in zip(archive.segments, archive.places, strict=True):
        needs[name] = max(needs.get(name, 0), offset + length + 1)
    return needs


def read_archive_files(snapshot: Path, archive: ArchiveInfo) -> Iterator[Tree]:
    """Each segment of a format 4 archive, read from its archive file and checked."""
    fds = {}
    try:
        for name, needed in archive_needs(archive).items():
            fds[name] = open_archive_file(snapshot, name, needed)
        places = archive.places or ()
        for number, ((length, crc), (name, offset)) in enumerate(
            zip(archive.segments, places, strict=True), start=1
        ):
            data = os.pread(fds[name], length + 1, offset)
            yield check_segment(archive_file(snapshot, name), number, data, length, crc)
    finally:
        for fd in fds.values():
            os.close(fd)


def read_lookups(snapshot: Path, name: str, offset: int, length: int, crc: int) -> bytes:
    """The archive's lookups' line (format 4) from its archive file, checked."""
    fd = open_archive_file(snapshot, name, offset + length + 1)
    try:
        data = os.pread(fd, length + 1, offset)
    except OSError as exc:
        raise StoreError(
            f"{archive_file(snapshot, name)}: cannot read it: {exc.strerror or exc}"
        ) from None
    finally:
        os.close(fd)
    if len(data) != length + 1 or data[-1:] != b"\n" or zlib.crc32(data[:-1]) != crc:
        raise damaged(
            archive_file(snapshot, name), "the archive's lookups are corrupt (checksum mismatch)"
        )
    return data[:-1]
