"""On-disk formats of the store: the snapshot and the journal, read, checked and written.

The database `leads.json` is a snapshot. Its first line is a TinyDB-shaped JSON tree
(table -> document id -> document) plus a header `"_leadtui": {"format": F, "seq": N}`
saying which journal records it already contains. Format 2 adds the archive: documents
moved out of the working set (closed leads nobody has touched for a while, and their
touches) follow the first line as "segments", one JSON line each (`{table: {id: doc}}`),
which the header lists with their length and CRC-32 (`"archive"`, see `ArchiveInfo`). A
reader parses the first line only and reads the segments when it needs them, so opening
costs the working set, not the whole history. A snapshot without an archive is written as
format 1, which is one line (older versions read it). Format 3 splits the working set into
parts (parts.py); format 4 is format 3 with the segments in archive files beside the
snapshot instead of after its parts:

    leads.json                            header, parts (the working set)
    leads.json.archive-<seq>-<hex>        archive segment lines, written once, never changed

The header names each segment's file, offset, length and CRC-32 (archive_info.py), so a
compaction writes and fsyncs only the working set, plus a new archive file when documents
move into the archive. A file stays while the snapshot or `.bak` names it; files nothing
names (an interrupted compaction's) are removed by the next compaction or `doctor --repair`.
Formats 2 and 3 are read as before and rewritten as format 4 at their next compaction.

`leads.json.journal` holds the changes made since the snapshot, one line per transaction:
`<crc32 hex> <json>` where the JSON is `{"seq": N, "ops": [...]}`. A line whose checksum
does not match is a torn write only when nothing valid follows it (a crash during the last
append); anywhere else it is damage.

Nothing in this module changes an existing file: it reads, validates, and writes new files
(mode 0600 whatever the umask) that callers then rename into place. The errors live in
damage.py, the archive summary in archive_info.py, the segments and archive files in
archive_files.py, the file helpers in fileio.py (their
names are still importable from here).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from leadtui.store.archive_files import archive_file as archive_file
from leadtui.store.archive_files import archive_needs as archive_needs
from leadtui.store.archive_files import check_segment as check_segment
from leadtui.store.archive_files import check_tree as check_tree
from leadtui.store.archive_files import open_archive_file as open_archive_file
from leadtui.store.archive_files import read_archive_files as read_archive_files
from leadtui.store.archive_files import read_lookups
from leadtui.store.archive_info import ARCHIVE_NAME, lookups_place
from leadtui.store.archive_info import ArchiveInfo as ArchiveInfo
from leadtui.store.damage import DOCTOR_HINT as DOCTOR_HINT
from leadtui.store.damage import StoreDamaged as StoreDamaged
from leadtui.store.damage import StoreTooNew as StoreTooNew
from leadtui.store.damage import damaged as damaged
from leadtui.store.damage import too_new as too_new
from leadtui.store.fileio import FILE_MODE as FILE_MODE
from leadtui.store.fileio import FileNames as FileNames
from leadtui.store.fileio import copy_chunks as copy_chunks
from leadtui.store.fileio import create_private as create_private
from leadtui.store.fileio import keep_copy as keep_copy
from leadtui.store.fileio import odd_file as odd_file
from leadtui.store.fileio import open_binary as open_binary
from leadtui.store.fileio import open_regular as open_regular
from leadtui.store.fileio import paused_gc as paused_gc
from leadtui.store.fileio import read_bytes as read_bytes
from leadtui.store.fileio import replace_atomically as replace_atomically
from leadtui.store.fileio import write_all as write_all
from leadtui.store.fileio import write_new_file as write_new_file
from leadtui.store.parts import (
    LOOKUPS,
    READ_WHEN_USED,
    LazyTree,
    Part,
    PartSource,
    check_bytes,
    loads,
    parse_parts,
)
from leadtui.store.protocol import StoreError

# 1: one line; 2: the first line, then archive segments; 3: parts (parts.py); 4: parts,
# the segments in archive files
FORMAT = 4
HEADER = "_leadtui"

Tree = dict[str, dict[str, dict[str, Any]]]


# --- encoding -------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    """Compact ASCII JSON (lone surrogates and control characters escaped, never raw)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()


def encode_record(seq: int, ops: list[list[Any]]) -> bytes:
    """One journal line."""
    payload = dumps({"seq": seq, "ops": ops})
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def encode_snapshot(tree: Tree, seq: int, archive: ArchiveInfo | None = None) -> bytes:
    """The first line of a snapshot (the whole file when there is no archive): the header
    first, then the tables. The archive's segments follow it, each on its own line."""
    header: dict[str, Any] = {"format": 1, "seq": seq}
    if archive is not None and archive.segments:
        header = {"format": 2, "seq": seq, "archive": archive.to_json()}
    data: dict[str, Any] = {HEADER: header}
    for name in tree:
        data[name] = tree[name]
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
        value = loads(payload)
    except (ValueError, UnicodeDecodeError):
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
    """The first line of a format 1 or 2 snapshot: tables, journal sequence number,
    archive (if any); StoreDamaged or StoreTooNew when it is not one this version can
    use (a format 3 header is read by `parse_first_line`)."""
    value, seq, header = _parse_header(path, data)
    if header["format"] >= 3:
        raise damaged(path, "unexpected content: the first line is a header without its parts")
    check_tree(path, value)
    archive = ArchiveInfo.from_json(path, header["archive"]) if "archive" in header else None
    return value, seq, archive


def _parse_header(path: Path, data: bytes | str) -> tuple[dict[str, Any], int, dict[str, Any]]:
    if not data:
        raise damaged(path, "the file is empty (0 bytes), which means it is damaged, not new")
    try:
        value = loads(data)
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
    return value, seq, header


