"""On-disk formats of the store: the snapshot, the journal, and safe file writing.

The database `leads.json` is a snapshot. Its first line is a TinyDB-shaped JSON tree
(table -> document id -> document) plus a header `"_leadtui": {"format": F, "seq": N}`
saying which journal records it already contains. Format 2 adds the archive: documents
moved out of the working set (closed leads nobody has touched for a while, and their
touches) follow the first line as "segments", one JSON line each (`{table: {id: doc}}`),
which the header lists with their length and CRC-32 (`"archive"`, see `ArchiveInfo`). A
reader parses the first line only and reads the segments when it needs them, so opening
costs the working set, not the whole history. A snapshot without an archive is written as
format 1, which is one line (older versions read it).

`leads.json.journal` holds the changes made since the snapshot, one line per transaction:
`<crc32 hex> <json>` where the JSON is `{"seq": N, "ops": [...]}`. A line whose checksum
does not match is a torn write only when nothing valid follows it (a crash during the last
append); anywhere else it is damage.

Nothing in this module changes an existing file: it reads, validates, and writes new files
(mode 0600 whatever the umask) that callers then rename into place.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import re
import secrets
import stat
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from leadtui.paths import fsync_dir
from leadtui.store.protocol import StoreError

FORMAT = 2  # 1: one line; 2: the first line, then archive segments
HEADER = "_leadtui"
FILE_MODE = 0o600
DOCTOR_HINT = "run `leadtui doctor` (then `leadtui doctor --repair` to restore the last good state)"

Tree = dict[str, dict[str, dict[str, Any]]]


class StoreDamaged(StoreError):
    """A file of the database is unreadable, truncated or of the wrong shape."""


class StoreTooNew(StoreError):
    """The database was written by a newer leadtui."""


def damaged(path: Path, problem: str) -> StoreDamaged:
    """The error for a damaged file: names it, says what is wrong and what to do."""
    return StoreDamaged(f"{path}: {problem}; the file was left unchanged: {DOCTOR_HINT}")


def too_new(path: Path, what: str, found: int, known: int) -> StoreTooNew:
    """The error for a file from a newer leadtui."""
    return StoreTooNew(
        f"{path} was written by a newer leadtui ({what} {found}; this version reads up to "
        f"{known}): upgrade leadtui to open it; the file was left unchanged"
    )


@dataclass(frozen=True, slots=True)
class FileNames:
    """Every file belonging to one database."""

    snapshot: Path

    @property
    def journal(self) -> Path:
        return self._sibling(".journal")

    @property
    def backup(self) -> Path:
        """The previous snapshot, kept at each compaction."""
        return self._sibling(".bak")

    @property
    def journal_backup(self) -> Path:
        """The journal that led from `backup` to the current snapshot."""
        return self._sibling(".journal.bak")

    @property
    def lock(self) -> Path:
        return self._sibling(".lock")

    def temp(self) -> Path:
        """A fresh name for a file being written (renamed into place when complete)."""
        return self._sibling(f".tmp-{os.getpid()}-{secrets.token_hex(4)}")

    def temps(self) -> Iterator[Path]:
        """Left-over temporary files (from a crash during a write)."""
        return self.snapshot.parent.glob(self.snapshot.name + ".tmp-*")

    def _sibling(self, suffix: str) -> Path:
        return self.snapshot.with_name(self.snapshot.name + suffix)


# --- encoding -------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    """Compact ASCII JSON (lone surrogates and control characters escaped, never raw)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()


def encode_record(seq: int, ops: list[list[Any]]) -> bytes:
    """One journal line."""
    payload = dumps({"seq": seq, "ops": ops})
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


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
    lookups: dict[str, str]

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
        return ArchiveInfo(self.segments + other.segments, max_ids, lookups)

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
        return ArchiveInfo(segments, dict(self.max_ids), kept)

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
        """How many values the archive lists under `name`."""
        return max(self.lookups.get(name, "").count("\n") - 1, 0)

    @property
    def size(self) -> int:
        """Bytes of the segments in the file (each with its newline)."""
        return sum(length + 1 for length, _ in self.segments)

    def to_json(self) -> dict[str, Any]:
        return {
            "segments": [list(segment) for segment in self.segments],
            "max_ids": self.max_ids,
            "lookups": self.lookups,
        }

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


def _joined(values: list[str]) -> str:
    """The values sorted, each followed by a newline, after a leading one ("\n" if none)."""
    return "\n" + "".join(f"{value}\n" for value in sorted(values) if value and "\n" not in value)


