"""On-disk formats of the store: the snapshot, the journal, and safe file writing.

The database `leads.json` is a snapshot: a TinyDB-shaped JSON tree (table -> document id
-> document) plus a header `"_leadtui": {"format": 1, "seq": N}` saying which journal
records it already contains. `leads.json.journal` holds the changes made since, one line per
transaction: `<crc32 hex> <json>` where the JSON is `{"seq": N, "ops": [...]}`. A line whose
checksum does not match is a torn write only when nothing valid follows it (a crash during
the last append); anywhere else it is damage.

Nothing in this module changes an existing file: it reads, validates, and writes new files
(mode 0600 whatever the umask) that callers then rename into place.
"""

from __future__ import annotations

import gc
import json
import os
import re
import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadtui.store.protocol import StoreError

FORMAT = 1
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


def encode_snapshot(tree: Tree, seq: int) -> bytes:
    """The snapshot file's bytes: the header first, then the tables."""
    data: dict[str, Any] = {HEADER: {"format": FORMAT, "seq": seq}}
    data.update(tree)
    return dumps(data)


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


def parse_snapshot(path: Path, data: bytes | str) -> tuple[Tree, int]:
    """The tables and the journal sequence number of a snapshot; StoreDamaged or
    StoreTooNew when it is not one this version can use."""
    if not data:
        raise damaged(path, "the file is empty (0 bytes), which means it is damaged, not new")
    try:
        value = json.loads(data)
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
    return value, seq


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


def fsync_dir(directory: Path) -> None:
    """Make renames and new names in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def write_new_file(path: Path, data: bytes) -> None:
    """Write `data` to a new file (0600) and fsync it; removes it again on failure."""
    fd = create_private(path)
    try:
        write_all(fd, data)
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


def compact_files(names: FileNames, tree: Tree, seq: int) -> None:
    """Write `tree` (the state after record `seq`) as the new snapshot, keeping the old one
    as `.bak` and moving the journal to `.journal.bak`. Safe to interrupt at any point."""
    for left_over in names.temps():
        left_over.unlink(missing_ok=True)
    temp = names.temp()
    write_new_file(temp, encode_snapshot(tree, seq))
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


def read_bytes(path: Path, offset: int = 0) -> bytes:
    """The file's bytes from `offset` to its end."""
    with open(path, "rb") as handle:
        if offset:
            handle.seek(offset)
        return handle.read()
