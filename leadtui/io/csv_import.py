"""CSV import: rows (csv_read.py) -> validated lead drafts -> the store, streamed.

Lead-ad platforms and CRMs export leads in their own shapes; the aliases (aliases.py and
`leadtui/data/import_aliases.toml`) map their columns, and this module reads their values:

- phones: a platform prefix (`p:` from Facebook, `tel:`) is dropped; an extension
  (`x123`, `ext. 123`) goes into the notes. With several phone columns the first valid
  mobile number is dialled, else the first valid other one; the rest are kept on the lead
  (`other_phones`, E.164), an unreadable extra number in the notes.
- the arrival time: ISO 8601 with its offset when it has one; Unix seconds; spreadsheet
  dates (month first for US files). A time without an offset is read in the row's zone
  (its time zone column, else `default_timezone`; UTC when the column header says UTC); a
  date without a time is the start of that day in the lead's zone (its time zone column,
  else its phone's, else `default_timezone`). Accepted: 2000-01-01 to now plus a
  day (domain/times.py), else the row is rejected "received time ... out of range".

Nothing is held per row: drafts stream into `LeadStore.add_leads_streamed`, which writes
them in one durable write. Rejections are kept (the first `MAX_LISTED`) with their line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import Any, BinaryIO

from leadtui.domain.intake import check_timezone, prepare_lead
from leadtui.domain.model import LeadDraft, LeadError
from leadtui.domain.phone import parse_phone, strip_phone_prefix
from leadtui.io import csv_read
from leadtui.io.aliases import Aliases, load_aliases, squash
from leadtui.io.csv_read import (
    MAX_FIELD_CHARS,
    MAX_FILE_BYTES,
    ColumnMap,
    CsvRow,
    ImportFileError,
    MappingError,
    Rejection,
    read_csv,
)
from leadtui.io.csv_times import is_date_only, parse_received
from leadtui.io.import_workers import import_workers, in_workers
from leadtui.store.protocol import LeadStore, SpooledDraft

__all__ = [
    "header_field",
    "squash_label",
    "MAX_FIELD_CHARS",
    "MAX_FILE_BYTES",
    "ImportFileError",
    "ImportReport",
    "MappingError",
    "Rejection",
    "import_csv",
    "import_workers",
    "normalise_zone",
    "parse_received",
    "prepare_row",
    "strip_phone_prefix",
]

MAX_LISTED = 10_000  # rejections listed one by one; more are only counted


@dataclass
class ImportReport:
    """The outcome of an import (or of a dry run), as printed by `leadtui import`."""

    imported: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_total: int = 0
    reopened: int = 0  # duplicates that brought a closed lead back (issue 11)
    rows: int = 0
    format: str | None = None
    mapping: ColumnMap | None = None
    dry_run: bool = False

    def reject(self, rejection: Rejection) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_LISTED:
            self.rejected.append(rejection)

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "reopened": self.reopened,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "rejected_total": self.rejected_total,
            "format": self.format,
        }
        if self.dry_run and self.mapping is not None:
            data["dry_run"] = True
            data["columns"] = self.mapping.names()
            data["ignored"] = self.mapping.ignored()
        return data


_ZONE_NAMES = {
    "eastern": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "et": "America/New_York", "central": "America/Chicago", "cst": "America/Chicago",
    "cdt": "America/Chicago", "ct": "America/Chicago", "mountain": "America/Denver",
    "mst": "America/Denver", "mdt": "America/Denver", "mt": "America/Denver",
    "pacific": "America/Los_Angeles", "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles", "arizona": "America/Phoenix",
    "alaska": "America/Anchorage", "hawaii": "Pacific/Honolulu", "utc": "UTC", "gmt": "UTC",
}  # fmt: skip


def normalise_zone(value: str) -> str | None:
    """An IANA zone name from a CSV cell; common US names (Eastern, PST...) are mapped."""
    value = value.strip()
    if not value:
        return None
    return _ZONE_NAMES.get(squash(value), value)


def header_field(header: str) -> str | None:
    """Our field for a header spelling as `import` maps it ("Phone Number" -> "phone",
    "Mobile" -> "phone" too), or None. The webhook's form keys and the mailbox's labels
    use it (one alias list, leadtui/data/import_aliases.toml)."""
    hit = load_aliases().field_of(header)
    if hit is None:
        return None
    return "phone" if hit[0] == "mobile" else hit[0]


def squash_label(label: str) -> str:
    """A header or label compared the way `import` compares them."""
    return squash(label)


@dataclass(frozen=True)
class RowContext:
    """What every row of one import shares."""

    now: datetime
    source: str = ""
    region: str = "US"
    default_timezone: str = "America/New_York"
    utc_received: bool = False
    # the store's `spool_encoder()` when it has one: drafts come out as SpooledDrafts
    encode: Callable[[LeadDraft, datetime], bytes] | None = None


def prepare_row(row: CsvRow, ctx: RowContext) -> LeadDraft:
    """One row as a validated draft; LeadError (one line) when it must be rejected."""
    f = row.fields
    zone_cell = normalise_zone(f.get("timezone", ""))
    row_zone = ctx.default_timezone
    if zone_cell:
        zone_cell = check_timezone(zone_cell)
        row_zone = zone_cell
    received = None
    if f.get("received"):
        zone = "UTC" if ctx.utc_received else row_zone
        received = parse_received(f["received"], zone=zone, now=ctx.now, region=ctx.region)
    name = f.get("name", "")
    phone, others, notes = _phones(row.phones, ctx.region)
    if f.get("notes"):
        notes = [f["notes"], *notes]
    if received is not None and not zone_cell and is_date_only(f["received"]):
        received = None  # the start of the day in the lead's own zone, known below
        day = f["received"]
    else:
        day = ""
    draft = prepare_lead(
        name=name,
        phone=phone,
        email=f.get("email", ""),
        source=f.get("source") or ctx.source,
        timezone=zone_cell,
        received_at=received,
        notes="\n".join(notes),
        region=ctx.region,
        default_timezone=ctx.default_timezone,
        now=ctx.now,
    )
    changes: dict[str, object] = {}
    if day:
        zone = "UTC" if ctx.utc_received else draft.timezone
        changes["received_at"] = parse_received(day, zone=zone, now=ctx.now, region=ctx.region)
    if others:
        changes["other_phones"] = tuple(p for p in dict.fromkeys(others) if p != draft.phone)
    if changes:
        draft = LeadDraft(**{**_fields(draft), **changes})  # type: ignore[arg-type]
    return draft


def _fields(draft: LeadDraft) -> dict[str, object]:
    return {name: getattr(draft, name) for name in LeadDraft.__dataclass_fields__}


def _phones(cells: Sequence[tuple[str, str]], region: str) -> tuple[str, list[str], list[str]]:
    """(the number to dial as typed, other numbers in E.164, note lines). One cell is
    handed to intake as it is; with several, the first valid one is dialled."""
    values = [(header, strip_phone_prefix(value)) for header, value in cells]
    if len(values) <= 1:
        return (values[0][1] if values else ""), [], []
    chosen = ""
    others: list[str] = []
    notes: list[str] = []
    for header, value in values:
        try:
            parsed = parse_phone(value, region)
        except LeadError:
            if chosen or any(_valid(v, region) for _, v in values):
                notes.append(f"{header}: {value[:64]} (not a valid number)")
                continue
            return value, [], []  # none is valid: intake rejects the first with its reason
        if not chosen:
            chosen = value
            continue
        others.append(parsed.e164)
        if parsed.extension:
            notes.append(f"{header} extension: {parsed.extension}")
    return chosen, others, notes


def _valid(value: str, region: str) -> bool:
    try:
        parse_phone(value, region)
    except LeadError:
        return False
    return True


BATCH_ROWS = 1_000  # rows per batch handed to a worker process


def _checked(row: CsvRow | Rejection, ctx: RowContext) -> LeadDraft | Rejection:
    item = _values(row, ctx)
    return item if isinstance(item, Rejection) else _draft_of(item)


def _values(row: CsvRow | Rejection, ctx: RowContext) -> tuple[Any, ...] | Rejection:
    """The row's draft as its field values (then its spooled form, with `ctx.encode`)."""
    if isinstance(row, Rejection):
        return row
    try:
        draft = prepare_row(row, ctx)
    except LeadError as err:
        return Rejection(row.line, _one_line(str(err)))
    values: tuple[Any, ...] = _draft_values(draft)
    return (*values, ctx.encode(draft, ctx.now)) if ctx.encode is not None else values