def encode_snapshot(tree: Tree, seq: int, archive: ArchiveInfo | None = None) -> bytes:
    """The first line of a snapshot (the whole file when there is no archive): the header
    first, then the tables. The archive's segments follow it, each on its own line."""
    header: dict[str, Any] = {"format": 1, "seq": seq}
    if archive is not None and archive.segments:
        header = {"format": 2, "seq": seq, "archive": archive.to_json()}
    data: dict[str, Any] = {HEADER: header}
    data.update(tree)
    return dumps(data)


def encode_snapshot_chunks(
    tree: Tree,
    seq: int,
    archive: ArchiveInfo | None,
    table: str,
    extra: Iterable[bytes],
) -> Iterator[bytes]:
    """The first line of a snapshot, like `encode_snapshot`, in chunks, with `extra` (each
    the bytes of one `"<id>":{document}` member) appended to `table`'s documents. The
    extra documents are only passed through: they are never all in memory."""
    header: dict[str, Any] = {"format": 1, "seq": seq}
    if archive is not None and archive.segments:
        header = {"format": 2, "seq": seq, "archive": archive.to_json()}
    yield b'{"' + HEADER.encode() + b'":' + dumps(header)
    names = list(tree)
    if table not in names:
        names.append(table)
    for name in names:
        body = dumps(tree.get(name, {}))
        yield b"," + dumps(name) + b":"
        if name != table:
            yield body
            continue
        yield body[:-1]
        comma = body != b"{}"
        batch: list[bytes] = []
        for member in extra:
            batch.append(member)
            if len(batch) >= 4096:
                yield (b"," if comma else b"") + b",".join(batch)
                comma, batch = True, []
        if batch:
            yield (b"," if comma else b"") + b",".join(batch)
        yield b"}"
    yield b"}"


# --- decoding -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One journal transaction."""

    seq: int
    ops: list[Any]
    end: int  # offset just past its line in the journal


def _decode_line(line: bytes) -> tuple[int, list[Any]] | None:
    if len(line) < 10 or line[8:9] != b" ":
        return None
    payload = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(payload):
            return None
        value = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    seq, ops = value.get("seq"), value.get("ops")
    if type(seq) is not int or not isinstance(ops, list):
        return None
    return seq, ops


# What an interrupted append can leave after the last good record: the start of one of our
# lines (8 hex digits, a space, ASCII JSON), at most one line, perhaps with zeros where the
# file system lost a page. Anything else there (other text, binary garbage, several lines)
# is damage, not a torn write, and must not be silently dropped.
_TORN_TAIL = re.compile(rb"(?:[0-9a-f\x00]{0,8}(?:[ \x00][\x20-\x7e\x00]*)?)?\n?")


def parse_journal(path: Path, data: bytes, base: int) -> tuple[list[Record], int]:
    """The complete records in `data` (journal bytes starting at offset `base`), and the
    offset just past the last one. A tail that looks like an interrupted append is a torn
    write and is left out; an invalid line with valid lines after it, or a tail that no
    append of ours could have left, raises StoreDamaged."""
    records: list[Record] = []
    pos = 0
    size = len(data)
    while pos < size:
        nl = data.find(b"\n", pos)
        decoded = None if nl < 0 else _decode_line(data[pos:nl])
        if decoded is None:
            if nl >= 0 and _valid_line_after(data, nl + 1):
                raise damaged(path, f"journal record at byte {base + pos} is corrupt")
            if not _TORN_TAIL.fullmatch(data, pos):
                raise damaged(
                    path, f"unexpected content at byte {base + pos} (not a leadtui journal record)"
                )
            break  # a write that never finished
        records.append(Record(decoded[0], decoded[1], base + nl + 1))
        pos = nl + 1
    return records, base + pos


def _valid_line_after(data: bytes, pos: int) -> bool:
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return False
        if _decode_line(data[pos:nl]) is not None:
            return True
        pos = nl + 1
    return False


