"""Real `python -m leadtui` processes: what a script or a web-form hook would run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOW = "2025-03-10T18:00:00Z"


def leadtui(home: Path, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEADTUI_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "leadtui", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_add_then_queue_in_separate_processes(tmp_path: Path) -> None:
    added = leadtui(tmp_path, "--now", NOW, "add", "--name", "Hook Lead", "--phone", "212-555-0170")
    assert added.returncode == 0, added.stderr
    lead_id = added.stdout.strip()
    queue = leadtui(tmp_path, "--now", NOW, "queue", "--json")
    assert queue.returncode == 0, queue.stderr
    assert [entry["id"] for entry in json.loads(queue.stdout)] == [lead_id]
    refused = leadtui(tmp_path, "--now", NOW, "log", "nosuchid", "won")
    assert refused.returncode == 1
    assert refused.stderr.startswith("leadtui: ") and refused.stderr.count("\n") == 1
    usage = leadtui(tmp_path, "log")
    assert usage.returncode == 2


def test_demo_never_touches_the_users_home(tmp_path: Path) -> None:
    home = tmp_path / "mine"
    result = leadtui(home, "--demo", "queue", "--all", "--json")
    assert result.returncode == 0, result.stderr
    leads = json.loads(result.stdout)
    assert 25 <= len(leads) <= 45  # closed and exhausted demo leads are not active
    assert len({entry["timezone"] for entry in leads}) >= 5
    assert not home.exists()
    demo_dir = result.stderr.strip().removeprefix("(demo data in ").removesuffix(")")
    assert Path(demo_dir).is_dir() and Path(demo_dir) != home
    shutil.rmtree(demo_dir)


def test_no_command_without_a_terminal_prints_the_queue(tmp_path: Path) -> None:
    leadtui(tmp_path, "--now", NOW, "add", "--name", "Tty Less", "--phone", "212-555-0171")
    result = leadtui(tmp_path, "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert "Tty Less" in result.stdout