# Between this process and the workers rows and drafts travel as plain tuples: pickling
# a frozen slots dataclass costs several times more (about 7 us a row both ways).
_PackedRow = tuple[int, dict[str, str], tuple[tuple[str, str], ...]]
_draft_values = attrgetter(*LeadDraft.__dataclass_fields__)  # LeadDraft(*values) again


def _pack_row(row: CsvRow | Rejection) -> _PackedRow | Rejection:
    return row if isinstance(row, Rejection) else (row.line, row.fields, row.phones)


def _check_batch(
    ctx: RowContext, rows: list[_PackedRow | Rejection]
) -> list[tuple[Any, ...] | Rejection]:
    return [_values(row if isinstance(row, Rejection) else CsvRow(*row), ctx) for row in rows]


_DRAFT_FIELDS = len(LeadDraft.__dataclass_fields__)


def _draft_of(values: tuple[Any, ...]) -> LeadDraft:
    return LeadDraft(*values) if len(values) == _DRAFT_FIELDS else SpooledDraft(*values)


def _unpacked(items: list[tuple[Any, ...] | Rejection]) -> Iterator[LeadDraft | Rejection]:
    for item in items:
        yield item if isinstance(item, Rejection) else _draft_of(item)


def validated(
    rows: Iterable[CsvRow | Rejection], ctx: RowContext, workers: int = 1
) -> Iterator[LeadDraft | Rejection]:
    """Each row as a draft or a rejection, in file order. With `workers` > 1 and more than
    one batch of rows, batches are validated by that many forked processes (phone numbers
    and zones are most of the cost), at most a few batches in flight: memory stays
    bounded. The first batch is done here, so a small file starts no process."""
    iterator = iter(rows)
    batch = [row for _, row in zip(range(BATCH_ROWS), iterator, strict=False)]
    for row in batch:
        yield _checked(row, ctx)
    if len(batch) < BATCH_ROWS:
        return
    if workers <= 1:
        for row in iterator:
            yield _checked(row, ctx)
        return

    def batches() -> Iterator[list[_PackedRow | Rejection]]:
        while packed := [
            _pack_row(row) for _, row in zip(range(BATCH_ROWS), iterator, strict=False)
        ]:
            yield packed

    for items in in_workers(batches(), partial(_check_batch, ctx), workers):
        yield from _unpacked(items)


