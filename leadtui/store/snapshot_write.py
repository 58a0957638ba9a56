"""Writing a new snapshot: `compact_files` (format 1 or 2, as older versions read them,
and the bulk import's streamed snapshot) and `compact_parts` (format 3, or 4 when the
archive lies in archive files; see parts.py and files.py), both through `write_snapshot`:
temporary file, fsync, the old snapshot kept as `.bak`, rename, directory fsync, the
journal moved to `.journal.bak`. Safe to interrupt anywhere.

Format 4's archive files (`write_archive`) are written before the snapshot that names
them: new file, fsync, directory fsync, then the snapshot. A crash in between leaves a
file nothing names; `remove_unnamed_archives` (after each compaction, and `doctor
--repair`) removes the archive files that neither the snapshot nor `.bak` names. An
archive file is never changed once written: a compaction names the unread segments'
files again, and writes only new segments, together with the segments of the newest small
files (each file folded into the next one while it is at most twice the bytes written
with it), so the number of files grows with the logarithm of the compactions.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from leadtui.paths import fsync_dir
from leadtui.store.fileio import Sig, copy_chunks, file_sig, open_regular
from leadtui.store.files import (
    HEADER,
    ArchiveInfo,
    FileNames,
    Tree,
    dumps,
    encode_snapshot,
    encode_snapshot_chunks,
    keep_copy,
    write_new_file,
)
from leadtui.store.parts import LazyTree, Part, dumps_table, encode_parts
from leadtui.store.segments import Place


def compact_files(
    names: FileNames,
    tree: Tree,
    seq: int,
    archive: ArchiveInfo | None = None,
    segments: Iterable[bytes] = (),
    extra: tuple[str, Iterable[bytes]] | None = None,
) -> int:
    """Write `tree` (the state after record `seq`) as the new snapshot in format 1 or 2,
    followed by the archive's segment lines (`segments`: their bytes, newlines included,
    in chunks), keeping the old snapshot as `.bak` and moving the journal to
    `.journal.bak`. Safe to interrupt at any point. Returns the length of the first line
    (where the segments start). `extra` (table, members): documents streamed into that
    table of the first line."""
    newline = b"\n" if archive is not None and archive.segments else b""
    head_chunks: Iterable[bytes | memoryview]
    if extra is None:
        head_chunks = [encode_snapshot(tree, seq, archive) + newline]
    else:
        head_chunks = _chain_all(encode_snapshot_chunks(tree, seq, archive, *extra), newline)
    return write_snapshot(names, head_chunks, segments)


def compact_streamed(
    names: FileNames,
    tree: Tree,
    seq: int,
    archive: ArchiveInfo | None,
    kept: list[Place],
    fresh: list[bytes],
    extra: tuple[str, Iterable[bytes]],
) -> int:
    """`compact_files` for the bulk import (`extra` streamed into its table): format 2,
    the archive's segments (those at `kept`, then the lines `fresh`) copied into the
    snapshot itself (the next compaction moves them out to an archive file again)."""
    if archive is not None:
        archive = replace(archive, places=None, lookups_at=None)
    chunks: list[Iterable[bytes]] = [
        copy_chunks(fd, offset, length + 1) for _, fd, offset, length, _ in kept
    ]
    chunks += [(line, b"\n") for line in fresh]
    segments = (chunk for part in chunks for chunk in part)
    return compact_files(names, tree, seq, archive, segments, extra)


#: A snapshot without an archive whose tables encode to less than this is written in
#: format 1 (one line, as older versions read it); parsing all of it costs little.
SMALL_SNAPSHOT = 1 << 20


def compact_parts(
    names: FileNames,
    tree: Tree,
    seq: int,
    archive: ArchiveInfo | None,
    segments: Iterable[bytes],
    unchanged: Callable[[str], bytes | memoryview | None],
    tops: dict[str, int] | None = None,
) -> tuple[int, list[Part]]:
    """`compact_files` in format 3 (see parts.py): each table its own line, those that
    `unchanged(name)` returns (the line of the snapshot read, when no change touched the
    table since) copied instead of encoded. Returns where the segments start and the
    parts written ([] when the snapshot is small and has no archive: format 1). `tops`:
    an upper bound of each table's highest document key (the header's "tops", from which
    new ids start), when the caller keeps one (else computed from the tables)."""
    names_in = list(tree)
    tables: list[tuple[str, bytes | memoryview, int]] = []
    if tops is None:
        top_ids = getattr(tree, "top_ids", None)
        tops = top_ids() if top_ids is not None else {}
    total = 0
    for name in names_in:
        body = unchanged(name)
        if body is None:
            body = dumps_table(tree[name])
        total += len(body)
        top = tops[name] if name in tops else max(map(int, tree[name]), default=0)
        tables.append((name, body, top))
    has_archive = archive is not None and bool(archive.segments)
    if not has_archive and total < SMALL_SNAPSHOT:
        line = b'{"' + HEADER.encode() + b'":' + dumps({"format": 1, "seq": seq})
        chunks = [line] + [b"," + dumps(name) + b":" + bytes(body) for name, body, _ in tables]
        chunks.append(b"}")
        return write_snapshot(names, chunks, segments), []
    lookups = None
    header = None
    if has_archive:
        assert archive is not None
        header = archive.header_json()
        if archive.places is None:  # (format 4: the lookups lie in an archive file)
            lookups = archive.lookups_bytes(dumps_table)
    vouched = getattr(tree, "vouched", ())  # (a LazyTree's, see parts.py)
    spliced = getattr(tree, "spliced", None)  # (superseded bytes in unparsed tables' lines)
    head, parts = encode_parts(tables, seq, header, lookups, vouched, spliced)
    return write_snapshot(names, head, segments), parts


def write_snapshot(
    names: FileNames, head_chunks: Iterable[bytes | memoryview], segments: Iterable[bytes] = ()
) -> int:
    """Write the new snapshot (`head_chunks`, then `segments`) to a temporary file, fsync,
    keep the old one as `.bak`, rename, move the journal to `.journal.bak`. Returns the
    length of the head (where the segments start)."""
    for left_over in names.temps():
        left_over.unlink(missing_ok=True)
    temp = names.temp()
    head_length = [0]

    def counted() -> Iterator[bytes | memoryview]:
        for chunk in head_chunks:
            head_length[0] += len(chunk)
            yield chunk

    write_new_file(temp, _chain_all(counted(), segments))
    try:
        if names.snapshot.exists():
            keep_copy(names.snapshot, names.backup, names)
        os.replace(temp, names.snapshot)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(names.snapshot.parent)
    if names.journal.exists():
        # No directory fsync for this rename: if a crash forgets it, the old journal is
        # back beside the new snapshot, and replay skips its records (the snapshot names
        # the last one it holds); the next journal's creation fsyncs the folder anyway.
        os.replace(names.journal, names.journal_backup)
    return head_length[0]


#: Fold archive files into the new one while there are more than this, whatever size.
MAX_ARCHIVE_FILES = 12
#: A file is folded into the new one while its bytes are at most this times those written.
FOLD_RATIO = 2


def write_archive(
    names: FileNames,
    seq: int,
    info: ArchiveInfo,
    kept: list[Place],
    old: tuple[tuple[str, int], ...] | None,
    fresh: list[bytes],
) -> tuple[ArchiveInfo, Path | None]:
    """The archive `info` (its segments: those at `kept`, in archive files at `old` or
    None when in a snapshot, then the new ones `fresh`, each a line without its newline)
    located in archive files (format 4), and the new file
    written for it (None when nothing was new): the `fresh` segments, the segments of
    a snapshot that still held them (formats 2 and 3), and those of the newest small
    files (see the module docstring), copied byte for byte. Fsynced, and its name too."""
    assert len(info.segments) == len(kept) + len(fresh)
    assert old is None or len(old) == len(kept)
    if old is None:  # formats 2 and 3: every kept segment moves into the new file
        folded = len(kept)
    else:
        sizes: dict[str, int] = {}
        for (name, _), (_, _, _, length, _) in zip(old, kept, strict=True):
            sizes[name] = sizes.get(name, 0) + length + 1
        written = sum(len(line) + 1 for line in fresh)
        files = list(sizes)
        folded_files: set[str] = set()
        while (
            files
            and written
            and (sizes[files[-1]] <= FOLD_RATIO * written or len(files) > MAX_ARCHIVE_FILES)
        ):
            name = files.pop()
            folded_files.add(name)
            written += sizes[name]
        folded = len(kept)
        while folded and old[folded - 1][0] in folded_files:
            folded -= 1
        folded = len(kept) - folded
    if not fresh and not folded and info.lookups_at is not None:
        return info.located(old or ()), None
    path = names.new_archive(seq)
    first = len(kept) - folded
    places: list[tuple[str, int]] = list((old or ())[:first])
    chunks: list[Iterable[bytes]] = []
    offset = 0
    for _, fd, at, length, _ in kept[first:]:
        chunks.append(copy_chunks(fd, at, length + 1))
        places.append((path.name, offset))
        offset += length + 1
    for line in fresh:
        chunks.append((line, b"\n"))
        places.append((path.name, offset))
        offset += len(line) + 1
    lookups_at = info.lookups_at
    if lookups_at is None:  # changed: written after the segments, in the same file
        lookups = info.lookups_bytes(dumps_table)
        chunks.append((lookups, b"\n"))
        lookups_at = (path.name, offset, len(lookups), zlib.crc32(lookups))
        del lookups
    write_new_file(path, (chunk for part in chunks for chunk in part))
    try:
        fsync_dir(path.parent)  # named on disk before any snapshot names it
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return replace(info.located(places), lookups_at=lookups_at), path


def remove_unnamed_archives(names: FileNames, named: Iterable[str]) -> list[Path]:
    """Remove the database's archive files not in `named` (those the snapshot and `.bak`
    name): left by an interrupted compaction, or no longer named by anything. Returns
    what was removed; a file that cannot be removed is left (harmless)."""
    keep = set(named)
    removed = []
    for path in names.archives():
        if path.name in keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _chain_all(
    first: Iterable[bytes | memoryview], rest: Iterable[bytes] | bytes
) -> Iterator[bytes | memoryview]:
    yield from first
    if isinstance(rest, bytes):
        if rest:
            yield rest
    else:
        yield from rest


class Unchanged:
    """`unchanged(name)` for `compact_parts`: the line of table `name` as the snapshot
    this process read holds it, when no change touched the table since (CRC-checked
    again; None when the file is another one now, or anything is off: then the table is
    encoded afresh)."""

    def __init__(self, path: Path, seen: Sig | None, tree: Tree) -> None:
        self._path, self._seen, self._tree = path, seen, tree
        self._fd: int | None = None

    def __enter__(self) -> Callable[[str], bytes | memoryview | None]:
        return self.line

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)

    def line(self, name: str) -> bytes | memoryview | None:
        tree = self._tree
        if not isinstance(tree, LazyTree):
            return None
        raw = tree.unparsed(name)
        if raw is not None:
            return raw
        part = tree.clean.get(name)
        if part is None or self._seen is None:
            return None
        try:
            if self._fd is None:
                self._fd = open_regular(self._path)
                if file_sig(os.fstat(self._fd)) != self._seen:
                    return None
            data = os.pread(self._fd, part.length, part.offset)
        except OSError:
            return None
        return data if len(data) == part.length and zlib.crc32(data) == part.crc else None