def parse_head(path: Path, data: bytes | str) -> tuple[Tree, int, ArchiveInfo | None]:
    """The first line of a snapshot: tables, journal sequence number, archive (if any);
    StoreDamaged or StoreTooNew when it is not one this version can use."""
    if not data:
        raise damaged(path, "the file is empty (0 bytes), which means it is damaged, not new")
    try:
        value = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except UnicodeDecodeError:
        raise damaged(path, "the file is not UTF-8 text (garbage or another file)") from None
    except json.JSONDecodeError as exc:
        text = data.strip() if isinstance(data, str) else data.decode("utf-8", "replace").strip()
        if text.startswith("{") and (exc.pos >= len(text) or not text.endswith("}")):
            raise damaged(path, f"the file is truncated (it ends at byte {len(data)})") from None
        raise damaged(path, f"the file is not valid JSON (error at byte {exc.pos})") from None
    if not isinstance(value, dict):
        raise damaged(path, "unexpected content: not a leadtui database (no object at the top)")
    header = value.pop(HEADER, None)
    if not isinstance(header, dict):
        raise damaged(path, "unexpected content: not a leadtui database (no leadtui header)")
    fmt, seq = header.get("format"), header.get("seq")
    if type(fmt) is not int or type(seq) is not int or seq < 0:
        raise damaged(path, "unexpected content: the leadtui header is malformed")
    if fmt > FORMAT:
        raise too_new(path, "storage format", fmt, FORMAT)
    check_tree(path, value)
    archive = ArchiveInfo.from_json(path, header["archive"]) if "archive" in header else None
    return value, seq, archive


def check_size(path: Path, head_end: int, archive: ArchiveInfo | None, size: int) -> None:
    """StoreDamaged unless the file is as long as its first line and segments say."""
    expected = head_end + (archive.size if archive else 0)
    if size < expected:
        raise damaged(path, f"the file is truncated (it ends at byte {size} of {expected})")
    if size > expected:
        raise damaged(path, f"unexpected content after byte {expected} (the file has {size})")


def read_segments(path: Path, fd: int, offset: int, archive: ArchiveInfo) -> Iterator[Tree]:
    """The archive's segments, read from the open snapshot `fd` (segments start at
    `offset`), each checked against its length and CRC-32 before it is parsed."""
    return _segments(path, lambda at, size: os.pread(fd, size, at), offset, archive)


def _segments(
    path: Path, read: Callable[[int, int], bytes], offset: int, archive: ArchiveInfo
) -> Iterator[Tree]:
    """Each segment as `read(offset, size)` gives its bytes: length, newline and CRC-32
    checked, then parsed."""
    for number, (length, crc) in enumerate(archive.segments, start=1):
        data = read(offset, length + 1)
        tree = check_segment(path, number, data, length, crc)
        del data
        offset += length + 1
        yield tree


def check_segment(path: Path, number: int, data: bytes, length: int, crc: int) -> Tree:
    """Segment `number` (from 1) parsed from its bytes (`data`: the line and its newline),
    once its length, newline and CRC-32 are checked."""
    if len(data) != length + 1:
        raise damaged(path, f"archive segment {number} is truncated")
    if data[-1:] != b"\n" or zlib.crc32(memoryview(data)[:-1]) != crc:
        raise damaged(path, f"archive segment {number} is corrupt (checksum mismatch)")
    return _parse_segment(path, number, memoryview(data)[:-1])


def merge_archive(tree: Tree, segment: Tree) -> None:
    """Add an archive segment's documents to `tree` (a document already there wins)."""
    for name, docs in segment.items():
        table = tree.setdefault(name, {})
        if table:
            for key, doc in docs.items():
                table.setdefault(key, doc)
        else:
            table.update(docs)


def parse_snapshot(path: Path, data: bytes) -> tuple[Tree, int, ArchiveInfo | None]:
    """The whole state a snapshot file holds (archive included), its journal sequence
    number and its archive header; StoreDamaged or StoreTooNew when it is not one this
    version can use."""
    tree, seq, archive, head_end = parse_first_line(path, data)
    check_size(path, head_end, archive, len(data))
    if archive is not None:
        for segment in _segments(path, lambda at, size: data[at : at + size], head_end, archive):
            merge_archive(tree, segment)
    return tree, seq, archive


def parse_first_line(
    path: Path, data: bytes, whole: Callable[[], bytes] | None = None
) -> tuple[Tree, int, ArchiveInfo | None, int]:
    """`parse_head` of the first line of `data` and the offset just past it. A format 1
    file spread over several lines (written by hand) is read whole: `whole` returns the
    complete file when `data` is only its first line."""
    end = data.find(b"\n")
    if end < 0:
        tree, seq, archive = parse_head(path, data)
        return tree, seq, archive, len(data)
    try:
        tree, seq, archive = parse_head(path, data[:end])
    except StoreDamaged:
        full = data if whole is None else whole()
        tree, seq, archive = parse_head(path, full)
        if archive is not None:
            raise damaged(path, "unexpected content: the first line is not a snapshot") from None
        return tree, seq, None, len(full)
    return tree, seq, archive, end + 1