def _one_line(text: str) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text).split())[:300]


def import_csv(
    store: LeadStore,
    raw: BinaryIO,
    *,
    now: datetime,
    source: str = "",
    region: str = "US",
    default_timezone: str = "America/New_York",
    aliases: Aliases | None = None,
    overrides: Sequence[tuple[str, str]] = (),
    dry_run: bool = False,
    limit: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    read_done: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read, validate and store a CSV stream's leads in ONE durable write (nothing with
    `dry_run`). `progress(bytes_read, rows_read)` is called as the file is read,
    `read_done(rows_read)` once it is read (before the write).
    ImportFileError (nothing written) when the file cannot be used or passes `limit`.
    `workers` > 1 validates big files in that many processes (see `validated`)."""
    report = ImportReport(dry_run=dry_run)
    rows_read = [0]

    def on_bytes(count: int) -> None:
        if progress is not None:
            progress(count, rows_read[0])

    mapping, rows = read_csv(
        raw,
        aliases or load_aliases(),
        overrides=overrides,
        limit=csv_read.MAX_FILE_BYTES if limit is None else limit,
        progress=on_bytes,
    )
    report.mapping, report.format = mapping, mapping.format
    encoder = getattr(store, "spool_encoder", None)  # a store that spools drafts (TinyDB)
    ctx = RowContext(
        now, source, region, default_timezone, mapping.utc_received(),
        encoder() if encoder is not None else None,
    )  # fmt: skip

    def counted() -> Iterator[CsvRow | Rejection]:
        for row in rows:
            rows_read[0] += 1
            yield row

    def drafts() -> Iterator[LeadDraft]:
        for item in validated(counted(), ctx, workers):
            if isinstance(item, Rejection):
                report.reject(item)
            else:
                yield item
        if read_done is not None:
            read_done(rows_read[0])

    counts = store.add_leads_streamed(drafts(), now, dry_run=dry_run)
    report.rows = rows_read[0]
    report.imported, report.duplicates = counts.created, counts.duplicates
    report.reopened = counts.reopened
    return report
