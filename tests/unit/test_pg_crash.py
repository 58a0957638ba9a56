"""PostgreSQL under fire: SIGKILLed rep processes, a server power cut mid-load, and many
reps at once. No confirmed touch is lost or doubled; no lead is taken by two reps.

The module runs its own private server (it is stopped and started here, so the session's
shared server is left alone). The full 20-rep x 60 s run is benchmarks/pg_concurrency.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft
from leadtui.store.postgres import open_pg_store

WRITER = Path(__file__).resolve().parent.parent / "pg_writer.py"
T0 = datetime(2025, 6, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server():
    from pg_support import own_server

    yield from own_server()


def pool(server, leads: int) -> str:
    url = server.new_database()
    store = open_pg_store(url, cadence=load_cadence())
    drafts = [
        LeadDraft(name=f"Crash {n}", phone=f"+1202555{n:04d}", email="", source="load",
                  timezone="America/New_York", received_at=T0 - timedelta(minutes=n))
        for n in range(leads)
    ]  # fmt: skip
    store.add_leads(drafts, T0)
    store.close()
    return url


def writers(url: str, count: int, seconds: float, *extra: str) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return [
        subprocess.Popen(
            [sys.executable, str(WRITER), url, f"w{n}", str(seconds), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        for n in range(count)
    ]


ERRORS: list[str] = []  # the last run's writers' stderr, for assertion messages


def confirmed(procs: list[subprocess.Popen]) -> tuple[dict[str, str], list[str]]:
    """note -> touch id of every confirmed touch, and the leads taken, from the output."""
    notes: dict[str, str] = {}
    took: list[str] = []
    ERRORS.clear()
    for n, proc in enumerate(procs):
        out, err = proc.communicate(timeout=120)
        if proc.returncode:
            ERRORS.append(f"w{n} exit {proc.returncode}: {err[-2000:]}")
        for line in out.splitlines():
            parts = line.split()
            if parts[:1] == ["ok"] and len(parts) == 4:
                notes[f"w{n}-{parts[1]}"] = parts[2]
            elif parts[:1] == ["took"] and len(parts) == 2:
                took.append(parts[1])
    return notes, took


def stored(url: str) -> list[tuple[str, str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT id, note FROM touches")]


def wait_for_rows(url: str, count: int) -> int:
    """Block until the writers are under way (process start-up varies a lot here)."""
    deadline = time.monotonic() + 90
    while (found := len(stored(url))) < count:
        assert time.monotonic() < deadline, f"writers did not start ({found} touches)"
        time.sleep(0.1)
    return found


def check(url: str, notes: dict[str, str]) -> None:
    rows = stored(url)
    by_note = Counter(note for _id, note in rows)
    doubled = [note for note, k in by_note.items() if k > 1]
    assert doubled == []
    ids = dict((note, touch_id) for touch_id, note in rows)
    lost = [note for note, touch_id in notes.items() if ids.get(note) != touch_id]
    assert lost == []


def test_sigkilled_writers_lose_and_double_nothing(server) -> None:
    url = pool(server, 40)
    procs = writers(url, 4, 30)
    wait_for_rows(url, 30)
    for round_ in range(3):
        victim = procs[round_]
        victim.send_signal(signal.SIGKILL)
        time.sleep(0.7)
    procs[3].terminate()
    notes, _ = confirmed(procs)
    assert len(notes) > 20
    check(url, notes)


def test_server_power_cut_mid_load(server) -> None:
    url = pool(server, 40)
    procs = writers(url, 3, 8)
    before = wait_for_rows(url, 20)
    server.stop("immediate")  # a power cut: no checkpoint, recovery from the WAL
    time.sleep(1.0)
    server.start()
    notes, _ = confirmed(procs)
    assert all(proc.returncode == 0 for proc in procs), ERRORS
    assert len(notes) > before > 0
    check(url, notes)


def test_reps_at_once_never_share_a_lead(server) -> None:
    url = pool(server, 400)
    procs = writers(url, 8, 10, "take")
    notes, took = confirmed(procs)
    assert len(took) > 40
    assert len(set(took)) == len(took)  # no lead taken by two reps
    check(url, notes)
