"""Streaming CSV reading: a file or a pipe -> text lines -> rows mapped to our fields.

Memory stays bounded whatever the input: bytes are read a line at a time (a physical line
longer than `MAX_LINE_BYTES` is cut and its row rejected), a quoted field cannot grow past
`MAX_CSV_FIELD` characters, and the size limit is checked as the bytes arrive, so
`/dev/zero` or an endless pipe stops at `MAX_FILE_BYTES` with an ImportFileError.

Forgiving where it is safe (encodings, delimiters, header spellings, see aliases.py),
strict where it is not: a row that cannot be trusted (NUL bytes, too many cells, a huge
field) is rejected on its own with its physical line number and never stops the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from leadtui.io.aliases import FIELDS, Aliases, squash

__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_FILE_BYTES",
    "ColumnMap",
    "CsvRow",
    "ImportFileError",
    "Rejection",
    "read_csv",
    "sniff_delimiter",
    "text_lines",
]

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_FIELD_CHARS = 100_000  # longer cells are rejected by us, with a clear reason
MAX_CSV_FIELD = 1_000_000  # the csv module gives up on longer ones (the row is rejected)
csv.field_size_limit(MAX_CSV_FIELD)

Progress = Callable[[int], None]  # told the bytes read so far


class ImportFileError(ValueError):
    """The file as a whole could not be read (missing, too large, no usable header)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported: its physical line in the file and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its first physical line, single-valued fields, and its phone cells
    (column header, value) in calling preference (mobile columns first)."""

    line: int
    fields: dict[str, str]
    phones: tuple[tuple[str, str], ...] = ()


@dataclass
class ColumnMap:
    """Which columns feed which field; what the file looks like."""

    header: list[str]
    columns: dict[str, list[int]]  # field -> column indexes, preferred first
    delimiter: str
    format: str | None = None
    mapped: dict[str, list[str]] = field(default_factory=dict)  # from --map, by field

    def names(self) -> dict[str, list[str]]:
        """Field -> the header names that feed it (for the dry run)."""
        return {f: [self.header[i].strip() for i in idx] for f, idx in self.columns.items()}

    def ignored(self) -> list[str]:
        used = {i for idx in self.columns.values() for i in idx}
        return [h.strip() for i, h in enumerate(self.header) if i not in used and h.strip()]

    def utc_received(self) -> bool:
        """True when the arrival-time column says its times are UTC ("Submit Date (UTC)")."""
        idx = self.columns.get("received", [])
        return bool(idx) and bool(re.search(r"\b(utc|gmt)\b", self.header[idx[0]], re.I))


class _Counted(io.RawIOBase):
    """A binary stream that counts what passes and refuses to pass more than `limit`."""

    def __init__(self, raw: BinaryIO, limit: int, progress: Progress | None) -> None:
        self._raw, self._limit, self._progress = raw, limit, progress
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        self.count += n
        if self.count > self._limit:
            raise ImportFileError(
                f"the file is larger than {self._limit // 2**20} MB (the import limit); "
                "nothing was imported"
            )
        buffer[:n] = data
        if self._progress is not None:
            self._progress(self.count)
        return n


_DECODE_ORDER = ("utf-8", "cp1252", "latin-1")
_LINE_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # \r, \n, \r\n only


def text_lines(
    raw: BinaryIO,
    *,
    limit: int = MAX_FILE_BYTES,
    progress: Progress | None = None,
    overlong: set[int] | None = None,
) -> Iterator[str]:
    """Physical text lines (ends kept). UTF-16 and UTF-8 (BOM optional); a line that is
    not UTF-8 is read as Windows-1252, then Latin-1, so mixed files still import. A line
    longer than MAX_LINE_BYTES is cut there; its number goes into `overlong`."""
    stream = io.BufferedReader(_Counted(raw, limit, progress), buffer_size=1 << 16)
    start = stream.peek(4)[:4]
    number = 0
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = io.TextIOWrapper(stream, encoding="utf-16", newline="")
        try:
            while line := text.readline(MAX_LINE_BYTES):
                number += 1
                if len(line) >= MAX_LINE_BYTES and not line.endswith(("\n", "\r")):
                    if overlong is not None:
                        overlong.add(number)
                    while (more := text.readline(MAX_LINE_BYTES)) and not more.endswith("\n"):
                        pass
                    line += "\n"
                yield line
        except UnicodeDecodeError:
            raise ImportFileError("the file says UTF-16 but does not decode as it") from None
        return
    if start.startswith(codecs.BOM_UTF8):
        stream.read(3)
    while data := stream.readline(MAX_LINE_BYTES):
        if len(data) >= MAX_LINE_BYTES and not data.endswith(b"\n"):
            if overlong is not None:
                overlong.add(number + 1)
            while (tail := stream.readline(MAX_LINE_BYTES)) and not tail.endswith(b"\n"):
                pass
            data += b"\n"
        for encoding in _DECODE_ORDER:
            try:
                line = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if line.find("\r", 0, -2) != -1:  # old Mac line ends (or a stray CR): universal newlines
            for piece in _LINE_END.findall(line):
                number += 1
                yield piece
        else:
            number += 1
            yield line


def sniff_delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever occurs most outside quotes (comma on a tie)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts.values())
    return "," if best == 0 or counts[","] == best else max(counts, key=counts.__getitem__)


def map_columns(
    header: Sequence[str], aliases: Aliases, overrides: Sequence[tuple[str, str]] = ()
) -> dict[str, list[int]]:
    """Our field -> column indexes, best alias first (then left to right). `overrides`
    (field, column name) from --map take their columns away from any alias. ValueError
    names a --map column that is not in the header."""
    found: dict[str, list[tuple[int, int]]] = {}
    forced: dict[str, list[int]] = {}
    squashed = [squash(cell) for cell in header]
    for name, column in overrides:
        key = squash(column)
        matches = [i for i, cell in enumerate(squashed) if cell == key and key]
        if not matches:
            shown = ", ".join(repr(h.strip()[:30]) for h in header if h.strip())
            raise ValueError(f"--map {name}={column!r}: no such column (the file has {shown})")
        forced.setdefault(name, []).extend(i for i in matches if i not in forced.get(name, []))
    taken = {i for idx in forced.values() for i in idx}
    for index, cell in enumerate(header):
        hit = aliases.field_of(cell)
        if hit and index not in taken and hit[0] not in forced:
            found.setdefault(hit[0], []).append((hit[1], index))
    columns = {  # phones left to right ("the first valid one"), others best alias first
        name: sorted(i for _, i in pairs) if name in ("mobile", "phone") else
        [i for _, i in sorted(pairs)]
        for name, pairs in found.items()
    }  # fmt: skip
    columns.update(forced)
    return {name: columns[name] for name in FIELDS if name in columns}


def read_csv(
    raw: BinaryIO,
    aliases: Aliases,
    *,
    overrides: Sequence[tuple[str, str]] = (),
    limit: int = MAX_FILE_BYTES,
    progress: Progress | None = None,
) -> tuple[ColumnMap, Iterator[CsvRow | Rejection]]:
    """Read the header now (ImportFileError when there is none with a name and a phone
    column); the rows come lazily, each a CsvRow or a Rejection, in file order."""
    overlong: set[int] = set()
    lines = text_lines(raw, limit=limit, progress=progress, overlong=overlong)
    number = 0
    first = ""
    for first in lines:
        number += 1
        if first.strip():
            break
    else:
        first = ""
    if not first.strip():
        raise ImportFileError("the file is empty: expected a header line with name and phone")
    delimiter = None
    hint = re.match(r"^\s*sep=(.)\s*$", first.replace("\ufeff", ""))
    if hint:  # Excel's "sep=;" line
        delimiter = hint.group(1)
        first = next(lines, "")
        number += 1
    delimiter = delimiter or sniff_delimiter(first)
    offset = number - 1  # physical line number = offset + reader.line_num

    def source() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(source(), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        raise ImportFileError(f"cannot read the header line ({err})") from None
    try:
        columns = map_columns(header, aliases, overrides)
    except ValueError as err:
        raise MappingError(str(err)) from None
    missing = [] if {"phone", "mobile"} & set(columns) else ["phone"]
    if not {"name", "first_name", "last_name"} & set(columns):
        missing.insert(0, "name")
    if missing:
        cells = [repr(h.strip()[:30]) for h in header if h.strip()]
        found = ", ".join(cells[:8]) + (", ..." if len(cells) > 8 else "") or "nothing"
        raise ImportFileError(
            f"no usable header: no {' and no '.join(missing)} column "
            f"(found {found}; expected e.g. Name, Phone, Email; or name one with --map)"
        )
    mapping = ColumnMap(list(header), columns, delimiter, aliases.detect(header))
    mapping.mapped = {name: [col] for name, col in overrides}
    return mapping, _rows(reader, offset, mapping, overlong)


class MappingError(ImportFileError):
    """A --map names a column the file does not have (a usage error)."""


def _rows(
    reader: Iterator[list[str]], offset: int, mapping: ColumnMap, overlong: set[int]
) -> Iterator[CsvRow | Rejection]:
    width = len(mapping.header)
    previous = reader.line_num  # type: ignore[attr-defined]
    phone_columns = mapping.columns.get("mobile", []) + mapping.columns.get("phone", [])
    single = {f: idx for f, idx in mapping.columns.items() if f not in ("mobile", "phone")}
    labels = [cell.strip() for cell in mapping.header]
    joined = "first_name" in single or "last_name" in single
    while True:
        start = offset + previous + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            previous = reader.line_num  # type: ignore[attr-defined]
            yield Rejection(start, f"cannot parse the row: {err}")
            continue
        end = offset + reader.line_num  # type: ignore[attr-defined]
        previous = reader.line_num  # type: ignore[attr-defined]
        if overlong and any(n in overlong for n in range(start, end + 1)):
            yield Rejection(start, f"a line is longer than {MAX_LINE_BYTES // 2**20} MB")
            continue
        reason = _row_problem(cells, width)
        if reason == "blank":
            continue
        if reason:
            yield Rejection(start, reason)
            continue
        n = len(cells)
        fields = {}
        for name, indexes in single.items():
            value = ""
            for i in indexes:
                if i < n and (value := cells[i].strip()):
                    break
            fields[name] = value
        if joined:
            first, last = fields.pop("first_name", ""), fields.pop("last_name", "")
            if not fields.get("name"):
                fields["name"] = f"{first} {last}".strip()
        phones = tuple([
            (labels[i], value)
            for i in phone_columns
            if i < n and (value := cells[i].strip())
        ])  # fmt: skip
        yield CsvRow(start, fields, phones)


def _row_problem(cells: list[str], width: int) -> str | None:
    joined = "".join(cells)
    if not joined.strip():
        return "blank"
    if "\x00" in joined:
        return "contains NUL bytes (a damaged or binary file?)"
    if len(joined) > MAX_FIELD_CHARS:
        longest = max(map(len, cells))
        if longest > MAX_FIELD_CHARS:
            return f"a field is {longest} characters long (at most {MAX_FIELD_CHARS})"
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        return (
            f"has {len(cells)} values but the header has {width} columns "
            "(an unquoted delimiter inside a value?)"
        )
    return None
