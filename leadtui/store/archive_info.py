"""The archive's summary in a snapshot's first line (`ArchiveInfo`): where each segment
lies, the highest ids inside them, and the sorted lookups that answer "is this archived?"
without reading the segments (see files.py for the format).

Formats 2 and 3 keep the segments in the snapshot itself, after its first line (or parts).
Format 4 keeps them in archive files beside it (`<database>.archive-<seq>-<hex>`, written
once and never changed): the header lists the files (`"files"`) and, for each segment,
its length, CRC-32, file number and offset (`ArchiveInfo.places`), where the lookups'
line lies (`lookups_at`: written with the segments, when they change), and `quiet` (when
a compaction can next find leads to move: see segments.Activity).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadtui.store.damage import damaged

if TYPE_CHECKING:
    from leadtui.store.files import Tree


@dataclass(frozen=True, slots=True)
class ArchiveInfo:
    """What the first line says about the archive segments that follow it.

    `segments`: (byte length without the newline, CRC-32) of each segment line in file
    order. `max_ids`: the highest document id per table inside the segments (new ids must
    pass them). `lookups`: name -> newline-separated values (with a newline at each end),
    e.g. the archived leads' ids and phone numbers, so that "is this in the archive?" is
    answered without reading it.
    """

    segments: tuple[tuple[int, int], ...]
    max_ids: dict[str, int]
    lookups: dict[str, str]  # (a `LazyLookups` when read from a format 3 snapshot)
    counts: dict[str, int] | None = field(default=None, compare=False)
    # (archive file name, offset) of each segment, in the order of `segments`; None: the
    # segments follow the snapshot's first line (formats 2 and 3)
    places: tuple[tuple[str, int], ...] | None = None
    # format 4: (archive file name, offset, length, CRC-32) of the lookups' line, which
    # lies in an archive file too; None while they are only in memory (a changed archive)
    lookups_at: tuple[str, int, int, int] | None = None
    # the earliest last activity among the closed leads left in the working set when
    # the snapshot was written ("" for none; None: not said), see segments.Activity
    quiet: str | None = field(default=None, compare=False)

    def located(self, places: Iterable[tuple[str, int]]) -> ArchiveInfo:
        """This archive with its segments at `places` (archive files, format 4)."""
        where = tuple(places)
        if len(where) != len(self.segments):
            raise ValueError("one place per segment")
        return replace(self, places=where)

    @property
    def files(self) -> list[str]:
        """The archive files the segments lie in (in order of first use; [] for 2 and 3)."""
        names = [name for name, _ in self.places or ()]
        if self.lookups_at is not None:
            names.append(self.lookups_at[0])
        return list(dict.fromkeys(names))

    @classmethod
    def of(cls, segment: bytes, docs: Tree, lookups: dict[str, list[str]]) -> ArchiveInfo:
        """The archive made of one new segment (`segment` is `dumps(docs)`)."""
        return cls(
            ((len(segment), zlib.crc32(segment)),),
            {name: max(map(int, table)) for name, table in docs.items() if table},
            {name: _joined(values) for name, values in lookups.items()},
        )

    def plus(self, other: ArchiveInfo) -> ArchiveInfo:
        """This archive with `other`'s segments appended."""
        max_ids = dict(self.max_ids)
        for name, top in other.max_ids.items():
            max_ids[name] = max(top, max_ids.get(name, 0))
        lookups = dict(self.lookups)
        for name, values in other.lookups.items():
            mine = lookups.get(name, "\n")
            lookups[name] = _joined([*mine[1:-1].split("\n"), *values[1:-1].split("\n")])
        places = None
        if self.places is not None and other.places is not None:
            places = self.places + other.places
        return ArchiveInfo(self.segments + other.segments, max_ids, lookups, places=places)

    def keeping(self, numbers: Iterable[int], lookups: dict[str, list[str]]) -> ArchiveInfo:
        """This archive with only the segments `numbers` (from 0, in file order), its
        lookups without `lookups` (the values of the segments left out)."""
        kept = {name: blob for name, blob in self.lookups.items()}
        for name, values in lookups.items():
            blob = kept.get(name)
            if blob is None:
                continue
            gone = Counter(values)
            remaining = []
            for value in blob[1:-1].split("\n"):
                if gone[value] > 0:
                    gone[value] -= 1
                else:
                    remaining.append(value)
            kept[name] = _joined(remaining)
        wanted = set(numbers)
        segments = tuple(seg for n, seg in enumerate(self.segments) if n in wanted)
        places = None
        if self.places is not None:
            places = tuple(place for n, place in enumerate(self.places) if n in wanted)
        return ArchiveInfo(segments, dict(self.max_ids), kept, places=places)

    def holds(self, name: str, value: str) -> bool:
        """True if `value` is among the archived values called `name`: a binary search
        in the sorted, newline-separated text (no set of 200,000 strings in memory)."""
        blob = self.lookups.get(name)
        if not blob or "\n" in value:
            return False
        lo, hi = 0, len(blob) - 1  # newlines; the values between them are candidates
        while lo < hi:
            start = blob.rfind("\n", lo, (lo + hi) // 2 + 1)
            end = blob.find("\n", start + 1)
            item = blob[start + 1 : end]
            if item == value:
                return True
            if item < value:
                lo = end
            else:
                hi = start
        return False

    def count(self, name: str) -> int:
        """How many values the archive lists under `name` (from the header's counts when
        it has them: the lookups are not parsed for it)."""
        if self.counts is not None and not self.lookups_loaded:
            return self.counts.get(name, 0)
        return max(self.lookups.get(name, "").count("\n") - 1, 0)

    @property
    def lookups_loaded(self) -> bool:
        lookups = self.lookups
        return not isinstance(lookups, LazyLookups) or lookups.parsed

    def header_json(self) -> dict[str, Any]:
        """The archive header of a format 3 snapshot: the lookups go in their own part."""
        counts = self.counts if self.counts is not None and not self.lookups_loaded else None
        if counts is None:
            counts = {name: self.count(name) for name in self.lookups}
        header: dict[str, Any] = {"max_ids": self.max_ids, "counts": counts}
        if self.quiet is not None:
            header["quiet"] = self.quiet
        if self.places is None:
            header["segments"] = [list(segment) for segment in self.segments]
            return header
        files = self.files
        number = {name: n for n, name in enumerate(files)}
        header["files"] = files
        if self.lookups_at is not None:
            name, offset, length, crc = self.lookups_at
            header["lookups"] = [number[name], offset, length, crc]
        header["segments"] = [
            [length, crc, number[name], offset]
            for (length, crc), (name, offset) in zip(self.segments, self.places, strict=True)
        ]
        return header

    def lookups_bytes(self, encode: Callable[[Any], bytes]) -> bytes:
        """The line of the lookups part: the bytes read while they are not parsed (a
        `LazyLookups` never changes: a changed archive has new lookups), else encoded."""
        lookups = self.lookups
        if isinstance(lookups, LazyLookups):
            raw = lookups.raw()
            if raw is not None:
                return raw
        return encode(dict(lookups.items()))

    @property
    def size(self) -> int:
        """Bytes of the segments in the snapshot itself (each with its newline): 0 when
        they lie in archive files."""
        if self.places is not None:
            return 0
        return sum(length + 1 for length, _ in self.segments)

    def to_json(self) -> dict[str, Any]:
        return {
            "segments": [list(segment) for segment in self.segments],
            "max_ids": self.max_ids,
            "lookups": dict(self.lookups.items()),
        }

    @classmethod
    def from_header(
        cls, path: Path, value: Any, lookups: bytes, parse: Callable[[bytes], Any]
    ) -> ArchiveInfo:
        """The archive of a format 3 header; its lookups (`lookups`: their line, checked)
        are parsed on first use."""
        counts = value.get("counts") if isinstance(value, dict) else None
        if not isinstance(counts, dict) or not all(type(n) is int for n in counts.values()):
            raise damaged(path, "unexpected content: the archive header is malformed")
        files = value.get("files")
        places: tuple[tuple[str, int], ...] | None = None
        lookups_at = None
        if files is not None:
            segments, places = _located(path, files, value.get("segments"))
            lookups_at = lookups_place(path, value)
            value = {**value, "segments": segments}
        info = cls.from_json(path, {**value, "lookups": {}})
        lazy = LazyLookups(path, lookups, parse)
        quiet = value.get("quiet")
        quiet = quiet if isinstance(quiet, str) and len(quiet) <= 64 else None
        return cls(info.segments, info.max_ids, lazy, counts, places, lookups_at, quiet)

    @classmethod
    def from_json(cls, path: Path, value: Any) -> ArchiveInfo:
        problem = damaged(path, "unexpected content: the archive header is malformed")
        if not isinstance(value, dict):
            raise problem
        segments, max_ids, lookups = (
            value.get("segments"),
            value.get("max_ids"),
            value.get("lookups"),
        )
        if not (
            isinstance(segments, list) and isinstance(max_ids, dict) and isinstance(lookups, dict)
        ):
            raise problem
        pairs: list[tuple[int, int]] = []
        for segment in segments:
            if not (isinstance(segment, list) and len(segment) == 2) or not all(
                type(n) is int and n >= 0 for n in segment
            ):
                raise problem
            pairs.append((segment[0], segment[1]))
        if not all(type(n) is int for n in max_ids.values()) or not all(
            type(v) is str for v in lookups.values()
        ):
            raise problem
        return cls(tuple(pairs), max_ids, lookups)


class LazyLookups(dict):  # type: ignore[type-arg]
    """The archive's lookups of a format 3 snapshot: their line is read and parsed the
    first time a value is looked up (opening never needs them; counts are in the header)."""

    __slots__ = ("parsed", "_data", "_parse", "_path")

    def __init__(self, path: Path, data: bytes, parse: Callable[[bytes], Any]) -> None:
        super().__init__()
        self.parsed = False
        self._data: bytes | None = data  # the line as read (checked), until parsed
        self._parse, self._path = parse, path

    def raw(self) -> bytes | None:
        """The line as read, while it is not parsed (then only the parsed form is kept:
        at 200,000 leads each is ~15 MB)."""
        return self._data

    def _load(self) -> None:
        if self.parsed:
            return
        assert self._data is not None
        value = self._parse(self._data)
        if not isinstance(value, dict) or not all(type(v) is str for v in value.values()):
            raise damaged(self._path, "unexpected content: the archive header is malformed")
        dict.update(self, value)
        self.parsed = True
        self._data = None

    def get(self, name: str, default: Any = None) -> Any:
        self._load()
        return dict.get(self, name, default)

    def __getitem__(self, name: str) -> Any:
        self._load()
        return dict.__getitem__(self, name)

    def __contains__(self, name: object) -> bool:
        self._load()
        return dict.__contains__(self, name)

    def items(self) -> Any:
        self._load()
        return dict.items(self)

    def keys(self) -> Any:
        self._load()
        return dict.keys(self)

    def values(self) -> Any:
        self._load()
        return dict.values(self)

    def __iter__(self) -> Any:
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)


