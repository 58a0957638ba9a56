"""The archive segments of an open snapshot that are not in memory yet: the policy that
fills them (`Archiver`), what an operation may need from them (`Unread`), and reading them
into the tree.

An `Archiver` (the repository's policy) picks documents that have left the working set;
compaction moves them into archive segments (see files.py): in archive files beside the
snapshot (format 4), or after the snapshot's first line (formats 2 and 3, still read).
Opening reads the first line only and keeps the snapshot and the archive files it names
open (so a later compaction may replace or remove them); the segments are read into the
tree on the first need (`load_archive`): a lookup the archive's summary says it holds, a
change from the journal to a document that may be archived, or a reader that wants
everything. Until then the tree holds the working set, and compaction names the unread
segments' files again in the new snapshot (nothing copied) and writes the new segments to
a new archive file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from leadtui.store.files import (
    ArchiveInfo,
    Record,
    Tree,
    archive_file,
    archive_needs,
    check_segment,
    merge_archive,
    open_archive_file,
)
from leadtui.store.ops import Listener
from leadtui.store.protocol import StoreError


class Archiver(Protocol):
    """The policy that decides what leaves the working set (see the module docstring)."""

    def select(self, tree: Tree) -> dict[str, list[str]]:
        """Table -> keys of the documents in `tree` to move into the archive now."""
        ...

    def lookups(self, docs: Tree) -> dict[str, list[str]]:
        """Name -> values that `archive_holds(name, value)` must answer from the header."""
        ...

    def split(self, moved: Tree) -> list[Tree]:
        """`moved` as the documents of one or more segments (kept small, so that one
        segment can be read alone)."""
        ...

    def needles(self, table: str, doc: dict[str, Any]) -> list[bytes]:
        """Bytes found in the segment(s) that hold the documents `doc` goes with (a
        touch with its lead); [] when unknown (then the whole archive is read)."""
        ...


#: Where one segment lies: (its file, that file's open descriptor, offset, length without
#: the newline, CRC-32).
Place = tuple[Path, int, int, int, int]


@dataclass(slots=True)
class Unread:
    """The archive segments of the snapshot this process read, not yet in its tree."""

    info: ArchiveInfo
    handle: BinaryIO  # that snapshot, kept open: a later compaction renames another over it
    offset: int  # where its segments start (formats 2 and 3: in the snapshot)
    path: Path | None = None  # the snapshot's path
    # format 4: archive file name -> its open descriptor (a compaction may remove the file)
    files: dict[str, int] = field(default_factory=dict)
    # segments already read into the tree (by `load_holding`), and their lookups
    loaded: set[int] = field(default_factory=set)
    loaded_lookups: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, info: ArchiveInfo, handle: BinaryIO, offset: int) -> Unread:
        """The unread archive of the snapshot at `path` (open as `handle`): in format 4
        every archive file it names is opened now (StoreDamaged naming a missing or
        short one)."""
        files: dict[str, int] = {}
        try:
            for name, needed in archive_needs(info).items():
                files[name] = open_archive_file(path, name, needed)
        except BaseException:
            for fd in files.values():
                os.close(fd)
            raise
        return cls(info, handle, offset, path, files)

    def places(self) -> list[Place]:
        """Where each segment lies, in order."""
        found: list[Place] = []
        if self.info.places is None:
            snapshot = Path(self.handle.name) if self.path is None else self.path
            fd, offset = self.handle.fileno(), self.offset
            for length, crc in self.info.segments:
                found.append((snapshot, fd, offset, length, crc))
                offset += length + 1
            return found
        assert self.path is not None
        for (length, crc), (name, offset) in zip(self.info.segments, self.info.places, strict=True):
            found.append((archive_file(self.path, name), self.files[name], offset, length, crc))
        return found

    def close(self) -> None:
        self.handle.close()
        files, self.files = self.files, {}
        for fd in files.values():
            os.close(fd)

    def read_unloaded(self) -> Iterator[Tree]:
        """The segments not read into the tree yet, parsed one at a time, from copies of
        the descriptors (valid whatever happens to this `Unread` meanwhile)."""
        copies: dict[int, int] = {}
        places: list[Place] = []
        numbers: list[int] = []
        try:
            for number, (path, fd, offset, length, crc) in enumerate(self.places()):
                if number in self.loaded:
                    continue
                if fd not in copies:
                    copies[fd] = os.dup(fd)
                places.append((path, copies[fd], offset, length, crc))
                numbers.append(number + 1)
        except BaseException:
            for fd in copies.values():
                os.close(fd)
            raise
        return read_each(places, numbers, list(copies.values()))

    def count(self, name: str) -> int:
        """How many values the segments not read yet list under `name`."""
        return self.info.count(name) - len(self.loaded_lookups.get(name, ()))

    def may_hold(self, tree: Tree, op: list[Any]) -> bool:
        """Could `op` change or depend on a document still in these segments?"""
        kind = op[0]
        if kind == "t":
            return True
        top = self.info.max_ids.get(op[1])
        if top is None:
            return False
        if kind in ("c", "x"):
            return True
        # (the key first: a new document's is above the archive's, and asking the tree
        # would parse a table not parsed yet)
        return int(op[2]) <= top and op[2] not in tree.get(op[1], ())


class Activity:
    """What the changes since the snapshot say about when a compaction can next find
    leads to move into the archive, so that one that cannot skips the archiver's pass
    over every closed lead and its touches (which would parse the touches table).

    `quiet` (the snapshot's, from its archive header: `select`'s value then) is the
    earliest last activity among the closed leads left in the working set. A change to a
    lead or a touch lowers the bound to that lead's latest time seen in the changes (its
    real last activity can only be later: it is the latest of all of them). A deleted
    touch, a cleared or replaced table, a time that is not one, or a snapshot that does
    not say: unknown, and the archiver runs."""

    __slots__ = ("quiet", "unknown", "_latest", "_archiver")

    def __init__(self, archiver: Archiver | None, quiet: str | None) -> None:
        self._archiver = archiver
        self.quiet = quiet or ""  # "" : no closed lead in the working set
        self.unknown = quiet is None or getattr(archiver, "activity", None) is None
        self._latest: dict[str, str] = {}

    def note(self, op: list[Any]) -> None:
        """A change applied to the tree (or replayed from the journal)."""
        if self.unknown:
            return
        kind = op[0]
        if kind not in ("p", "d"):
            self.unknown = True
            return
        if kind == "d":  # (a deleted touch may make its lead's last activity earlier)
            self.unknown = self._archiver.activity(op[1], {}) is not None  # type: ignore[union-attr]
            return
        found = self._archiver.activity(op[1], op[3])  # type: ignore[union-attr]
        if found is None:
            return
        lead_id, stamp = found
        if stamp is None:
            self.unknown = True
        elif stamp > self._latest.get(lead_id, ""):
            self._latest[lead_id] = stamp

    def bound(self) -> str | None:
        """The earliest last activity any closed lead of the working set may have now
        ("" for none; None: unknown)."""
        if self.unknown:
            return None
        stamps = [stamp for stamp in (self.quiet, *self._latest.values()) if stamp]
        return min(stamps) if stamps else ""

    def due(self) -> bool:
        """Could the archiver find anything to move now?"""
        bound = self.bound()
        cutoff = getattr(self._archiver, "cutoff", None)
        return bound is None or cutoff is None or (bound != "" and bound < cutoff())


def kept_segments(
    unread: Unread | None,
) -> tuple[ArchiveInfo | None, list[Place], tuple[tuple[str, int], ...] | None]:
    """What a compaction keeps of `unread`: the archive without the segments read into
    the tree (their documents are in the tree, and the archiver picks those still idle
    again), where the kept ones lie, and their places in archive files (None: in the
    snapshot, formats 2 and 3)."""
    if unread is None:
        return None, [], None
    info = unread.info
    if unread.loaded:
        keep = [n for n in range(len(info.segments)) if n not in unread.loaded]
        info = info.keeping(keep, unread.loaded_lookups)
    places = [place for n, place in enumerate(unread.places()) if n not in unread.loaded]
    return info, places, info.places


def needles_for(
    archiver: Archiver | None, unread: Unread, tree: Tree, seq: int, records: list[Record]
) -> list[bytes]:
    """What finds the archive segments that the documents written by `records` (those
    after `seq`) go with: read first, so that a record deleting an archived touch
    next to a write of its lead reads one segment, not the whole archive."""
    if archiver is None:
        return []
    needles: list[bytes] = []
    for record in records:
        if record.seq <= seq:
            continue
        for op in record.ops:
            if (
                isinstance(op, list)
                and len(op) == 4
                and op[0] == "p"
                and isinstance(op[1], str)
                and isinstance(op[2], str)
                and op[2].isdigit()
                and isinstance(op[3], dict)
                and unread.may_hold(tree, op)
            ):
                needles.extend(archiver.needles(op[1], op[3]))
    return needles


def merge_unread(path: Path, tree: Tree, unread: Unread) -> None:
    """Read every archive segment of `unread` not read yet into `tree` (`path`: the
    snapshot; errors name the file each segment lies in)."""
    for number, (where, fd, offset, length, crc) in enumerate(unread.places()):
        if number not in unread.loaded:
            data = _pread(where, fd, offset, length + 1)
            merge_archive(tree, check_segment(where, number + 1, data, length, crc))
            del data


def merge_holding(
    path: Path,
    tree: Tree,
    unread: Unread,
    needles: Sequence[bytes],
    archiver: Archiver | None,
    listeners: Sequence[Listener],
) -> bool:
    """Read into `tree` the segments of `unread` not read yet whose bytes contain one of
    `needles`, telling `listeners` about each document added (one already in the tree
    wins); True if any was read."""
    read_any = False
    for number, (where, fd, offset, length, crc) in enumerate(unread.places()):
        if number in unread.loaded or not needles:
            continue
        data = _pread(where, fd, offset, length + 1)
        if not any(needle in data for needle in needles):
            continue
        segment = check_segment(where, number + 1, data, length, crc)
        del data
        if archiver is not None:
            for name, values in archiver.lookups(segment).items():
                unread.loaded_lookups.setdefault(name, []).extend(values)
        for name, docs in segment.items():
            merge_absent = getattr(tree, "merge_absent", None)  # a LazyTree (parts.py)
            if merge_absent is not None and merge_absent(name, docs):
                added = docs  # (an unparsed table: its key check waits for its parse)
            else:
                table = tree.setdefault(name, {})
                added = {key: doc for key, doc in docs.items() if key not in table}
                table.update(added)
            for listener in listeners:
                learn_many = getattr(listener, "learn_many", None)
                if learn_many is not None:  # (the index: in one pass, 2,000 leads at a time)
                    learn_many(name, added)
                    continue
                for key, doc in added.items():
                    listener.changed(name, key, None, doc)
        unread.loaded.add(number)
        read_any = True
    return read_any


def read_each(places: list[Place], numbers: list[int], owned: list[int]) -> Iterator[Tree]:
    """Each segment at `places` (numbered `numbers`), read and checked; closes the
    descriptors `owned` at the end."""
    try:
        for number, (path, fd, offset, length, crc) in zip(numbers, places, strict=True):
            data = _pread(path, fd, offset, length + 1)
            segment = check_segment(path, number, data, length, crc)
            del data
            yield segment
    finally:
        for fd in owned:
            os.close(fd)


def _pread(path: Path, fd: int, offset: int, size: int) -> bytes:
    try:
        return os.pread(fd, size, offset)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read its archive: {exc.strerror or exc}") from None
