"""Files: only ours, only regular (issue 12). A link where a file of ours should be is
reported and removed by `doctor --repair`, never followed; a FIFO in place of the database,
journal or lock is refused at once ("not a regular file"), never waited on; `--home ""` is a
usage error; new folders and renamed files are made durable (the folder is fsynced)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from safety_support import leadtui, ok

from leadtui import paths as paths_module


def _home_with_a_lead(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    lead = ok(leadtui(home, "add", "--name=Wen Zhao", "--phone=+61 2 5550 1234")).strip()
    ok(leadtui(home, "log", lead, "no-answer"))
    return home


@pytest.mark.parametrize("name", ["leads.json.lock", "leads.json.bak"])
def test_doctor_repair_never_follows_a_link_and_replaces_it(tmp_path: Path, name: str) -> None:
    home = _home_with_a_lead(tmp_path)
    outside = tmp_path / "elsewhere" / "precious.txt"
    outside.parent.mkdir()
    outside.write_text("not leadtui's\n")
    os.chmod(outside, 0o644)
    (home / name).unlink(missing_ok=True)
    (home / name).symlink_to(outside)

    report = leadtui(home, "doctor")
    assert report.returncode == 1
    assert f"{name} is a symbolic link to {outside}" in report.stdout.decode()
    repaired = ok(leadtui(home, "doctor", "--repair"))
    assert f"removed {name}" in repaired
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # never chmodded through the link
    assert outside.read_text() == "not leadtui's\n"
    assert not (home / name).is_symlink()
    assert "problem" not in ok(leadtui(home, "doctor"))
    assert len(ok(leadtui(home, "queue", "--all", "--json"))) > 2


def test_a_linked_lock_file_is_refused_by_commands(tmp_path: Path) -> None:
    home = _home_with_a_lead(tmp_path)
    outside = tmp_path / "outside.lock"
    outside.write_text("")
    (home / "leads.json.lock").unlink()
    (home / "leads.json.lock").symlink_to(outside)
    result = leadtui(home, "queue")
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.startswith("leadtui: ") and "not a regular file" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("name", ["leads.json", "leads.json.journal", "leads.json.lock"])
@pytest.mark.parametrize("command", [("queue",), ("doctor",)])
def test_a_fifo_in_place_of_a_database_file_never_hangs(
    tmp_path: Path, name: str, command: tuple[str, ...]
) -> None:
    home = _home_with_a_lead(tmp_path)
    (home / name).unlink(missing_ok=True)
    os.mkfifo(home / name, 0o600)
    result = leadtui(home, *command, timeout=30)  # it used to wait forever on the FIFO
    assert result.returncode == 1
    assert "not a regular file" in (result.stdout + result.stderr).decode()
    assert "Traceback" not in result.stderr.decode()


def test_doctor_repair_removes_a_fifo_lock_and_recreates_it(tmp_path: Path) -> None:
    home = _home_with_a_lead(tmp_path)
    (home / "leads.json.lock").unlink()
    os.mkfifo(home / "leads.json.lock", 0o600)
    assert "removed leads.json.lock (a FIFO)" in ok(leadtui(home, "doctor", "--repair",
                                                          timeout=30))  # fmt: skip
    assert stat.S_ISREG(os.lstat(home / "leads.json.lock").st_mode)
    ok(leadtui(home, "queue"))


def test_an_empty_home_is_a_usage_error(tmp_path: Path) -> None:
    other = tmp_path / "env-home"
    result = leadtui(None, "--home", "", "add", "--name=Ola", "--phone=+4722550101",
                     env={"LEADTUI_HOME": str(other)})  # fmt: skip
    assert result.returncode == 2
    assert "--home" in result.stderr.decode()
    assert not other.exists()


# --- write order: new folders and renames are made durable ----------------------------------


def test_new_folders_have_their_parent_fsynced(tmp_path: Path, monkeypatch) -> None:
    synced: list[Path] = []
    real = paths_module.fsync_dir
    monkeypatch.setattr(paths_module, "fsync_dir", lambda d: (synced.append(d), real(d)))
    paths_module.ensure_private_dir(tmp_path / "x" / "y")
    assert synced == [tmp_path, tmp_path / "x"]
    synced.clear()
    paths_module.ensure_private_dir(tmp_path / "x" / "y")  # exists: nothing to do
    assert synced == []


def test_config_and_export_renames_are_followed_by_a_folder_fsync(
    tmp_path: Path, monkeypatch
) -> None:
    events: list[tuple[str, str]] = []
    real_replace, real_sync = os.replace, paths_module.fsync_dir

    def replace(src, dst, *args, **kwargs):
        events.append(("rename", str(dst)))
        return real_replace(src, dst, *args, **kwargs)

    def sync(directory: Path) -> None:
        events.append(("fsync", str(directory)))
        real_sync(directory)

    monkeypatch.setattr(paths_module.os, "replace", replace)
    monkeypatch.setattr(paths_module, "fsync_dir", sync)
    from leadtui.config import save_settings_values

    config = tmp_path / "cfg" / "config.toml"
    save_settings_values(config, rep_name="Ama Owusu")
    assert events[-2:] == [("rename", str(config)), ("fsync", str(config.parent))]
    events.clear()
    paths_module.write_private_file(tmp_path / "out.jsonl", "{}\n")
    assert events == [("rename", str(tmp_path / "out.jsonl")), ("fsync", str(tmp_path))]
