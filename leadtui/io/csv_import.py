"""CSV import: bytes -> per-row dicts (with physical line numbers) -> validated lead drafts.

Vendors send whatever their tool exports, so parsing is forgiving where it is safe to be
(encodings, delimiters, header spellings) and strict where it is not: a row that cannot be
trusted (NUL bytes, too many cells, a huge field, a bad value) is rejected on its own with
its line number and a reason, and never stops the rest of the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from leadtui.domain.intake import prepare_lead
from leadtui.domain.model import LeadDraft, LeadError
from leadtui.domain.times import to_utc
from leadtui.store.protocol import LeadStore

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_FIELD_CHARS = 100_000  # longer cells are rejected by us, with a clear reason
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # we check sizes below


class ImportFileError(ValueError):
    """The file as a whole could not be read (missing, unreadable, no usable header)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not imported: its physical line in the file and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row mapped to our field names (name, phone, email, source, ...)."""

    line: int
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    """What came out of the bytes before any validation."""

    rows: list[CsvRow]
    rejections: list[Rejection]
    delimiter: str
    columns: dict[str, list[str]]  # our field -> the header names that feed it


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of an import, as printed by `leadtui import`."""

    imported: int
    duplicates: int
    rejected: list[Rejection] = field(default_factory=list)
    lead_ids: list[str] = field(default_factory=list)
    reopened: int = 0  # duplicates that brought a closed lead back (issue 11)

    def as_dict(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "reopened": self.reopened,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
        }


def _squash(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.replace("\ufeff", "").casefold())


# Our field -> accepted header spellings (compared lower-case, letters and digits only),
# in order of preference when a file has several of them.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "contactname", "leadname", "contact"),
    "first_name": ("firstname", "first", "givenname", "forename"),
    "last_name": ("lastname", "last", "surname", "familyname"),
    "phone": (
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "cellnumber",
        "telephone",
        "telephonenumber",
        "tel",
        "phoneno",
    ),
    "email": ("email", "emailaddress", "mail"),
    "source": ("source", "leadsource"),
    "timezone": ("timezone", "tz", "zone"),
    "received": (
        "received",
        "receivedat",
        "created",
        "createdat",
        "createddate",
        "datecreated",
        "date",
        "timestamp",
    ),
    "notes": ("notes", "note", "comments", "comment"),
}
_FIELD_OF = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
_RANK = {alias: i for aliases in ALIASES.values() for i, alias in enumerate(aliases)}


def header_field(header: str) -> str | None:
    """Our field for a header spelling as `import` maps it ("Phone Number" -> "phone"), or
    None. The webhook's form keys and the mailbox's labels use it too (one alias list)."""
    return _FIELD_OF.get(_squash(header))


def squash_label(label: str) -> str:
    """A header or label compared the way `import` compares them (lower case, letters and
    digits only)."""
    return _squash(label)


