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


def test_demo_is_deterministic_for_a_given_now_and_covers_every_stage(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from leadtui.config import Settings
    from leadtui.data.demo import build_demo
    from leadtui.domain.cadence import load_cadence
    from leadtui.store.repository import open_store

    now = datetime(2025, 3, 10, 18, 0, tzinfo=UTC)
    cadence = load_cadence()

    def snapshot(folder: str) -> list[tuple]:
        store = open_store(tmp_path / folder / "leads.json", cadence=cadence)
        try:
            ids = build_demo(store, now, cadence=cadence, settings=Settings())
            return [
                (
                    lead.name, lead.phone, lead.source, lead.timezone, lead.received_at,
                    str(lead.status),
                    tuple((str(t.outcome), t.at, t.when) for t in store.touches(lead.id)),
                )
                for lead in map(store.get_lead, ids)
            ]  # fmt: skip
        finally:
            store.close()

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = snapshot("a"), snapshot("b")
    assert first == second
    assert 35 <= len(first) <= 45
    statuses = {row[5] for row in first}
    assert {"new", "working", "callback", "contacted", "won", "exhausted", "dnc"} <= statuses
    assert any("purchased" in row[2] for row in first)
    assert any("purchased" not in row[2] for row in first)
    assert all(row[1].startswith(("+1", "+44", "+61")) for row in first)
    zones = {row[3] for row in first}
    assert {"Europe/London", "America/Los_Angeles"} <= zones
    assert any(zone.startswith("Australia/") for zone in zones)
    for row in first:  # touches never lie in the future
        assert all(at <= now for _, at, _ in row[6])
