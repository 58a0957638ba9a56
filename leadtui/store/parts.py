"""Snapshot format 3: the working set one line per table, each parsed when first used.

Format 1 and 2 put every table of the working set in the snapshot's first line, so
opening parsed all of it (10 MB at 50,000 leads), even the tables a read never looks at.
Format 3 makes the first line a small header that lists the "parts" that follow it, each
one JSON line with its byte length and CRC-32:

    {"_leadtui": {"format": 3, "seq": N, "parts": [[name, length, crc], ...],
                  "archive": {"segments": ..., "max_ids": ..., "counts": {...}}}}
    {"<id>": {document}, ...}          one line per table, in the order listed
    {"lead_ids": "...", ...}           the archive's lookups (part "_lookups"), if any
    <archive segment lines>            as in format 2

The header's optional `"vouched": [table, ...]` names derived tables (the `next` table of
next actions, store/next_cache.py) whose every document was written in the same journal
record as the last change to its lead's touches, or checked against them when the snapshot
was written (`LazyTree.vouched`): a reader may trust their touch fingerprints without
reading the touches.

Opening reads the header and keeps each part's bytes; a table is CRC-checked and parsed the
first time anything asks for it (`LazyTree`), so a read that needs the leads never parses
the due index or the archive's lookups. A compaction copies the lines of the tables that
nothing changed since this snapshot byte for byte (`Part.clean`).

JSON is decoded with msgspec when it can (3-4x faster than the standard library); input it
refuses (a lone surrogate escape, say) is decoded by the standard library, so the result
never depends on which decoder ran.
"""

from __future__ import annotations

import json
import os
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from leadtui.store.damage import damaged

LOOKUPS = "_lookups"  # the part holding the archive's lookups (never a table name)
#: tables whose puts wait until the table is parsed (`LazyTree.defer`): any put (each
#: lead's report figures: no reader needs the document a put replaces), or a new
#: document's (touches: the index learns them when it is built)
DEFER_ANY_PUT = ("figures",)
DEFER_NEW_PUT = ("touches",)
#: parts not even read at open: their line is read from the snapshot (and CRC-checked)
#: when the table is first parsed or written out (`PartSource`); every other part is read
#: and checked at open (each lead's report figures: 25 MB at 200,000 leads, only the report
#: reads them)
READ_WHEN_USED = ("figures",)


class PartSource:
    """A snapshot file kept open (its own descriptor: the file may be replaced by another
    process's compaction, the bytes read stay this snapshot's) to read parts from when
    they are used; closed once nothing refers to it."""

    __slots__ = ("fd", "__weakref__")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        weakref.finalize(self, _close_quietly, fd)

    def __call__(self, at: int, size: int) -> bytes:
        return os.pread(self.fd, size, at)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:  # pragma: no cover - already closed
        pass
#: the tables whose changes `LazyTree.note_op` follows: touches, and the derived table of
#: next actions (both hold the lead's id in "lead_id"; see store/next_cache.py)
_VOUCHING = ("touches", "next")

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


def loads(data: bytes | memoryview | str) -> Any:
    """`json.loads`, faster: msgspec first, the standard library for what it refuses."""
    try:
        return _decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        if not isinstance(data, str):
            data = bytes(data).decode("utf-8")  # (UnicodeDecodeError for non-UTF-8 bytes)
        return json.loads(data)


def dumps_table(table: dict[str, Any]) -> bytes:
    """A table's line: compact ASCII JSON as `files.dumps` writes it, encoded by msgspec
    when the result is plain ASCII (3-5x faster), else by the standard library (which
    escapes non-ASCII text and lone surrogates). The store's documents hold no floats
    (msgspec would write a NaN as null where the standard library refuses it)."""
    try:
        data = _encode(table)
    except (TypeError, ValueError, msgspec.EncodeError):
        data = b""
    if data and data.isascii():
        return data
    return json.dumps(table, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True, slots=True)
class Part:
    """One part line of a format 3 snapshot: where it lies and its checksum."""

    name: str
    offset: int  # in the snapshot file
    length: int  # without the newline
    crc: int


