"""Exports: CSV cells that a spreadsheet would run are neutralised; JSON Lines is lossless."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadtui.domain.model import Lead, LeadStatus, Outcome, Touch
from leadtui.io.export import (
    CSV_COLUMNS,
    export_text,
    jsonl_lines,
    neutralise,
)
from leadtui.paths import write_private_file

T0 = datetime(2025, 3, 10, 14, 5, tzinfo=UTC)


def lead(**changes: object) -> Lead:
    values: dict[str, object] = {
        "id": "ab12cd34",
        "name": "Ann Lee",
        "phone": "+12125550101",
        "email": "ann@example.com",
        "source": "web form",
        "timezone": "America/New_York",
        "received_at": T0,
    }
    values.update(changes)
    return Lead(**values)  # type: ignore[arg-type]


def touch(lead_id: str = "ab12cd34", **changes: object) -> Touch:
    values: dict[str, object] = {
        "id": "t1",
        "lead_id": lead_id,
        "outcome": Outcome.CALLBACK,
        "at": T0,
        "note": "call back after lunch",
        "when": datetime(2025, 3, 11, 17, 30, tzinfo=UTC),
        "rep": "Dana",
    }
    values.update(changes)
    return Touch(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+12125550101", "'+12125550101"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ann", "Ann"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


def test_csv_export_neutralises_every_formula_cell() -> None:
    hostile = lead(
        name='=HYPERLINK("http://evil","x")',
        email="@SUM(1)",
        source="-1+1",
        notes="+cmd|' /C calc'!A0\nsecond line",
    )
    text, count = export_text("csv", [hostile, lead(id="zz", name="Bo")], {"ab12cd34": [touch()]})
    assert count == 2
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["name"] == '\'=HYPERLINK("http://evil","x")'
    assert first["email"] == "'@SUM(1)"
    assert first["source"] == "'-1+1"
    assert first["notes"].startswith("'+cmd")
    assert first["phone"] == "'+12125550101"
    assert (first["calls"], first["touches"], first["last_outcome"]) == ("1", "1", "callback")
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_jsonl_round_trips_lead_and_touches() -> None:
    tricky = "Zoë \x1b[31m\u202eevil\u2066 [b]x[/b] \x00 \ud800 😀"
    original = lead(name=tricky, notes=tricky, status=LeadStatus.CALLBACK, inquiries=(T0,))
    line = next(jsonl_lines([original], {original.id: [touch(note=tricky)]}))
    assert line.endswith("\n") and line.count("\n") == 1
    assert line.isascii()  # nothing in the file can act on a terminal
    record = json.loads(line)
    assert record["name"] == tricky and record["notes"] == tricky
    assert record["status"] == "callback"
    assert record["received_at"] == "2025-03-10T14:05:00+00:00"
    assert record["inquiries"] == ["2025-03-10T14:05:00+00:00"]
    assert record["touches"] == [
        {
            "id": "t1",
            "lead_id": "ab12cd34",
            "outcome": "callback",
            "channel": "call",
            "at": "2025-03-10T14:05:00+00:00",
            "note": tricky,
            "when": "2025-03-11T17:30:00+00:00",
            "rep": "Dana",
            "override_window": False,
            "blitz_id": None,
            "dialed_at": None,
        }
    ]


@settings(max_examples=200, deadline=None)
@given(name=st.text(), notes=st.text(), note=st.text())
def test_jsonl_round_trips_any_text(name: str, notes: str, note: str) -> None:
    text, _ = export_text("jsonl", [lead(name=name, notes=notes)], {"ab12cd34": [touch(note=note)]})
    (line,) = text.splitlines()
    record = json.loads(line)
    assert (record["name"], record["notes"], record["touches"][0]["note"]) == (name, notes, note)


def test_empty_exports() -> None:
    assert export_text("jsonl", [], {}) == ("", 0)
    text, count = export_text("csv", [], {})
    assert count == 0 and text.startswith("id,name,phone")


def test_write_private_file_is_0600_even_with_permissive_umask(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(0o666)
    old = os.umask(0)
    try:
        write_private_file(target, "new\n")
    finally:
        os.umask(old)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temp file left


def test_one_lead_mapping_serves_the_store_the_export_and_the_queue_json() -> None:
    """domain.records is the one lead -> dict: same keys and values everywhere, only the
    way a time is written differs (the store keeps microseconds so times sort as text)."""
    from leadtui.domain.records import LEAD_KEYS
    from leadtui.io.export import lead_to_dict
    from leadtui.store.index import lead_doc
    from leadtui.subcommands.common import entry_dict

    plain = lead(inquiries=(datetime(2025, 4, 2, 9, 30, 15, 250, tzinfo=UTC),))
    exported, stored = lead_to_dict(plain), lead_doc(plain)
    assert tuple(exported) == LEAD_KEYS
    assert tuple(stored) == LEAD_KEYS[:10]  # the store leaves out empty later fields
    assert exported["inquiries"] == ["2025-04-02T09:30:15.000250+00:00"]
    assert exported["received_at"] == "2025-03-10T14:05:00+00:00"
    assert stored["received_at"] == "2025-03-10T14:05:00.000000+00:00"
    assert (exported["other_phones"], exported["reopened_at"]) == ([], None)
    held = lead(
        other_phones=("+61412345678",), zone_candidates=("Australia/Perth", "Australia/Sydney"),
        reopened_at=datetime(2025, 5, 1, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    exported, stored = lead_to_dict(held), lead_doc(held)
    assert tuple(stored) == tuple(k for k in LEAD_KEYS if k != "other_emails")
    assert stored["reopened_at"] == "2025-05-01T08:00:00.000000+00:00"
    assert exported["reopened_at"] == "2025-05-01T08:00:00+00:00"
    assert {k: v for k, v in exported.items() if "_at" not in k and k != "inquiries"} == {
        k: v for k, v in {**stored, "other_emails": []}.items()
        if "_at" not in k and k != "inquiries"
    }
    row = entry_dict(_entry(held), T0)
    assert list(row)[:8] == list(LEAD_KEYS[:8])
    assert {k: row[k] for k in LEAD_KEYS[:8]} == {k: exported[k] for k in LEAD_KEYS[:8]}


def _entry(held: Lead):
    from leadtui.domain.cadence import load_cadence, next_action
    from leadtui.domain.model import QueueEntry
    from leadtui.domain.window import CallingWindow

    action = next_action(held, [], load_cadence(), CallingWindow())
    assert action is not None
    return QueueEntry(held, action, 0, 60, False, True, None, ())
