"""Corrupt or unexpected files through the command line, and `leadtui doctor` (issue 6).

Every damaged file (snapshot, journal, config.toml: empty, truncated, garbage, valid JSON
of the wrong shape, a newer version) must make every command exit 1 with ONE line that
names the file and says what to do, and leave every file byte-for-byte as it was.
`doctor` reports without changing anything; `doctor --repair` restores the last good
state the storage keeps: the previous snapshot (`.bak`) plus the journals
(`.journal.bak`, `.journal`), so every confirmed write since the last compaction survives
a damaged snapshot while the journals are intact.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from safety_support import NOW, file_hashes, leadtui, ok, refused

from leadtui.cli import main
from leadtui.store.files import encode_record

DB, JOURNAL, BAK, JOURNAL_BAK = (
    "leads.json",
    "leads.json.journal",
    "leads.json.bak",
    ("leads.json.journal.bak"),
)
GARBAGE = bytes(range(256)) * 3


def cli(home: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--home", str(home), "--now", NOW, *argv])
    return code, out.getvalue(), err.getvalue()


def cli_ok(home: Path, *argv: str) -> str:
    code, out, err = cli(home, *argv)
    assert code == 0 and err == "", (argv, err)
    return out


def export(home: Path) -> list[dict]:
    return [json.loads(line) for line in cli_ok(home, "export", "--format", "jsonl").splitlines()]


def seed(home: Path, monkeypatch: pytest.MonkeyPatch, *, leads: int = 3, compact: bool) -> str:
    """Leads with touches; with `compact`, over several compactions (so .bak exists)."""
    if compact:
        monkeypatch.setenv("LEADTUI_STORE_COMPACT_BYTES", "700")
    first = ""
    for n in range(leads):
        lead = cli_ok(home, "add", f"--name=Lead {n}", f"--phone=212-555-01{n:02d}").strip()
        cli_ok(home, "log", lead, "no-answer", f"--note=call {n}")
        first = first or lead
    monkeypatch.delenv("LEADTUI_STORE_COMPACT_BYTES", raising=False)
    if compact:
        assert (home / BAK).exists() and (home / JOURNAL_BAK).exists()
    return first


def snapshot_tree(extra: dict) -> bytes:
    # seq 1000: the journal's records are older, so replaying them cannot paper over it
    tree = {"_leadtui": {"format": 1, "seq": 1000}, "meta": {"1": {"schema": 1}}, "leads": {}}
    tree.update(extra)
    return json.dumps(tree).encode()


def journal_line(payload: bytes) -> bytes:
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


# name -> (file, damage(bytes) -> bytes, fragment the message must hold)
DAMAGE: dict[str, tuple[str, Callable[[bytes], bytes], str]] = {
    "snapshot-empty": (DB, lambda d: b"", "empty"),
    "snapshot-truncated": (DB, lambda d: d[: len(d) // 2], "truncated"),
    "snapshot-garbage": (DB, lambda d: GARBAGE, "not UTF-8"),
    "snapshot-text": (DB, lambda d: b"hello, I am a shopping list\n", "not valid JSON"),
    "snapshot-json-list": (DB, lambda d: b"[1, 2, 3]", "not a leadtui database"),
    "snapshot-json-string": (DB, lambda d: b'"leads"', "not a leadtui database"),
    "snapshot-no-header": (DB, lambda d: b'{"leads": {}}', "not a leadtui database"),
    "snapshot-table-shape": (DB, lambda d: snapshot_tree({"leads": [1, 2]}), "unexpected"),
    "snapshot-lead-shape": (
        DB, lambda d: snapshot_tree({"leads": {"1": {"name": "no id"}}}), "unexpected"
    ),
    "snapshot-no-schema": (DB, lambda d: snapshot_tree({"meta": {}}), "no schema"),
    "snapshot-newer-format": (
        DB, lambda d: d.replace(b'"format":1', b'"format":9'), "upgrade leadtui"
    ),
    "snapshot-newer-schema": (
        DB, lambda d: d.replace(b'"schema":1', b'"schema":9'), "upgrade leadtui"
    ),
    "journal-garbage": (JOURNAL, lambda d: GARBAGE, "not a leadtui journal record"),
    "journal-text": (JOURNAL, lambda d: b"dear diary\nnot a journal\n", "not a leadtui journal"),
    "journal-garbage-appended": (
        JOURNAL, lambda d: d + b"\x00\xffjunk\nmore junk\n", "not a leadtui journal"
    ),
    "journal-flipped-byte": (JOURNAL, lambda d: _flip(d, 30), "corrupt"),
    "journal-wrong-shape": (
        JOURNAL,
        lambda d: d + encode_record(len(d.splitlines()) + 1, [["p", "leads", "x", {}]]),
        "unexpected shape",
    ),
    "journal-newer-format": (
        JOURNAL, lambda d: journal_line(b'{"seq": 1, "ops": [["z"]]}') + d, "unexpected shape"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_database_file_refused_by_every_command_and_left_unchanged(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, damage, fragment = DAMAGE[case]
    home = tmp_path / "home"
    lead = seed(home, monkeypatch, compact=False)
    target = home / name
    target.write_bytes(damage(target.read_bytes()))
    before = file_hashes(home)
    csv_file = tmp_path / "in.csv"
    csv_file.write_bytes(b"Name,Phone\nNew Lead,212-555-0199\n")
    for argv in (
        ("queue",),
        ("queue", "--all", "--json"),
        ("add", "--name=Z Z", "--phone=212-555-0198"),
        ("log", lead, "vm-hangup"),
        ("show", lead),
        ("plan", lead),
        ("undo", lead),
        ("export",),
        ("export", "--format", "jsonl", "--output", str(tmp_path / "out.jsonl")),
        ("import", str(csv_file)),
        ("doctor",),
    ):
        code, out, err = cli(home, *argv)
        assert code == 1, (argv, out, err)
        line = err.strip()
        assert "\n" not in line and line.startswith("leadtui: "), err
        assert "Traceback" not in err
        if argv[0] == "doctor":
            assert "problem:" in out and str(target) in out
            assert any(word in out for word in ("fix:", "upgrade leadtui", "cannot restore"))
            continue
        assert out == "", (argv, out)
        assert str(target) in line, line
        assert fragment in line, line
        assert "leadtui doctor" in line or "upgrade leadtui" in line, line
        assert "left unchanged" in line, line
    assert file_hashes(home) == before
    assert not (tmp_path / "out.jsonl").exists()


CONFIG_DAMAGE = {
    "garbage": (GARBAGE, "not valid UTF-8"),
    "bad-toml": (b'rep_name = "Dana"\noffer = [\n', "line 3: invalid TOML"),
    "unknown-key": (b'rep_name = "Dana"\ncolour = "red"\n', "line 2: unknown key 'colour'"),
    "wrong-type": (b"speed_to_lead_minutes = [1]\n", "line 1: speed_to_lead_minutes must be"),
    "bad-zone": (b'default_timezone = "Mars/Olympus"\n', "not a known time zone"),
    "escape": (b'rep_name = "\\u001b]0;x\\u0007"\n', "line 1: rep_name must not contain"),
    "wrong-shape": (b'[rep_name]\nfirst = "x"\n', "line 1: rep_name must be text"),
}


@pytest.mark.parametrize("case", list(CONFIG_DAMAGE))
def test_damaged_config_refused_with_file_line_and_what_to_do(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, fragment = CONFIG_DAMAGE[case]
    home = tmp_path / "home"
    lead = seed(home, monkeypatch, leads=1, compact=False)
    config = home / "config.toml"
    config.write_bytes(data)
    before = file_hashes(home)
    for argv in (("queue",), ("add", "--name=Z Z", "--phone=212-555-0198"), ("log", lead, "won"),
                 ("show", lead), ("export",)):  # fmt: skip
        code, out, err = cli(home, *argv)
        assert code == 1 and out == "", (argv, out, err)
        line = err.strip()
        assert "\n" not in line and str(config) in line and fragment in line, line
        assert any(hint in line for hint in ("fix it", "known keys", "must", "not a known"))
    assert file_hashes(home) == before


# --- doctor and doctor --repair -------------------------------------------------------------


def doctor(home: Path, *flags: str) -> tuple[int, str]:
    code, out, err = cli(home, "doctor", *flags)
    return code, out


def test_doctor_changes_nothing_and_repair_keeps_every_confirmed_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A damaged snapshot after several compactions: .bak + .journal.bak + .journal
    hold everything confirmed since; the restore must bring back all of it."""
    home = tmp_path / "home"
    lead = seed(home, monkeypatch, leads=6, compact=True)
    cli_ok(home, "log", lead, "vm-message")  # confirmed after the last compaction
    assert (home / JOURNAL).stat().st_size > 0
    expected = export(home)
    (home / DB).write_bytes(b'{"_leadtui": {"format": 1, "seq"')  # cut short
    damaged_bytes = (home / DB).read_bytes()
    before = file_hashes(home)

    code, report = doctor(home)
    assert code == 1 and "problem:" in report and "fix: --repair restores leads.json.bak" in report
    assert file_hashes(home) == before

    code, report = doctor(home, "--repair")
    assert code == 0, report
    assert "repaired: restored leads.json from leads.json.bak" in report
    assert "cannot be applied" not in report  # nothing set aside
    assert export(home) == expected
    kept = list(home.glob("leads.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes
    code, report = doctor(home)
    assert code == 0 and "problem:" not in report, report

    # the database is usable, and a second damage before the next compaction restores
    # everything again (the restored state became the new .bak)
    cli_ok(home, "log", lead, "email")
    expected = export(home)
    (home / DB).write_bytes(b"")
    assert doctor(home, "--repair")[0] == 0
    assert export(home) == expected


def test_repair_of_a_young_database_rebuilds_from_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    seed(home, monkeypatch, compact=False)
    expected = export(home)
    (home / DB).write_bytes(GARBAGE)
    code, report = doctor(home, "--repair")
    assert code == 0 and "restored leads.json from the journals alone" in report
    assert export(home) == expected


@pytest.mark.parametrize("where", ["middle", "garbage-tail"])
def test_repair_of_a_damaged_journal_keeps_what_came_before_and_sets_the_rest_aside(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    first = cli_ok(home, "add", "--name=Early Bird", "--phone=212-555-0150").strip()
    early = export(home)
    second = cli_ok(home, "add", "--name=Late Comer", "--phone=212-555-0151").strip()
    cli_ok(home, "log", second, "no-answer")
    journal = home / JOURNAL
    data = journal.read_bytes()
    start = len(data.splitlines(True)[0])
    damaged = _flip(data, start + 20) if where == "middle" else data + b"\xde\xad\nbeef\n"
    journal.write_bytes(damaged)
    code, out, err = cli(home, "show", first)
    assert code == 1 and str(journal) in err
    code, report = doctor(home, "--repair")
    assert code == 0, report
    if where == "middle":
        assert "2 later records cannot be applied and are set aside" in report
        assert export(home) == early
    else:  # every confirmed record came before the garbage
        assert [lead["name"] for lead in export(home)] == ["Early Bird", "Late Comer"]
    (kept,) = home.glob("leads.json.journal.damaged-*")
    assert kept.read_bytes() == damaged


def test_nothing_to_restore_from_says_why_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    seed(home, monkeypatch, leads=6, compact=True)
    for name in (DB, BAK):
        (home / name).write_bytes(b"")
    before = file_hashes(home)
    code, out, err = cli(home, "doctor")
    assert code == 1 and "cannot restore automatically" in out
    assert "--repair cannot fix this" in err  # not told to run a repair that cannot work
    code, report = doctor(home, "--repair")
    assert code == 1 and "cannot repair" in report
    assert file_hashes(home) == before


def test_newer_schema_is_never_repaired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    seed(home, monkeypatch, compact=False)
    cli_ok(home, "doctor", "--repair")
    db = home / DB
    db.write_bytes(db.read_bytes().replace(b'"schema":1', b'"schema":2'))
    (home / JOURNAL).unlink(missing_ok=True)
    before = file_hashes(home)
    code, out, err = cli(home, "doctor")
    assert code == 1 and "upgrade leadtui" in out and "--repair cannot fix this" in err
    code, report = doctor(home, "--repair")
    assert code == 1 and "upgrade leadtui" in report
    assert file_hashes(home) == before


def test_damaged_files_through_real_processes(tmp_path: Path) -> None:
    """The same, once, through `python -m leadtui` (exit status and stderr as a script sees)."""
    home = tmp_path / "home"
    lead = ok(leadtui(home, "add", "--name", "Pro Cess", "--phone", "212-555-0160")).strip()
    ok(leadtui(home, "log", lead, "no-answer"))
    (home / DB).write_bytes(b"")
    before = file_hashes(home)
    for argv in (("queue",), ("log", lead, "talked"), ("export",)):
        line = refused(leadtui(home, *argv))
        assert str(home / DB) in line and "leadtui doctor" in line
    assert file_hashes(home) == before
    result = leadtui(home, "doctor", "--repair")
    assert result.returncode == 0, result.stdout
    assert "talked" not in ok(leadtui(home, "show", lead))
    assert "no-answer" in ok(leadtui(home, "show", lead))


def test_keeping_the_same_copy_twice_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A repair run twice within one second keeps `<name>.damaged-<same stamp>` twice: the
    second rename is between two links of one file, which rename() silently skips."""
    from leadtui.store.files import FileNames, keep_copy

    names = FileNames(tmp_path / DB)
    names.snapshot.write_bytes(b"damaged")
    kept = tmp_path / "leads.json.damaged-20250310T180000Z"
    keep_copy(names.snapshot, kept, names)
    keep_copy(names.snapshot, kept, names)
    assert kept.read_bytes() == b"damaged"
    assert sorted(p.name for p in tmp_path.iterdir()) == [DB, kept.name]