def parse_parts(path: Path, header: dict[str, Any], start: int) -> list[Part]:
    """The parts a format 3 header lists (the first at `start`)."""
    listed = header.get("parts")
    if not isinstance(listed, list):
        raise damaged(path, "unexpected content: the leadtui header is malformed")
    parts: list[Part] = []
    offset = start
    for item in listed:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and all(type(n) is int and n >= 0 for n in item[1:])
        ):
            raise damaged(path, "unexpected content: the leadtui header is malformed")
        parts.append(Part(item[0], offset, item[1], item[2]))
        offset += item[1] + 1
    return parts


def check_bytes(path: Path, part: Part, data: bytes) -> memoryview:
    """The line of a part (without its newline) from its bytes (the line and its
    newline), once its length, newline and CRC-32 are checked."""
    if len(data) != part.length + 1:
        raise damaged(path, f"the file is truncated (part {part.name!r})")
    view = memoryview(data)[:-1]
    if data[-1:] != b"\n" or zlib.crc32(view) != part.crc:
        raise damaged(path, f"part {part.name!r} of the snapshot is corrupt (checksum mismatch)")
    return view


def check_part(path: Path, part: Part, data: bytes) -> Any:
    """The JSON value of a part, from its bytes (the line and its newline), checked."""
    view = check_bytes(path, part, data)
    try:
        return loads(view)
    except (ValueError, UnicodeDecodeError):
        raise damaged(path, f"part {part.name!r} of the snapshot is not valid JSON") from None