def decode_lines(data: bytes) -> list[str]:
    """Decode to text lines (line ends kept). UTF-16 and UTF-8 (BOM optional); a line that
    is not UTF-8 is read as Windows-1252, then Latin-1, so mixed files still import."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return io.StringIO(data.decode("utf-16"), newline="").readlines()
        except UnicodeDecodeError:
            raise ImportFileError("the file says UTF-16 but does not decode as it") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return io.StringIO(data.decode("utf-8"), newline="").readlines()
    except UnicodeDecodeError:
        pass
    lines = []
    for raw in data.splitlines(keepends=True):
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                lines.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
    return lines


def sniff_delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever occurs most outside quotes (comma on a tie)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts.values())
    return "," if best == 0 or counts[","] == best else max(counts, key=counts.__getitem__)


def parse_csv(data: bytes) -> ParsedCsv:
    """Parse CSV bytes into rows keyed by our field names, plus per-row rejections.

    Raises ImportFileError when there is no header with a name and a phone column.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    lines = decode_lines(data)
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):
        raise ImportFileError("the file is empty: expected a header line with name and phone")
    delimiter = None
    hint = re.match(r"^\s*sep=(.)\s*$", lines[first].replace("\ufeff", ""))
    if hint:  # Excel's "sep=;" line
        delimiter = hint.group(1)
        first += 1
    text = "".join(lines[first:])
    delimiter = delimiter or sniff_delimiter(lines[first] if first < len(lines) else "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        raise ImportFileError(f"cannot read the header line ({err})") from None
    columns = _map_header(header)
    missing = [f for f in ("phone",) if f not in columns]
    if "name" not in columns and "first_name" not in columns and "last_name" not in columns:
        missing.insert(0, "name")
    if missing:
        cells = [repr(h.strip()[:30]) for h in header if h.strip()]
        found = ", ".join(cells[:8]) + (", ..." if len(cells) > 8 else "") or "nothing"
        raise ImportFileError(
            f"no usable header: no {' and no '.join(missing)} column "
            f"(found {found}; expected e.g. Name, Phone, Email)"
        )
    rows: list[CsvRow] = []
    rejections: list[Rejection] = []
    offset = first  # physical line number = offset + reader.line_num
    previous = reader.line_num
    while True:
        start = offset + previous + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            rejections.append(Rejection(start, f"cannot parse the row: {err}"))
            previous = reader.line_num
            continue
        previous = reader.line_num
        reason = _row_problem(cells, len(header))
        if reason == "blank":
            continue
        if reason:
            rejections.append(Rejection(start, reason))
            continue
        rows.append(CsvRow(start, _row_fields(cells, columns)))
    names = {f: [header[i].strip() for i in idx] for f, idx in columns.items()}
    return ParsedCsv(rows, rejections, delimiter, names)


def _map_header(header: Sequence[str]) -> dict[str, list[int]]:
    """Our field -> column indexes, best alias first (then left to right)."""
    found: dict[str, list[tuple[int, int]]] = {}
    for index, cell in enumerate(header):
        alias = _squash(cell)
        if alias in _FIELD_OF:
            found.setdefault(_FIELD_OF[alias], []).append((_RANK[alias], index))
    return {name: [i for _, i in sorted(pairs)] for name, pairs in found.items()}


def _row_problem(cells: list[str], width: int) -> str | None:
    if not any(cell.strip() for cell in cells):
        return "blank"
    if any("\x00" in cell for cell in cells):
        return "contains NUL bytes (a damaged or binary file?)"
    longest = max(len(cell) for cell in cells)
    if longest > MAX_FIELD_CHARS:
        return f"a field is {longest} characters long (at most {MAX_FIELD_CHARS})"
    extra = [cell for cell in cells[width:] if cell.strip()]
    if extra:
        return (
            f"has {len(cells)} values but the header has {width} columns "
            "(an unquoted delimiter inside a value?)"
        )
    return None


def _row_fields(cells: list[str], columns: dict[str, list[int]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, indexes in columns.items():
        values = [cells[i].strip() for i in indexes if i < len(cells)]
        fields[name] = next((v for v in values if v), "")
    if not fields.get("name"):
        fields["name"] = " ".join(
            part for part in (fields.get("first_name", ""), fields.get("last_name", "")) if part
        )
    fields.pop("first_name", None)
    fields.pop("last_name", None)
    return fields


_ZONE_NAMES = {
    "eastern": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "central": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "ct": "America/Chicago",
    "mountain": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mt": "America/Denver",
    "pacific": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "arizona": "America/Phoenix",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "utc": "UTC",
    "gmt": "UTC",
}


def normalise_zone(value: str) -> str | None:
    """An IANA zone name from a CSV cell; common US names (Eastern, PST...) are mapped."""
    value = value.strip()
    if not value:
        return None
    return _ZONE_NAMES.get(_squash(value), value)


_FORMATS_DAY_FIRST = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
_FORMATS_MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y")
_TIME_FORMATS = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I%p", " %I %p")


def parse_received(value: str, *, default_timezone: str, region: str = "US") -> datetime:
    """A received time from a CSV cell, as UTC. ISO 8601 (with or without offset), Unix
    seconds, or common spreadsheet dates (month first for US files, day first elsewhere).
    Times without an offset are read in `default_timezone`."""
    value = " ".join(value.strip().split())
    if re.fullmatch(r"\d{9,11}", value):
        return datetime.fromtimestamp(int(value), UTC)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        dates = _FORMATS_MONTH_FIRST + _FORMATS_DAY_FIRST
        if region.upper() != "US":
            dates = _FORMATS_DAY_FIRST + _FORMATS_MONTH_FIRST
        for date_format in ("%Y/%m/%d", *dates):
            for time_format in _TIME_FORMATS:
                try:
                    parsed = datetime.strptime(value.upper(), date_format + time_format)
                    break
                except ValueError:
                    continue
            if parsed:
                break
    if parsed is None:
        raise LeadError(
            f"cannot read the received time {value[:40]!r} (use ISO 8601, e.g. 2024-03-01 14:05)"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(default_timezone))
    return to_utc(parsed, "received time")  # the range: prepare_lead (domain/times.py)


def prepare_rows(
    parsed: ParsedCsv,
    *,
    now: datetime,
    source: str = "",
    region: str = "US",
    default_timezone: str = "America/New_York",
) -> tuple[list[tuple[int, LeadDraft]], list[Rejection]]:
    """Validate every parsed row through the domain's intake; rejections carry the reason."""
    drafts: list[tuple[int, LeadDraft]] = []
    rejections = list(parsed.rejections)
    for row in parsed.rows:
        f = row.fields
        try:
            received = None
            if f.get("received"):
                received = parse_received(
                    f["received"], default_timezone=default_timezone, region=region
                )
            draft = prepare_lead(
                name=f.get("name", ""),
                phone=f.get("phone", ""),
                email=f.get("email", ""),
                source=f.get("source") or source,
                timezone=normalise_zone(f.get("timezone", "")),
                received_at=received,
                notes=f.get("notes", ""),
                region=region,
                default_timezone=default_timezone,
                now=now,
            )
        except LeadError as err:
            rejections.append(Rejection(row.line, _one_line(str(err))))
            continue
        drafts.append((row.line, draft))
    rejections.sort(key=lambda r: r.line)
    return drafts, rejections


def _one_line(text: str) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text).split())[:300]


def import_csv(
    store: LeadStore,
    data: bytes,
    *,
    now: datetime,
    source: str = "",
    region: str = "US",
    default_timezone: str = "America/New_York",
) -> ImportReport:
    """Parse, validate and store a CSV file's leads in ONE durable write."""
    parsed = parse_csv(data)
    drafts, rejections = prepare_rows(
        parsed, now=now, source=source, region=region, default_timezone=default_timezone
    )
    results = store.add_leads([draft for _, draft in drafts], now) if drafts else []
    created = [result.lead.id for result in results if result.created]
    return ImportReport(
        imported=len(created),
        duplicates=len(results) - len(created),
        rejected=rejections,
        lead_ids=created,
        reopened=sum(result.reopened for result in results),
    )
