"""`leadtui import` and `leadtui export` end to end against a temporary LEADTUI_HOME."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest
from cli_helpers import Cli

VENDOR = (
    "\ufeffFull Name;Mobile;E-mail;Lead Source;Created\r\n"
    "Zoë Ünal;(212) 555-0140;zoe@example.com;QuoteMarket;2025-03-10 13:45\r\n"
    "Jo Smith;312 555 0141;;;03/10/2025 1:50 PM\r\n"
)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def write(tmp_path: Path, data: bytes, name: str = "leads.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_vendor_file_with_bom_semicolons_and_aliases(cli: Cli, tmp_path: Path) -> None:
    out = cli.ok("import", write(tmp_path, VENDOR.encode()), "--source", "fallback").out
    assert out.splitlines() == ["imported 2, duplicates 0, rejected 0"]
    leads = {lead["name"]: lead for lead in cli.ok("queue", "--all", "--json").json()}
    zoe, jo = leads["Zoë Ünal"], leads["Jo Smith"]
    assert zoe["phone"] == "+12125550140" and zoe["email"] == "zoe@example.com"
    assert zoe["source"] == "QuoteMarket" and jo["source"] == "fallback"
    # naive times are read in the default zone (America/New_York, EDT on 10 March)
    assert zoe["received_at"] == "2025-03-10T17:45:00+00:00"
    assert jo["received_at"] == "2025-03-10T17:50:00+00:00"
    assert jo["timezone"] == "America/Chicago"


def test_import_latin1_tab_file(cli: Cli, tmp_path: Path) -> None:
    data = "Name\tPhone Number\tNotes\nJosé Núñez\t212-555-0142\tdías\n".encode("cp1252")
    assert cli.ok("import", write(tmp_path, data)).out.startswith("imported 1,")
    (lead,) = cli.ok("queue", "--all", "--json").json()
    assert lead["name"] == "José Núñez"


def test_import_json_reports_duplicates_and_rejections_by_line(cli: Cli, tmp_path: Path) -> None:
    cli.add("Existing", "212-555-0143")
    data = (
        b"First Name,Last Name,Phone,Email\n"
        b"Ann,Lee,212-555-0144,ann@example.com\n"  # 2 ok
        b"Dup,Licate,(212) 555-0143,\n"  # 3 duplicate of the existing lead
        b"No,Phone,,nophone@example.com\n"  # 4 rejected
        b'"Multi\nLine",Name,12,\n'  # 5-6 rejected: bad phone
        b"Nul\x00,Byte,212-555-0145,\n"  # 7 rejected: NUL
        b"Too,Many,212-555-0146,a@example.com,extra\n"  # 8 rejected: ragged
        b"Ann,Again,212-555-0144,\n"  # 9 duplicate of line 2
    )
    result = cli.ok("import", write(tmp_path, data), "--json").json()
    assert result["imported"] == 1
    assert result["duplicates"] == 2
    assert [r["line"] for r in result["rejected"]] == [4, 5, 7, 8]
    assert all(r["reason"] for r in result["rejected"])
    text = cli.ok("import", write(tmp_path, data, "again.csv")).out.splitlines()
    assert text[0] == "imported 0, duplicates 3, rejected 4"
    assert text[1].strip().startswith("line 4:")


def test_import_hostile_values_arrive_as_plain_text(cli: Cli, tmp_path: Path) -> None:
    data = (
        "Name,Phone,Notes\n"
        "[red]Bob[/red],212-555-0147,[bold]hi[/bold]\n"
        "\x1b[31mEve\x1b]0;pwned\x07 Ops\u202e,212-555-0148,\x1b[2Jclear\n"
        "=cmd|' /C calc'!A0,212-555-0149,+1\n"
    ).encode()
    result = cli.ok("import", write(tmp_path, data), "--json").json()
    assert result["imported"] + len(result["rejected"]) == 3
    names = [lead["name"] for lead in cli.ok("queue", "--all", "--json").json()]
    assert "[red]Bob[/red]" in names
    assert all("\x1b" not in name and "\u202e" not in name for name in names)
    table = cli.ok("queue", "--all").out
    assert "\x1b" not in table and "\x07" not in table
    exported = cli.ok("export", "--format", "csv").out
    assert "\x1b" not in exported
    for row in list(csv.reader(io.StringIO(exported)))[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_import_huge_field_and_bad_bytes(cli: Cli, tmp_path: Path) -> None:
    data = (
        b"Name,Phone\n"
        + b"Big," + b"9" * 1_500_000 + b"\n"
        + b"\xff\xfe\xfa Odd,212-555-0150\n"
        + b"Fine,212-555-0151\n"
    )  # fmt: skip
    result = cli.ok("import", write(tmp_path, data), "--json").json()
    assert result["imported"] == 2
    assert [r["line"] for r in result["rejected"]] == [2]


def test_import_from_stdin(cli: Cli) -> None:
    out = cli.ok("import", "-", stdin=b"name,phone\nStd In,212-555-0152\n").out
    assert out.startswith("imported 1,")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"Name,Email\nAnn,ann@example.com\n", "no phone column"),
        (b"", "empty"),
        (b"Ann Lee,212-555-0101\n", "no usable header"),
    ],
)
def test_import_unusable_file_exits_1(cli: Cli, tmp_path: Path, data: bytes, fragment: str) -> None:
    path = write(tmp_path, data)
    line = cli.refused("import", path)
    assert fragment in line and path in line


def test_import_missing_file_exits_1(cli: Cli, tmp_path: Path) -> None:
    line = cli.refused("import", str(tmp_path / "nope.csv"))
    assert "nope.csv" in line and "No such file" in line
    assert "folder" in cli.refused("import", str(tmp_path))


def test_export_jsonl_round_trips_every_lead_and_touch(cli: Cli) -> None:
    first = cli.add("Zoë [b]Ünal[/b] 😀 «quotes»", "212-555-0160", "--email", "z@example.com")
    second = cli.add("=SUM(A1)", "+44 20 7946 0160")
    cli.ok("log", first, "vm-message", "--note", 'said: "call me" — 😀\nsecond line')
    cli.ok("log", first, "callback", "--when", "2025-03-11T15:00:00Z")
    lines = cli.ok("export", "--format", "jsonl").out.splitlines()
    records = {record["id"]: record for record in map(json.loads, lines)}
    assert set(records) == {first, second}
    shown = cli.ok("show", first, "--json").json()
    record = records[first]
    assert record["name"] == shown["lead"]["name"] == "Zoë [b]Ünal[/b] 😀 «quotes»"
    assert [t["note"] for t in record["touches"]] == [t["note"] for t in shown["touches"]]
    assert record["touches"][0]["note"] == 'said: "call me" — 😀\nsecond line'
    assert record["touches"][1]["when"] == "2025-03-11T15:00:00+00:00"
    assert records[second]["name"] == "=SUM(A1)"  # JSON is lossless; only CSV neutralises


def test_export_csv_to_a_private_file(cli: Cli, tmp_path: Path) -> None:
    cli.add("@Risky", "212-555-0161")
    target = tmp_path / "out" / "leads.csv"
    target.parent.mkdir()
    out = cli.ok("export", "--output", str(target)).out
    assert "exported 1" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = list(csv.reader(target.open(newline="", encoding="utf-8")))
    assert rows[1][1] == "'@Risky" and rows[1][2] == "'+12125550161"
    assert "cannot write" in cli.refused("export", "--output", str(tmp_path / "no" / "x.csv"))


def test_import_of_a_do_not_call_number_stays_off_the_queue(cli: Cli, tmp_path: Path) -> None:
    lead = cli.add("Never Again", "212-555-0162")
    cli.ok("log", lead, "dnc")
    data = b"Name,Phone\nNever Again,+1 (212) 555-0162\nSomeone New,212-555-0163\n"
    result = cli.ok("import", write(tmp_path, data), "--json").json()
    assert (result["imported"], result["duplicates"]) == (1, 1)
    queue = cli.ok("queue", "--all", "--json").json()
    assert [entry["name"] for entry in queue] == ["Someone New"]
    assert cli.ok("show", lead, "--json").json()["lead"]["status"] == "dnc"


def test_home_that_is_a_file_is_refused(cli: Cli, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    assert "not a folder" in cli.refused("--home", str(afile), "queue")