class LazyTree(dict):  # type: ignore[type-arg]
    """The in-memory tree (table name -> {document key -> document}) whose tables not
    used yet are still bytes: reading a table in any way (`tree[name]`, `get`, `items`,
    `setdefault` ...) parses it first. Iterating the names never parses anything.

    `clean` keeps the parts no change has touched since the snapshot was read (parsed or
    not): a compaction copies their lines from that snapshot instead of encoding them."""

    __slots__ = ("clean", "tops", "vouched", "unvouched", "pending", "absent", "spliced", "_raw",
                 "_path", "_check", "_splice", "source")  # fmt: skip

    def __init__(
        self,
        path: Path,
        parts: list[tuple[Part, bytes | None]],
        check: Callable[[Path, Any], None],
        source: PartSource | None = None,
    ) -> None:
        super().__init__()
        # unparsed: the part, its line + "\n" (None: read from `source` when used)
        self._raw: dict[str, tuple[Part, bytes | None]] = {}
        self.source = source
        self.clean: dict[str, Part] = {}
        for part, data in parts:
            if part.name in self._raw:
                raise damaged(path, f"unexpected content: part {part.name!r} is listed twice")
            self._raw[part.name] = (part, data)
            self.clean[part.name] = part
        self._path = path
        self._check = check  # files.check_tree
        self.tops: dict[str, int] = {}  # the highest document key of each unparsed table
        # derived tables whose documents agree with the touches (see `vouch`)
        self.vouched: tuple[str, ...] = ()
        # leads whose touches changed since, in no record that also wrote their `next`
        # document: not vouched for (checked against their touches)
        self.unvouched: set[str] = set()
        # changes to unparsed tables, applied when the table is parsed (`defer`)
        self.pending: dict[str, list[list[Any]]] = {}
        # documents read back from the archive into unparsed tables (`merge_absent`):
        # each joins its table when parsed unless the table holds its key already
        self.absent: dict[str, dict[str, Any]] = {}
        # bytes of superseded documents each unparsed table's line carries (`unparsed`)
        self.spliced: dict[str, int] = {}
        self._splice: dict[str, tuple[bytes, int]] = {}  # a line `unparsed` made, for `rebased`

    @classmethod
    def wrap(cls, path: Path, tree: dict[str, Any], check: Callable[[Path, Any], None]) -> LazyTree:
        """`tree` (parsed) as a LazyTree with nothing clean (read from format 1 or 2)."""
        if isinstance(tree, LazyTree):
            return tree
        new = cls(path, [], check)
        for name, table in tree.items():
            dict.__setitem__(new, name, table)
        return new

    def derive(self, changes: dict[str, Any]) -> LazyTree:
        """A new tree: this one with the tables in `changes` replaced (the unparsed ones
        stay unparsed; this tree is left as it is)."""
        new = LazyTree(self._path, [], self._check, self.source)
        new._raw = {name: pair for name, pair in self._raw.items() if name not in changes}
        new.clean = {name: part for name, part in self.clean.items() if name not in changes}
        new.tops = {name: top for name, top in self.tops.items() if name in new._raw}
        new.vouched, new.unvouched = self.vouched, self.unvouched
        new.pending = {name: ops for name, ops in self.pending.items() if name in new._raw}
        new.absent = {name: docs for name, docs in self.absent.items() if name in new._raw}
        new.spliced = {name: n for name, n in self.spliced.items() if name in new._raw}
        for name in self.keys():
            if name in changes:
                dict.__setitem__(new, name, changes[name])
            elif dict.__contains__(self, name):
                dict.__setitem__(new, name, dict.__getitem__(self, name))
        return new

    def top_ids(self) -> dict[str, int]:
        """The highest document key of each table (unparsed ones from the header)."""
        for name in [name for name in self._raw if name not in self.tops]:
            self._load(name)  # (a header without the table's top: parse it)
        tops = {name: max(map(int, table), default=0) for name, table in dict.items(self)}
        for name in self._raw:
            tops[name] = max([self.tops[name], *(int(op[2]) for op in self.pending.get(name, ()))])
        return tops

    def rebased(self, parts: list[Part], source: PartSource | None = None) -> None:
        """This tree is now what the snapshot made of `parts` holds: every table clean.
        `source`: that snapshot, to read the parts not kept in memory from."""
        for part in parts:
            if part.name in self._raw:
                data = self._raw[part.name][1]
                made = self._splice.pop(part.name, None)
                if made is not None and made[1] == len(self.pending.get(part.name, ())):
                    data = made[0] + b"\n"  # (the line written: the pending changes are in it)
                    self.absent.pop(part.name, None)
                    ops = self.pending.pop(part.name, [])
                    top = max((int(op[2]) for op in ops), default=0)
                    self.tops[part.name] = max(self.tops.get(part.name, 0), top)
                if source is not None and part.name in READ_WHEN_USED and parts:
                    data = None  # (read from the new snapshot when used)
                elif data is None:
                    data = self._line_of(part.name)  # (no source for the new snapshot)
                self._raw[part.name] = (part, data)
        if source is not None and parts:
            # (no parts: a format 1 snapshot was written, whose tables are not parts; the
            # unparsed ones are still read from the snapshot they came from)
            self.source = source
        self._splice.clear()
        self.clean = {part.name: part for part in parts if part.name != LOOKUPS}

    # --- parsing on demand --------------------------------------------------------------

    def _line_of(self, name: str) -> bytes:
        """The line of the unparsed table `name` and its newline: kept in memory, or read
        from the snapshot now (length, newline and CRC-32 checked)."""
        part, data = self._raw[name]
        if data is not None:
            return data
        if self.source is None:
            raise damaged(self._path, f"part {part.name!r} of the snapshot cannot be read")
        try:
            got = self.source(part.offset, part.length + 1)
        except OSError as exc:
            raise damaged(self._path, f"part {part.name!r} cannot be read: {exc}") from None
        check_bytes(self._path, part, got)
        return got

    def _load(self, name: str) -> None:
        part = self._raw[name][0]
        data = self._line_of(name)
        value = check_part(self._path, part, data)
        self._check(self._path, {name: value})
        for key, doc in self.absent.pop(name, {}).items():
            value.setdefault(key, doc)
        for op in self.pending.pop(name, ()):
            if op[0] == "p":
                value[op[2]] = op[3]
            else:
                value.pop(op[2], None)
        del self._raw[name]
        self.tops.pop(name, None)
        self.spliced.pop(name, None)
        dict.__setitem__(self, name, value)

    def unparsed(self, name: str) -> bytes | memoryview | None:
        """The line of table `name` (no newline) while it is not parsed yet: as read, with
        the changes made since appended (a later duplicate key wins when it is parsed, in
        msgspec and the standard library alike); None when they cannot be appended (a
        document deleted) or the line would carry more superseded bytes than half its
        length (then the table is parsed and encoded afresh)."""
        found = self._raw.get(name)
        if found is None:
            return None
        line = memoryview(self._line_of(name))[:-1]  # (no copy: 30 MB at 200,000 leads)
        ops = self.pending.get(name)
        absent = self.absent.get(name)
        if not ops and not absent:
            return line
        net: dict[str, Any] = {}
        for op in ops or ():
            if op[0] != "p":
                return None
            net[op[2]] = op[3]
        # documents read back from the archive go first (the line's own win over them),
        # the kept puts last (they win over the line's)
        before = dumps_table(absent)[1:-1] if absent else b""
        extra = dumps_table(net)[1:-1] if net else b""
        spliced = self.spliced.get(name, 0) + len(extra)  # (documents read back: not superseded)
        if spliced * 2 > len(line):
            return None
        inner = line[1:-1]
        made = b",".join(piece for piece in (before, inner, extra) if len(piece))
        made = b"{" + made + b"}"
        self._splice[name] = (made, len(ops or ()))
        self.spliced[name] = spliced
        return made

    # --- changes to unparsed tables, kept until the table is parsed ----------------------

    def deferrable(self, op: list[Any]) -> bool:
        """Can `op` wait, unapplied, until its table is parsed? A put into an unparsed
        table of `DEFER_ANY_PUT`, or of a new document (a key above every key the table
        holds) into one of `DEFER_NEW_PUT`."""
        if op[0] != "p" or op[1] not in self._raw:
            return False
        name = op[1]
        if name in DEFER_ANY_PUT:
            return True
        if name not in DEFER_NEW_PUT or name not in self.tops:
            return False
        return int(op[2]) > self.tops[name]

    def defer(self, op: list[Any]) -> dict[str, Any] | None:
        """Keep `op` (`deferrable`) for when its table is parsed; the document it replaces
        among the kept changes (None: a new one, or one in the line: unknown)."""
        ops = self.pending.setdefault(op[1], [])
        old = next((o[3] for o in reversed(ops) if o[2] == op[2]), None)
        ops.append(op)
        self.touched(op[1])
        return old

    def merge_absent(self, name: str, docs: dict[str, Any]) -> bool:
        """Documents read back from the archive, for the unparsed table `name` of
        `DEFER_NEW_PUT`: kept until the table is parsed, where each joins it unless the
        table holds its key (as a merge of the segment would). False (nothing kept) when
        the table is parsed or of another kind: merge them into the table then."""
        if name not in self._raw or name not in DEFER_NEW_PUT:
            return False
        self.absent.setdefault(name, {}).update(docs)
        self.touched(name)
        return True

    def kept(self, name: str) -> int:
        """How many changes to the unparsed table `name` are kept (`defer`)."""
        return len(self.pending.get(name, ()))

    def forget(self, name: str, count: int) -> list[list[Any]]:
        """Drop the kept changes to `name` after the first `count` (a rollback), the
        last first. A table of `_VOUCHING` leaves their leads unvouched."""
        ops = self.pending.get(name, [])
        dropped = ops[count:][::-1]
        del ops[count:]
        if name in _VOUCHING and self.vouched:
            for op in dropped:
                lead_id = op[3].get("lead_id") if isinstance(op[3], dict) else None
                if isinstance(lead_id, str):
                    self.unvouched.add(lead_id)
        return dropped

    def docs_where(self, name: str, field: str, value: str) -> dict[str, Any] | None:
        """The documents of the unparsed table `name` whose `field` is the text `value`,
        found in its line without parsing the table; None when the table is parsed (or
        absent), or the line is not as this module writes it (then parse the table).

        Sound because the line is compact JSON with every `"` inside a text escaped: the
        bytes `"field":"value"` occur only as a document's own field, and `":{"` only where
        a document starts (documents found this way must be flat: no object inside)."""
        found = self._raw.get(name)
        if found is None:
            return None
        docs = self._where_in_line(self._line_of(name), field, value)
        if docs is None:
            return None
        for key, doc in self.absent.get(name, {}).items():
            if doc.get(field) == value:
                docs.setdefault(key, doc)
        for op in self.pending.get(name, ()):
            if op[3].get(field) == value:
                docs[op[2]] = op[3]
            else:
                docs.pop(op[2], None)
        return docs

    def doc_by_key(self, name: str, key: str) -> tuple[bool, Any]:
        """(True, the document under `key` or None) of the unparsed table `name`, found
        in its line (the last occurrence: a spliced line's later duplicate wins) and the
        changes kept since, without parsing the table; (False, None) when the table is
        parsed or the line is not as expected (then read the table)."""
        if name not in self._raw or not key.isdigit():
            return False, None
        for op in reversed(self.pending.get(name, ())):
            if op[2] == key:
                return True, (op[3] if op[0] == "p" else None)
        data = self._line_of(name)
        needle = b'"%s":{' % key.encode()
        at = len(data)
        while True:
            at = data.rfind(needle, 0, at)
            if at < 0:
                absent = self.absent.get(name, {})
                return True, absent.get(key)
            if data[at - 1 : at] in (b"{", b","):
                doc, end = _object_at(data, at + len(needle) - 1)
                return (False, None) if doc is None else (True, doc)

    def _where_in_line(self, data: bytes, field: str, value: str) -> dict[str, Any] | None:
        needle = b'"%s":%s' % (field.encode(), json.dumps(value).encode())
        docs: dict[str, Any] = {}
        at = data.find(needle)
        while at >= 0:
            start = data.rfind(b'":{"', 0, at + 1)
            opening = data.rfind(b'"', 0, start)
            key = data[opening + 1 : start]
            if start < 0 or opening < 0 or not key.isdigit():
                return None
            doc, end = _object_at(data, start + 2)
            if doc is None or end <= at or doc.get(field) != value:
                return None
            docs[key.decode()] = doc
            at = data.find(needle, end)
        return docs

    def checked_line(self, name: str) -> memoryview | None:
        """The line of table `name` as read (no newline), its length and CRC-32 checked,
        while the table is not parsed yet (a reader may decode it its own way, then apply
        the puts kept for it, `pending`); else None."""
        found = self._raw.get(name)
        if found is None:
            return None
        data = found[1]
        if data is None:  # (read from the snapshot now: `_line_of` checks it)
            return memoryview(self._line_of(name))[:-1]
        return check_bytes(self._path, found[0], data)

    def load_all(self) -> None:
        for name in list(self._raw):
            self._load(name)

    def loaded(self, name: str) -> bool:
        """Is table `name` parsed (or absent)?"""
        return name not in self._raw

    def touched(self, name: str) -> None:
        """Table `name` is about to change: its line must be encoded afresh."""
        self.clean.pop(name, None)

    # --- the dict interface -------------------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        if name in self._raw:
            self._load(name)
        return dict.__getitem__(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        if name in self._raw:
            self._load(name)
        return dict.get(self, name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._raw or dict.__contains__(self, name)

    def setdefault(self, name: str, default: Any = None) -> Any:
        if name in self._raw:
            self._load(name)
        self.touched(name)
        return dict.setdefault(self, name, default)

    def __setitem__(self, name: str, value: Any) -> None:
        self._raw.pop(name, None)
        self.tops.pop(name, None)
        self.touched(name)
        dict.__setitem__(self, name, value)

    def pop(self, name: str, *default: Any) -> Any:
        self.touched(name)
        if name in self._raw:
            self._load(name)
        return dict.pop(self, name, *default)

    def __delitem__(self, name: str) -> None:
        self.pop(name)

    def note_op(self, op: list[Any]) -> None:
        """A journal operation is about to be applied. One that empties, drops or replaces
        tables (no writer of ours does that in a normal write) voids `vouched`; a change to
        a lead's touches makes it `unvouched` until its `next` document is written (every
        writer of ours writes it after the touches, in the same record)."""
        kind = op[0]
        if kind == "u":
            return  # (a rollback of kept changes: `forget` unvouches their leads)
        if kind not in ("p", "d"):
            self.vouched = ()
            self.unvouched.clear()
            return
        name = op[1]
        if name not in _VOUCHING or not self.vouched:
            return
        doc = op[3] if kind == "p" else self.get(name, {}).get(op[2])
        lead_id = doc.get("lead_id") if isinstance(doc, dict) else None
        if not isinstance(lead_id, str):
            return
        if name == "touches":
            self.unvouched.add(lead_id)
        else:
            self.unvouched.discard(lead_id)

    def clear(self) -> None:
        self.vouched = ()
        self.unvouched.clear()
        self._raw.clear()
        self.tops.clear()
        self.clean.clear()
        dict.clear(self)

    def update(self, *others: Any, **more: Any) -> None:
        for name, value in dict(*others, **more).items():
            self[name] = value

    def keys(self) -> Any:
        return [*dict.keys(self), *self._raw]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._raw)

    def items(self) -> Any:
        self.load_all()
        return dict.items(self)

    def values(self) -> Any:
        self.load_all()
        return dict.values(self)

    def copy(self) -> dict[str, Any]:
        self.load_all()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self.load_all()
        return dict.__eq__(self, other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"LazyTree(loaded={list(dict.keys(self))}, unread={list(self._raw)})"

    def __reduce__(self) -> Any:
        return (dict, (self.copy(),))


def encode_parts(
    tables: Iterable[tuple[str, bytes | memoryview, int]],
    seq: int,
    archive: dict[str, Any] | None,
    lookups: bytes | None,
    vouched: Iterable[str] = (),
    spliced: dict[str, int] | None = None,
) -> tuple[list[bytes | memoryview], list[Part]]:
    """The header line and the part lines of a format 3 snapshot (the archive's segment
    lines follow them), and the parts as they lie in the new file. `tables`: (name, its
    encoded line, its highest document key). `archive`: the archive header without its
    lookups; `lookups`: their line."""
    lines: list[bytes | memoryview] = []
    listed: list[list[Any]] = []
    tops: dict[str, int] = {}
    for name, body, top in tables:
        lines.append(body)
        listed.append([name, len(body), zlib.crc32(body)])
        tops[name] = top
    if lookups is not None:
        lines.append(lookups)
        listed.append([LOOKUPS, len(lookups), zlib.crc32(lookups)])
    # format 4: the archive's segments lie in archive files (its header lists "files")
    fmt = 4 if archive is not None and "files" in archive else 3
    header: dict[str, Any] = {"format": fmt, "seq": seq, "parts": listed, "tops": tops}
    if vouched:
        header["vouched"] = sorted(vouched)
    if spliced:
        header["spliced"] = {name: n for name, n in spliced.items() if name in tops}
    if archive is not None:
        header["archive"] = archive
    head = json.dumps({"_leadtui": header}, ensure_ascii=True, separators=(",", ":")).encode()
    out: list[bytes | memoryview] = [head, b"\n"]
    parts: list[Part] = []
    offset = len(head) + 1
    for line, (name, length, crc) in zip(lines, listed, strict=True):
        out += (line, b"\n")
        parts.append(Part(name, offset, length, crc))
        offset += length + 1
    return out, parts


_RAW_DECODER = json.JSONDecoder()


def _object_at(data: bytes, start: int) -> tuple[dict[str, Any] | None, int]:
    """The flat JSON object that starts at `data[start]` (a "{") and where it ends; (None,
    0) when there is none or it holds an object or array (its end could be misread)."""
    size = 512
    while True:
        window = data[start : start + size]
        try:
            doc, length = _RAW_DECODER.raw_decode(window.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            if start + size >= len(data):
                return None, 0
            size *= 4
            continue
        if not isinstance(doc, dict) or any(isinstance(v, (dict, list)) for v in doc.values()):
            return None, 0
        return doc, start + length
