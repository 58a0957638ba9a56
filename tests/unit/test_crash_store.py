"""Crash safety: writers SIGKILLed at random moments never lose a confirmed write.

A small server process (python -c) imports leadtui once and forks a writer on request;
each writer opens the store, logs touches (and now and then adds a lead) and prints each
id only after the call returned. The test kills the writer with SIGKILL after a random few
milliseconds, then opens the database and checks that it is readable and holds every id
that was printed. A tiny compaction threshold makes many kills land during compaction
(snapshot write, rename, journal rotation).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft
from leadtui.store.repository import doctor, open_store

ROOT = Path(__file__).resolve().parents[2]
KILLS = 220
ARCHIVE_KILLS = 100
COMPACT_BYTES = 6000
T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)

SERVER = r"""
import os, random, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, Outcome
from leadtui.store.repository import open_store

path, compact, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
cadence = load_cadence()
outcomes = [Outcome.NO_ANSWER, Outcome.VM_HANGUP, Outcome.VM_MESSAGE, Outcome.TALKED,
            Outcome.EMAIL]
if mode == "archive":  # leads close (and, 2024 being long past, go to the archive)
    outcomes += [Outcome.WON, Outcome.NOT_INTERESTED, Outcome.WON]
t0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)

def writer(seed):
    rnd = random.Random(seed)
    store = open_store(path, cadence=cadence, compact_bytes=compact)
    # archive mode: as the workstation does, never ask for every lead (the archive stays
    # unread until a touch lands on an archived lead)
    every = store.active_leads() if mode == "archive" else store.leads()
    leads = [lead.id for lead in every] or [lead.id for lead in store.leads()]
    for n in range(1_000_000):
        if n % 7 == 3:
            phone = "+1646555%04d" % rnd.randrange(10000)
            draft = LeadDraft("W %d" % seed, phone, "", "crash", "America/New_York", t0)
            lead = store.add_leads([draft], t0)[0].lead
            os.write(1, b"L %s\n" % lead.id.encode())
            continue
        at = t0 + timedelta(seconds=seed * 10_000 + n)
        touch = store.log_touch(rnd.choice(leads), rnd.choice(outcomes), at, rep="w%d" % seed)
        os.write(1, b"T %s\n" % touch.id.encode())

for line in sys.stdin:
    cmd, arg = line.split()
    if cmd == "go":
        pid = os.fork()
        if pid == 0:
            try:
                writer(int(arg))
            except BaseException as exc:
                os.write(1, ("E %r\n" % (exc,)).replace("\n", " ").encode() + b"\n")
            os._exit(3)
        os.write(1, b"P %d\n" % pid)
    elif cmd == "reap":
        _, status = os.waitpid(int(arg), 0)
        os.write(1, b"R %d\n" % status)
"""


class Server:
    """The fork server and a thread reading its output lines into a queue."""

    def __init__(self, db: Path, mode: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(db), str(COMPACT_BYTES), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def until(self, kind: str, seen: list[str]) -> str:
        """Collect lines into `seen` until one of `kind` arrives; return its argument."""
        while True:
            line = self.lines.get(timeout=30)
            if line.startswith(kind + " "):
                return line.split(" ", 1)[1]
            seen.append(line)

    def first_write(self, seen: list[str]) -> None:
        """Wait until the writer has confirmed its first write (or failed)."""
        while True:
            line = self.lines.get(timeout=30)
            seen.append(line)
            if line[:2] in ("T ", "L ", "E "):
                return

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.mark.parametrize(("mode", "kills"), [("plain", KILLS), ("archive", ARCHIVE_KILLS)])
def test_sigkilled_writers_never_lose_a_confirmed_write(
    tmp_path: Path, mode: str, kills: int
) -> None:
    """plain: touches that keep leads open; archive: leads also close and compactions move
    them into archive segments while other writers have them unread."""
    db = tmp_path / "data" / "leads.json"
    cadence = load_cadence()
    store = open_store(db, cadence=cadence)
    store.add_leads(
        [
            LeadDraft(f"Lead {n}", f"+1212555{n:04d}", "", "seed", "America/New_York", T0)
            for n in range(12)
        ],
        T0,
    )
    store.close()

    touches: set[str] = set()
    leads: set[str] = set()
    rnd = random.Random(int(os.environ.get("LEADTUI_CRASH_SEED", "20240506")))
    stats = {"kills": 0, "temp_left": 0, "confirmed": 0}
    behind: set[int] = set()  # snapshots renamed in but journal not yet rotated at a kill
    server = Server(db, mode)
    segments = 0
    try:
        for n in range(kills):
            seen: list[str] = []
            server.send(f"go {n}")
            pid = int(server.until("P", seen))
            if n % 2:
                # Every other kill waits for a confirmed write first, so the run does real
                # work (and compacts) however loaded the machine is; the others may land
                # anywhere, start-up included.
                server.first_write(seen)
            threading.Event().wait(rnd.uniform(0.001, 0.012))
            os.kill(pid, signal.SIGKILL)
            server.send(f"reap {pid}")
            status = int(server.until("R", seen))
            errors = [line for line in seen if line.startswith("E ")]
            assert not errors, errors
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, seen
            stats["kills"] += 1
            stats["confirmed"] += len(seen)
            touches.update(line[2:] for line in seen if line.startswith("T "))
            leads.update(line[2:] for line in seen if line.startswith("L "))
            stats["temp_left"] += any(db.parent.glob("leads.json.tmp-*"))
            behind.update(_journal_already_in_snapshot(db))

            segments = max(segments, _segments(db))
            check = open_store(db, cadence=cadence)  # must open, must hold everything
            try:
                stored = {t.id for ts in check.touches_by_lead().values() for t in ts}
                missing = touches - stored
                assert not missing, f"after kill {n}: lost confirmed touches {missing}"
                assert leads <= {lead.id for lead in check.leads()}
            finally:
                check.close()
    finally:
        server.close()
    stats["killed_before_rotation"] = len(behind)
    stats["most_segments"] = segments
    print(f"\ncrash test: {stats}, touches confirmed {len(touches)}, leads {len(leads)}")
    assert stats["kills"] == kills
    if mode == "archive":
        assert segments >= 2  # segments were appended to unread ones, kills among them
    assert len(touches) + len(leads) >= stats["kills"] // 2  # real work between kills
    assert db.with_name("leads.json.bak").exists()  # compactions happened
    assert not [line for line in doctor(db) if line.startswith("problem:")]


def _segments(db: Path) -> int:
    """How many archive segments the snapshot has now (0 if it cannot be read)."""
    import json

    try:
        with open(db, "rb") as handle:
            header = json.loads(handle.readline())["_leadtui"]
    except (OSError, ValueError, KeyError):
        return 0
    return len(header.get("archive", {}).get("segments", []))


def _journal_already_in_snapshot(db: Path) -> set[int]:
    """{snapshot seq} when the kill fell between a snapshot rename and the journal
    rotation (the journal still starts with records the snapshot holds), else {}."""
    import json

    journal = db.with_name("leads.json.journal")
    try:
        first = journal.read_bytes().split(b"\n", 1)[0]
        seq = json.loads(first.split(b" ", 1)[1])["seq"]
        snapshot_seq = json.loads(db.read_bytes().split(b"\n", 1)[0])["_leadtui"]["seq"]
    except (OSError, ValueError, IndexError, KeyError):
        return set()
    return {snapshot_seq} if seq <= snapshot_seq else set()