def check_size(path: Path, head_end: int, archive: ArchiveInfo | None, size: int) -> None:
    """StoreDamaged unless the file is as long as its first line and segments say (the
    segments in it: format 2 and 3)."""
    expected = head_end + (archive.size if archive else 0)
    if size < expected:
        raise damaged(path, f"the file is truncated (it ends at byte {size} of {expected})")
    if size > expected:
        raise damaged(path, f"unexpected content after byte {expected} (the file has {size})")


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
    if isinstance(tree, LazyTree):
        tree.load_all()  # (every table checked now, as the whole state is asked for)
    if archive is not None and archive.places is not None:
        for segment in read_archive_files(path, archive):
            merge_archive(tree, segment)
    elif archive is not None:
        for segment in _segments(path, lambda at, size: data[at : at + size], head_end, archive):
            merge_archive(tree, segment)
    return tree, seq, archive


def named_archives(path: Path) -> list[str]:
    """The archive files the snapshot file at `path` names (format 4); [] when it names
    none, or cannot be read (its damage is reported by whoever reads it whole)."""
    try:
        with open_binary(path) as handle:
            line = handle.readline()
        _, _, header = _parse_header(path, line)
    except (OSError, StoreError):
        return []
    archive = header.get("archive")
    files = archive.get("files") if isinstance(archive, dict) else None
    if not isinstance(files, list):
        return []
    return [name for name in files if isinstance(name, str) and ARCHIVE_NAME.fullmatch(name)]


def parse_first_line(
    path: Path,
    data: bytes,
    whole: Callable[[], bytes] | None = None,
    read_at: Callable[[int, int], bytes] | None = None,
) -> tuple[Tree, int, ArchiveInfo | None, int]:
    """The tables, journal sequence number and archive of a snapshot from its first line
    (`data` may hold more), and the offset where its archive segments start. A format 1
    file spread over several lines (written by hand) is read whole: `whole` returns the
    complete file when `data` is only its first line. A format 3 header's parts are read
    with `read_at(offset, size)` (default: from `data`) and parsed when first used."""
    end = data.find(b"\n")
    if end < 0:
        tree, seq, archive = parse_head(path, data)
        return tree, seq, archive, len(data)
    try:
        value, seq, header = _parse_header(path, data[:end])
    except StoreDamaged:
        full = data if whole is None else whole()
        tree, seq, archive = parse_head(path, full)
        if archive is not None:
            raise damaged(path, "unexpected content: the first line is not a snapshot") from None
        return tree, seq, None, len(full)
    if header["format"] < 3:
        check_tree(path, value)
        archive = ArchiveInfo.from_json(path, header["archive"]) if "archive" in header else None
        return value, seq, archive, end + 1
    if value:
        raise damaged(path, "unexpected content: tables in a format 3 header")
    return _format3(path, header, seq, end + 1, read_at or (lambda at, size: data[at : at + size]))


def _format3(
    path: Path, header: dict[str, Any], seq: int, start: int, read_at: Callable[[int, int], bytes]
) -> tuple[Tree, int, ArchiveInfo | None, int]:
    parts = parse_parts(path, header, start)
    head_end = parts[-1].offset + parts[-1].length + 1 if parts else start
    # every part's bytes are read and CRC-checked now (the file may be replaced later,
    # and damage is found at open, as before), but those a kept snapshot (`PartSource`)
    # gives when used (READ_WHEN_USED: checked then); each is parsed when first used
    source = read_at if isinstance(read_at, PartSource) else None
    read: list[tuple[Part, bytes | None]] = [
        (part, None if source and part.name in READ_WHEN_USED else
         read_at(part.offset, part.length + 1))
        for part in parts
    ]  # fmt: skip
    for part, data in read:
        if data is not None:
            check_bytes(path, part, data)
    tree = LazyTree(path, [pair for pair in read if pair[0].name != LOOKUPS], check_tree, source)
    vouched = header.get("vouched")
    if isinstance(vouched, list):
        tree.vouched = tuple(name for name in vouched if isinstance(name, str))
    spliced = header.get("spliced")
    if isinstance(spliced, dict):
        tree.spliced = {k: v for k, v in spliced.items() if type(v) is int and not tree.loaded(k)}
    tops = header.get("tops")
    if isinstance(tops, dict):
        tree.tops = {k: v for k, v in tops.items() if type(v) is int and not tree.loaded(k)}
    archive = None
    lookups = next((pair for pair in read if pair[0].name == LOOKUPS), None)
    if "archive" in header and header["format"] == 4:
        # (format 4: the lookups lie in an archive file; read and checked now, parsed
        # when first used)
        if lookups is not None or not isinstance(header["archive"], dict):
            raise damaged(path, "unexpected content: the archive header is malformed")
        line = read_lookups(path, *lookups_place(path, header["archive"]))
        archive = ArchiveInfo.from_header(path, header["archive"], line, loads)
    elif "archive" in header:
        if lookups is None:
            raise damaged(path, "unexpected content: the archive's lookups are missing")
        part, got = lookups
        assert got is not None  # (the lookups are always read at open)
        line = bytes(check_bytes(path, part, got))
        archive = ArchiveInfo.from_header(path, header["archive"], line, loads)
        if (archive.places is not None) != (header["format"] == 4):
            raise damaged(path, "unexpected content: the archive header is malformed")
    elif lookups is not None:
        raise damaged(path, "unexpected content: archive lookups without an archive")
    return cast(Tree, tree), seq, archive, head_end
