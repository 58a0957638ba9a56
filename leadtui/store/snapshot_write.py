"""Writing a new snapshot: `compact_files` (format 1 or 2, as older versions read them,
and the bulk import's streamed snapshot) and `compact_parts` (format 3, see parts.py),
both through `write_snapshot`: temporary file, fsync, the old snapshot kept as `.bak`,
rename, directory fsync, the journal moved to `.journal.bak`. Safe to interrupt anywhere.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from leadtui.paths import fsync_dir
from leadtui.store.fileio import Sig, file_sig, open_regular
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
    head_chunks: Iterable[bytes]
    if extra is None:
        head_chunks = [encode_snapshot(tree, seq, archive) + newline]
    else:
        head_chunks = _chain_all(encode_snapshot_chunks(tree, seq, archive, *extra), newline)
    return write_snapshot(names, head_chunks, segments)


#: A snapshot without an archive whose tables encode to less than this is written in
#: format 1 (one line, as older versions read it); parsing all of it costs little.
SMALL_SNAPSHOT = 1 << 20


def compact_parts(
    names: FileNames,
    tree: Tree,
    seq: int,
    archive: ArchiveInfo | None,
    segments: Iterable[bytes],
    unchanged: Callable[[str], bytes | None],
) -> tuple[int, list[Part]]:
    """`compact_files` in format 3 (see parts.py): each table its own line, those that
    `unchanged(name)` returns (the line of the snapshot read, when no change touched the
    table since) copied instead of encoded. Returns where the segments start and the
    parts written ([] when the snapshot is small and has no archive: format 1)."""
    names_in = list(tree)
    tables: list[tuple[str, bytes, int]] = []
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
        chunks = [line] + [b"," + dumps(name) + b":" + body for name, body, _ in tables] + [b"}"]
        return write_snapshot(names, chunks, segments), []
    lookups = None
    header = None
    if has_archive:
        assert archive is not None
        header = archive.header_json()
        lookups = archive.lookups_bytes(dumps_table)
    vouched = getattr(tree, "vouched", ())  # (a LazyTree's, see parts.py)
    chunks, parts = encode_parts(tables, seq, header, lookups, vouched)
    return write_snapshot(names, chunks, segments), parts


def write_snapshot(
    names: FileNames, head_chunks: Iterable[bytes], segments: Iterable[bytes] = ()
) -> int:
    """Write the new snapshot (`head_chunks`, then `segments`) to a temporary file, fsync,
    keep the old one as `.bak`, rename, move the journal to `.journal.bak`. Returns the
    length of the head (where the segments start)."""
    for left_over in names.temps():
        left_over.unlink(missing_ok=True)
    temp = names.temp()
    head_length = [0]

    def counted() -> Iterator[bytes]:
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
        os.replace(names.journal, names.journal_backup)
        fsync_dir(names.snapshot.parent)
    return head_length[0]


def _chain_all(first: Iterable[bytes], rest: Iterable[bytes] | bytes) -> Iterator[bytes]:
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

    def __enter__(self) -> Callable[[str], bytes | None]:
        return self.line

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)

    def line(self, name: str) -> bytes | None:
        tree = self._tree
        if not isinstance(tree, LazyTree):
            return None
        raw = tree.unparsed(name)
        if raw is not None:
            return bytes(raw)
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