#: What an archive file may be called (a plain name beside the snapshot, never a path).
ARCHIVE_NAME = re.compile(r"[^./\\\x00][^/\\\x00]{0,200}\.archive-[0-9]{1,20}-[0-9a-f]{8}")


def archive_file_name(database: str, seq: int, token: str) -> str:
    """The name of a new archive file of the database file `database` (a name)."""
    return f"{database}.archive-{seq}-{token}"


def lookups_place(path: Path, value: Any) -> tuple[str, int, int, int]:
    """Where a format 4 archive header (`value`) says its lookups' line lies."""
    files, at = value.get("files"), value.get("lookups")
    if not (
        isinstance(files, list)
        and isinstance(at, list)
        and len(at) == 4
        and all(type(n) is int and n >= 0 for n in at)
        and at[0] < len(files)
        and isinstance(files[at[0]], str)
        and ARCHIVE_NAME.fullmatch(files[at[0]])
    ):
        raise damaged(path, "unexpected content: the archive header is malformed")
    return files[at[0]], at[1], at[2], at[3]


def _located(
    path: Path, files: Any, segments: Any
) -> tuple[list[list[int]], tuple[tuple[str, int], ...]]:
    """(length, CRC-32) and (file, offset) of each segment of a format 4 archive header."""
    problem = damaged(path, "unexpected content: the archive header is malformed")
    if not (isinstance(files, list) and isinstance(segments, list)) or not all(
        isinstance(name, str) and ARCHIVE_NAME.fullmatch(name) for name in files
    ):
        raise problem
    pairs: list[list[int]] = []
    places: list[tuple[str, int]] = []
    for item in segments:
        if not (
            isinstance(item, list)
            and len(item) == 4
            and all(type(n) is int and n >= 0 for n in item)
            and item[2] < len(files)
        ):
            raise problem
        pairs.append(item[:2])
        places.append((files[item[2]], item[3]))
    return pairs, tuple(places)


def _joined(values: list[str]) -> str:
    """The values sorted, each followed by a newline, after a leading one ("\n" if none)."""
    return "\n" + "".join(f"{value}\n" for value in sorted(values) if value and "\n" not in value)
