"""Export every lead as CSV (safe to open in a spreadsheet) or JSON Lines (lossless).

JSON Lines: one object per lead with its touches; ASCII-only JSON, so every stored
character (control characters, bidi marks, anything) round-trips through `json.loads`
and nothing in the file can act on a terminal it is printed to.
CSV: one row per lead; a text cell that a spreadsheet would run as a formula (starting
with = + - @, tab or carriage return, also after leading blanks or invisible characters,
which some spreadsheets skip, and with the full-width signs) is prefixed with a single quote.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any

from leadtui.domain.model import Lead, Touch
from leadtui.domain.records import lead_record

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and their full-width forms
CSV_COLUMNS = (
    "id", "name", "phone", "email", "source", "timezone", "received_at", "status",
    "calls", "touches", "last_outcome", "last_touch_at", "notes",
    "other_phones", "other_emails", "zone_candidates", "reopened_at",
)  # fmt: skip


def iso(at: datetime | None) -> str | None:
    """An aware datetime as UTC ISO 8601 (None stays None)."""
    return None if at is None else at.astimezone(UTC).isoformat()


def lead_to_dict(lead: Lead) -> dict[str, Any]:
    """A lead as plain JSON-ready data (`domain.records`, datetimes as UTC ISO 8601)."""
    return lead_record(lead, _utc_iso)


def _utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def touch_to_dict(touch: Touch) -> dict[str, Any]:
    """A touch as plain JSON-ready data (datetimes as UTC ISO 8601)."""
    return {
        "id": touch.id,
        "lead_id": touch.lead_id,
        "outcome": str(touch.outcome),
        "channel": str(touch.channel),
        "at": iso(touch.at),
        "note": touch.note,
        "when": iso(touch.when),
        "rep": touch.rep,
        "override_window": touch.override_window,
        "blitz_id": touch.blitz_id,
        "dialed_at": iso(touch.dialed_at),
    }


def jsonl_lines(
    leads: Iterable[Lead], touches_by_lead: Mapping[str, Sequence[Touch]]
) -> Iterator[str]:
    """One JSON line (with its newline) per lead, its touches oldest first."""
    for lead in leads:
        record = lead_to_dict(lead)
        record["touches"] = [touch_to_dict(t) for t in touches_by_lead.get(lead.id, ())]
        yield json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"


def neutralise(cell: str) -> str:
    """Prefix a cell a spreadsheet would treat as a formula with a single quote."""
    return "'" + cell if looks_like_formula(cell) else cell


def looks_like_formula(cell: str) -> bool:
    """True when the cell starts with a formula sign, tab or CR, or with a formula sign
    after blanks and invisible characters (which some spreadsheets skip)."""
    if cell.startswith(FORMULA_STARTS):
        return True
    for char in cell:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs"):
            continue
        return char in _FORMULA_SIGNS
    return False


def csv_rows(
    leads: Iterable[Lead], touches_by_lead: Mapping[str, Sequence[Touch]]
) -> Iterator[list[str]]:
    """The header, then one neutralised row per lead."""
    yield list(CSV_COLUMNS)
    for lead in leads:
        touches = touches_by_lead.get(lead.id, ())
        last = touches[-1] if touches else None
        cells = [
            lead.id, lead.name, lead.phone, lead.email, lead.source, lead.timezone,
            iso(lead.received_at) or "", str(lead.status),
            str(sum(1 for t in touches if t.outcome.is_call)), str(len(touches)),
            str(last.outcome) if last else "", (iso(last.at) or "") if last else "", lead.notes,
            " ".join(lead.other_phones), " ".join(lead.other_emails),
            " ".join(lead.zone_candidates), iso(lead.reopened_at) or "",
        ]  # fmt: skip
        yield [neutralise(cell) for cell in cells]


def write_csv(
    out: IO[str], leads: Iterable[Lead], touches_by_lead: Mapping[str, Sequence[Touch]]
) -> int:
    """Write the CSV export to a text stream; returns the number of leads."""
    writer = csv.writer(out, lineterminator="\r\n")
    rows = csv_rows(leads, touches_by_lead)
    writer.writerow(next(rows))
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_jsonl(
    out: IO[str], leads: Iterable[Lead], touches_by_lead: Mapping[str, Sequence[Touch]]
) -> int:
    """Write the JSON Lines export to a text stream; returns the number of leads."""
    count = 0
    for line in jsonl_lines(leads, touches_by_lead):
        out.write(line)
        count += 1
    return count


def export_text(
    fmt: str, leads: Sequence[Lead], touches_by_lead: Mapping[str, Sequence[Touch]]
) -> tuple[str, int]:
    """The whole export as text, and how many leads it holds."""
    buffer = io.StringIO(newline="")
    writer = write_csv if fmt == "csv" else write_jsonl
    count = writer(buffer, leads, touches_by_lead)
    return buffer.getvalue(), count
