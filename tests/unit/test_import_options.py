"""`leadtui import`: --map, --dry-run, row zones, out-of-range times, the size limit, progress."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_helpers import Cli

from leadtui.domain.cadence import load_cadence
from leadtui.io.csv_import import ImportFileError, import_csv
from leadtui.store.repository import open_store
from leadtui.subcommands.import_progress import ImportProgress

NOW = "2025-10-20T12:00:00Z"
ODD = (
    "Contact,Direct Dial,Desk Line,Signed Up,Branch\r\n"
    "Ines Duarte,(571) 555-0131,(571) 555-0132,2025-10-18 08:15,Lisbon\r\n"
    "Yusuf Demir,(571) 555-0133,,2025-10-18 08:20,Porto\r\n"
)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def write(tmp_path: Path, text: str, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return str(path)


def exported(cli: Cli) -> list[dict]:
    return [json.loads(line) for line in cli.ok("export", "--format", "jsonl").out.splitlines()]


def test_map_names_columns_no_alias_knows(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, ODD)
    message = cli.refused("import", path)
    assert "no phone column" in message and "--map" in message
    result = cli.ok(
        "import", path, "--map", "phone=Direct Dial", "--map", "phone=desk line",
        "--map", "received=Signed Up", "--map", "source=Branch", "--json", now=NOW,
    )  # fmt: skip
    assert result.json()["imported"] == 2
    by_name = {lead["name"]: lead for lead in exported(cli)}
    assert by_name["Ines Duarte"]["phone"] == "+15715550131"
    assert by_name["Ines Duarte"]["other_phones"] == ["+15715550132"]
    assert by_name["Yusuf Demir"]["source"] == "Porto"
    assert by_name["Yusuf Demir"]["received_at"] == "2025-10-18T12:20:00+00:00"


@pytest.mark.parametrize(
    ("option", "needle"),
    [("nickname=Contact", "unknown field 'nickname'"), ("phone", "expected FIELD=COLUMN")],
)
def test_map_with_an_unknown_field_is_a_usage_error(
    cli: Cli, tmp_path: Path, option: str, needle: str
) -> None:
    result = cli("import", write(tmp_path, ODD), "--map", option)
    assert result.code == 2 and needle in result.err and exported(cli) == []


def test_map_with_an_unknown_column_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", write(tmp_path, ODD), "--map", "phone=Fax")
    assert result.code == 2
    assert result.err.startswith("leadtui: import: --map phone='Fax': no such column")
    assert "'Direct Dial'" in result.err and len(result.err.splitlines()) == 1
    assert exported(cli) == []


def test_dry_run_prints_the_mapping_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, ODD + "Bad Row,12,,2025-10-18 08:25,Faro\r\n")
    out = cli.ok("import", path, "--map", "phone=Direct Dial", "--dry-run", now=NOW).out
    assert out.splitlines() == [
        "columns:",
        "  name       <- Contact",
        "  phone      <- Direct Dial",
        "  ignored    : Desk Line, Signed Up, Branch",
        "would import 2, duplicates 0, rejected 1 (dry run: nothing written)",
        "  line 4: phone '12' is not a valid number (too short)",
    ]
    assert exported(cli) == []


def test_naive_times_use_the_row_zone_and_bad_years_reject_only_their_row(
    cli: Cli, tmp_path: Path
) -> None:
    text = (
        "Name,Phone,Time Zone,Created\n"
        "Berlin Row,+49 30 5555 0101,Europe/Berlin,2025-10-14 09:00\n"
        "Far Future,+49 30 5555 0102,,9999-01-05 10:00\n"
        "Far Future US,+49 30 5555 0103,,12/30/9999 10:00 PM\n"
        "Year One,+49 30 5555 0104,,0001-01-02T00:00:00+02:00\n"
        "Too Old,+49 30 5555 0105,,1999-12-30 23:00\n"
        "Tokyo Day,+49 30 5555 0106,Asia/Tokyo,2025-10-15\n"
    )
    result = cli("import", write(tmp_path, text), "--json", now=NOW)
    assert result.code == 0, result.err
    report = result.json()
    assert report["imported"] == 2
    assert [r["line"] for r in report["rejected"]] == [3, 4, 5, 6]
    assert all("received time" in r["reason"] and "out of range" in r["reason"]
               for r in report["rejected"])  # fmt: skip
    by_name = {lead["name"]: lead["received_at"] for lead in exported(cli)}
    assert by_name == {
        "Berlin Row": "2025-10-14T07:00:00+00:00",  # 09:00 CEST
        "Tokyo Day": "2025-10-14T15:00:00+00:00",  # midnight in Tokyo
    }


def test_user_aliases_from_the_config(cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[import_aliases]\nphone = ["Direct Dial"]\n')
    out = cli.ok("--home", str(home), "import", write(tmp_path, ODD), now=NOW).out
    assert out.startswith("imported 2,")
    (home / "config.toml").write_text('[import_aliases]\nfax = ["Direct Dial"]\n')
    line = cli.refused("--home", str(home), "import", write(tmp_path, ODD), now=NOW)
    assert "config.toml line 2: import_aliases has an unknown field 'fax'" in line


class Endless(io.RawIOBase):
    """A header, then zeros without end (like `/dev/zero` after a header)."""

    def __init__(self) -> None:
        self.head = b"Name,Phone\n"
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = len(buffer)
        data = self.head[:n] if self.head else b"\0" * n
        self.head = self.head[len(data) :]
        buffer[: len(data)] = data
        self.served += len(data)
        return len(data)


def test_the_size_limit_stops_an_endless_input_as_it_reads(tmp_path: Path) -> None:
    source = Endless()
    now = datetime(2025, 10, 20, tzinfo=UTC)
    with open_store(tmp_path / "data" / "leads.json", cadence=load_cadence()) as store:
        with pytest.raises(ImportFileError, match="larger than 8 MB"):
            import_csv(store, source, now=now, limit=8 * 2**20)  # type: ignore[arg-type]
        assert store.leads() == []
    assert 8 * 2**20 < source.served <= 8 * 2**20 + 5 * 2**20  # read one buffer too many


def test_import_of_dev_zero_after_a_header_exits_1_at_the_limit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    script = (
        "import sys; sys.stdout.buffer.write(b'Name,Phone\\n'); sys.stdout.flush()\n"
        "zeros = bytes(1 << 20)\n"
        "try:\n    while True: sys.stdout.buffer.write(zeros)\n"
        "except BrokenPipeError: pass\n"
    )
    feeder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    done = subprocess.run(
        [sys.executable, "-m", "leadtui", "--home", str(home), "import", "-"],
        stdin=feeder.stdout, capture_output=True, timeout=120,
    )  # fmt: skip
    assert feeder.stdout is not None
    feeder.stdout.close()
    feeder.kill()
    feeder.wait()
    assert done.returncode == 1
    assert done.stderr.decode().strip() == (
        "leadtui: standard input: the file is larger than 256 MB (the import limit); "
        "nothing was imported"
    )
    assert done.stdout == b""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_rows_rate_and_time_left_on_a_terminal_only() -> None:
    screen = Terminal()
    with ImportProgress(screen, 1000) as progress:
        progress._last = -1.0
        progress(400, 12_345)
        progress.saving(20_000)
    assert "12,345 rows" in screen.getvalue() and "rows/s" in screen.getvalue()
    assert "left" in screen.getvalue() and "importing" in screen.getvalue()
    assert "saving" in screen.getvalue()
    piped = io.StringIO()
    with ImportProgress(piped, 1000) as progress:
        progress(400, 12_345)
    assert piped.getvalue() == ""
    with ImportProgress(Terminal(), None, enabled=False) as progress:
        assert not progress.enabled