def _parse_segment(path: Path, number: int, data: bytes | memoryview) -> Tree:
    try:
        tree = json.loads(bytes(data) if isinstance(data, memoryview) else data)
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


# --- writing --------------------------------------------------------------------------


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written."""
    view = memoryview(data)
    while view:
        done = os.write(fd, view)
        view = view[done:]


def create_private(path: Path, flags: int = os.O_WRONLY) -> int:
    """Create a new file mode 0600 (umask ignored) and return its descriptor."""
    fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_new_file(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or chunks of them) to a new file (0600) and fsync it; removes
    it again on failure."""
    fd = create_private(path)
    try:
        for chunk in [data] if isinstance(data, bytes) else data:
            write_all(fd, chunk)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def replace_atomically(path: Path, data: bytes, names: FileNames) -> None:
    """Write `data` to a temporary file, fsync, rename over `path`, fsync the directory."""
    temp = names.temp()
    write_new_file(temp, data)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def keep_copy(source: Path, target: Path, names: FileNames) -> None:
    """Make `target` a durable copy of `source` (a hard link where possible)."""
    temp = names.temp()
    try:
        os.link(source, temp)
    except OSError:
        write_new_file(temp, source.read_bytes())
    os.replace(temp, target)
    # rename() does nothing when both names already link the same file (target was kept
    # from `source` before): do not leave the temporary name behind then
    temp.unlink(missing_ok=True)


def compact_files(
    names: FileNames,
    tree: Tree,
    seq: int,
    archive: ArchiveInfo | None = None,
    segments: Iterable[bytes] = (),
    extra: tuple[str, Iterable[bytes]] | None = None,
) -> int:
    """Write `tree` (the state after record `seq`) as the new snapshot, followed by the
    archive's segment lines (`segments`: their bytes, newlines included, in chunks), keeping
    the old snapshot as `.bak` and moving the journal to `.journal.bak`. Safe to interrupt
    at any point. Returns the length of the first line (where the segments start).
    `extra` (table, members): documents streamed into that table of the first line."""
    for left_over in names.temps():
        left_over.unlink(missing_ok=True)
    temp = names.temp()
    newline = b"\n" if archive is not None and archive.segments else b""
    head_chunks: Iterable[bytes]
    if extra is None:
        head_chunks = [encode_snapshot(tree, seq, archive) + newline]
    else:
        head_chunks = _chain_all(encode_snapshot_chunks(tree, seq, archive, *extra), newline)
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


def copy_chunks(fd: int, offset: int, length: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """`length` bytes of the open file `fd` from `offset`, a megabyte at a time."""
    end = offset + length
    while offset < end:
        data = os.pread(fd, min(chunk, end - offset), offset)
        if not data:
            raise OSError(f"the file ended at byte {offset} of {end} while copying it")
        offset += len(data)
        yield data


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while building many long-lived objects: CPython
    would otherwise rescan them all several times as they accumulate (most of the cost
    of reading 200,000 touches). Nothing built here forms reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def open_regular(path: Path, flags: int = os.O_RDONLY) -> int:
    """Open one of the database's own files: never through a symbolic link, never a FIFO,
    socket or device (opened without blocking, then checked: a FIFO would hang the command
    while it holds the lock). StoreError "not a regular file" otherwise; OSError as usual
    (FileNotFoundError included) for the rest."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(
                f"{path}: not a regular file (a symbolic link; leadtui never follows links "
                "to its own files: `leadtui doctor --repair` removes it)"
            ) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise StoreError(f"{path}: not a regular file ({_kind(mode)})")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link")):  # fmt: skip
        if test(mode):
            return name
    return "not a file"


def odd_file(path: Path) -> str | None:
    """What sits at `path` when it is not a regular file (checked with lstat: a link is a
    link, never followed); None when it is a regular file or nothing is there."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def open_binary(path: Path) -> BinaryIO:
    """`open_regular` as a binary file object."""
    return os.fdopen(open_regular(path), "rb")


def read_bytes(path: Path, offset: int = 0) -> bytes:
    """The file's bytes from `offset` to its end."""
    with open_binary(path) as handle:
        if offset:
            handle.seek(offset)
        return handle.read()
