"""Permissions (issue 6): data files 0600 and the data folder 0700, even with umask 000.

Every command runs as a `python -m leadtui` subprocess with umask 0, and the files it
leaves are checked: snapshot, journal, lock, backups (.bak, .journal.bak), the copies a
repair keeps, exports, and the config file the first run writes.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from safety_support import leadtui, ok

COMPACT = {"LEADTUI_STORE_COMPACT_BYTES": "600"}


def modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}


def test_every_file_a_command_writes_is_private_with_umask_000(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    run = lambda *argv, **kw: ok(leadtui(home, *argv, umask=0, env=COMPACT, **kw))  # noqa: E731
    leads = [run("add", f"--name=Lead {n}", f"--phone=212-555-01{n:02d}").strip() for n in range(6)]
    for lead in leads:
        run("log", lead, "no-answer", "--note=rang")
    run("import", "-", stdin=b"Name,Phone\nCsv Lead,212-555-0190\n")
    run("export", "--output", str(home / "leads.csv"))
    outside = tmp_path / "exports"
    outside.mkdir()
    run("export", "--format", "jsonl", "--output", str(outside / "leads.jsonl"))
    run("export", "--output", str(outside / "leads.jsonl"))  # replacing an existing file
    (home / "leads.json").write_bytes(b"")  # damage, then repair (copies + new snapshot)
    run("doctor", "--repair")
    for lead in leads:  # and on, through another compaction
        run("log", lead, "vm-hangup")
    if not (home / "leads.json.journal").exists():  # the last log compacted: one more
        run("log", leads[0], "no-answer")

    found = modes(home)
    assert {"leads.json", "leads.json.journal", "leads.json.lock", "leads.json.bak",
            "leads.json.journal.bak", "leads.csv"} <= set(found)  # fmt: skip
    assert any(name.startswith("leads.json.damaged-") for name in found)
    assert found == dict.fromkeys(found, 0o600), found
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert modes(outside) == {"leads.jsonl": 0o600}


def test_demo_home_and_its_config_are_private_with_umask_000(tmp_path: Path) -> None:
    result = leadtui(None, "--demo", "queue", "--json", umask=0, now=None)
    ok(result)
    demo = Path(result.stderr.decode().strip().removeprefix("(demo data in ").removesuffix(")"))
    try:
        assert demo.is_dir() and stat.S_IMODE(demo.stat().st_mode) == 0o700
        found = modes(demo)
        assert {"config.toml", "leads.json", "leads.json.lock"} <= set(found)
        assert found == dict.fromkeys(found, 0o600), found
    finally:
        shutil.rmtree(demo)


def test_an_existing_data_folder_is_never_chmodded_only_warned_about(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    link = tmp_path / "link-home"
    link.symlink_to(shared)
    for home in (shared, link):
        ok(leadtui(home, "add", "--name=Ann Lee", "--phone=212-555-0111", umask=0))
        assert stat.S_IMODE(shared.stat().st_mode) == 0o755
        assert "readable by others" in ok(leadtui(home, "doctor"))
        ok(leadtui(home, "doctor", "--repair"))
        assert stat.S_IMODE(shared.stat().st_mode) == 0o755


def test_folders_leadtui_creates_are_private(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o751)
    home = tmp_path / "a" / "b" / "home"
    ok(leadtui(home, "add", "--name=Ann Lee", "--phone=212-555-0111", umask=0))
    for folder in (tmp_path / "a", tmp_path / "a" / "b", home):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o751  # the existing one: as it was


@pytest.mark.parametrize("name", ["leads.json", "leads.json.journal", "leads.json.lock"])
def test_doctor_reports_and_repairs_loose_modes(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    ok(leadtui(home, "add", "--name=Ann Lee", "--phone=212-555-0111"))
    os.chmod(home / name, 0o644)
    assert f"{name} is readable by others" in ok(leadtui(home, "doctor"))
    assert f"repaired: {name} mode 0600" in ok(leadtui(home, "doctor", "--repair"))
    assert stat.S_IMODE((home / name).stat().st_mode) == 0o600
