"""Several `leadtui` processes on one database at once, and `leadtui log` killed mid-way
(issue 6). The store tests do this at the API level (4 x 250 writers, 220 SIGKILLs); these
do it through the real command line, as reps' scripts and web-form hooks would.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import time
from pathlib import Path

from safety_support import leadtui, ok, spawn

from leadtui.domain.cadence import load_cadence
from leadtui.store.repository import open_store

WAVES = 2
LOGS_PER_WAVE = 10
ADDS_PER_WAVE = 3
SAME_NUMBER_ADDS = 3
KILLS = 40
CADENCE = load_cadence()


def seed(home: Path, count: int) -> list[str]:
    data = "Name,Phone\n" + "".join(f"Seed {n},212-555-02{n:02d}\n" for n in range(count))
    assert ok(leadtui(home, "import", "-", stdin=data.encode())).startswith(f"imported {count},")
    return [entry["id"] for entry in json.loads(ok(leadtui(home, "queue", "--all", "--json")))]


def exported(home: Path) -> list[dict]:
    return [
        json.loads(line) for line in ok(leadtui(home, "export", "--format", "jsonl")).splitlines()
    ]


def test_concurrent_cli_writers_lose_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    leads = seed(home, 6)
    rnd = random.Random(6)
    expected_notes: set[str] = set()
    added_names: set[str] = set()
    same_number_ids: set[str] = set()
    for wave in range(WAVES):
        procs = []
        for n in range(LOGS_PER_WAVE):
            note = f"w{wave}-log{n}"
            expected_notes.add(note)
            outcome = rnd.choice(["no-answer", "vm-hangup", "vm-message", "email", "text"])
            procs.append(("log", spawn(home, "log", rnd.choice(leads), outcome, f"--note={note}")))
        for n in range(ADDS_PER_WAVE):
            name = f"Added {wave}-{n}"
            added_names.add(name)
            procs.append(("add", spawn(home, "add", f"--name={name}",
                                       f"--phone=312-555-{wave}{n:03d}")))  # fmt: skip
        for _ in range(SAME_NUMBER_ADDS):  # the same inquiry from several hooks at once
            procs.append(("same", spawn(home, "add", "--name=Web Form", "--phone=646-555-0100")))
        for kind, proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, (kind, err.decode(errors="replace"))
            if kind == "log":
                assert out.startswith(b"logged ")
            if kind == "same":
                same_number_ids.add(out.decode().strip())
    records = exported(home)
    notes = [touch["note"] for record in records for touch in record["touches"]]
    assert sorted(notes) == sorted(expected_notes)  # every confirmed touch, none twice
    names = [record["name"] for record in records]
    assert added_names <= set(names)
    assert names.count("Web Form") == 1 and len(same_number_ids) == 1
    (web_form,) = [r for r in records if r["name"] == "Web Form"]
    assert len(web_form["inquiries"]) == WAVES * SAME_NUMBER_ADDS - 1
    assert len(records) == len(leads) + WAVES * ADDS_PER_WAVE + 1
    assert "problem:" not in ok(leadtui(home, "doctor"))
    print(f"\ncli concurrency: {WAVES * len(procs)} processes, {len(notes)} touches")


def stored_notes(home: Path) -> set[str]:
    """Open the database the way any command would (it must open) and list touch notes."""
    store = open_store(home / "leads.json", cadence=CADENCE)
    try:
        return {touch.note for touches in store.touches_by_lead().values() for touch in touches}
    finally:
        store.close()


def test_cli_log_killed_at_random_moments_loses_no_confirmed_write(tmp_path: Path) -> None:
    home = tmp_path / "home"
    leads = seed(home, 4)
    rnd = random.Random(int(os.environ.get("LEADTUI_CRASH_SEED", "606")))
    # Kills are aimed over the whole run of a `leadtui log` (start-up, opening the store,
    # the fsynced write, printing), using how long the ones that finished took here.
    durations: list[float] = []
    confirmed: set[str] = set()
    stats = {"kills": 0, "finished": 0, "killed_after_saving": 0}
    n = 0
    while stats["kills"] < KILLS and n < 5 * KILLS:
        typical = statistics.median(durations[-9:]) if durations else 10.0
        batch = []
        for _ in range(2):
            n += 1
            note = f"kill-{n}"
            proc = spawn(home, "log", rnd.choice(leads), "no-answer", f"--note={note}")
            batch.append((note, proc, time.monotonic(), typical * rnd.uniform(0.6, 1.0)))
        for note, proc, started, delay in batch:
            while proc.poll() is None and time.monotonic() < started + delay:
                time.sleep(0.002)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=60)
            if proc.returncode == 0:
                durations.append(time.monotonic() - started)
                assert out.startswith(b"logged ")
                confirmed.add(note)
                stats["finished"] += 1
            else:
                assert proc.returncode == -signal.SIGKILL, proc.returncode
                stats["kills"] += 1
        stored = stored_notes(home)
        assert confirmed <= stored, confirmed - stored
    stats["killed_after_saving"] = len(stored - confirmed)
    print(f"\ncli kill test: {stats}")
    assert stats["kills"] >= KILLS // 2 and stats["finished"] > 0
    assert "problem:" not in ok(leadtui(home, "doctor"))
    ok(leadtui(home, "log", leads[0], "vm-hangup", "--note=after"))
