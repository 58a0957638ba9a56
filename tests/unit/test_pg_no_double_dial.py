"""No double dial on PostgreSQL, with two rep processes (issue 14).

Two workstations whose reps land on the same lead at the same moment go through the
workstation's claim path (service.claims.claim_lead, what Gateway.claim_lead calls when the
cursor rests on a lead): exactly one of them gets it, the other is told who has it, and
both see the same holder. Two reps pressing for the next lead at once (take_next) never get
the same one either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft
from leadtui.store.postgres import open_pg_store

T0 = datetime(2025, 8, 19, 19, 5, tzinfo=UTC)  # a Tuesday, just after noon in Phoenix
ROUNDS = 25

REP = """
import json, sys
from datetime import datetime, timedelta
from leadtui.domain.cadence import load_cadence
from leadtui.domain.window import CallingWindow
from leadtui.service import claims
from leadtui.store.postgres import open_pg_store
url, name, mode = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = datetime.fromisoformat(sys.argv[4])
store = open_pg_store(url, cadence=load_cadence())
print("ready", flush=True)
for line in sys.stdin:
    n, lead_id = line.split()
    now = t0 + timedelta(seconds=int(n))
    if mode == "claim":
        claim = claims.claim_lead(store, lead_id, name, name + "-screen", now, 600)
        print(json.dumps([n, claim.session]), flush=True)
    else:
        taken = store.take_next(name, name + "-screen", now, 600, CallingWindow())
        print(json.dumps([n, taken.lead_id if taken else None]), flush=True)
store.close()
"""


def _pool(url: str, count: int) -> list[str]:
    store = open_pg_store(url, cadence=load_cadence())
    drafts = [
        LeadDraft(f"Mesa Caller {n}", f"+1602555{n:04d}", "", "web", "America/Phoenix",
                  T0 - timedelta(minutes=3 * n))
        for n in range(count)
    ]  # fmt: skip
    ids = [result.lead.id for result in store.add_leads(drafts, T0)]
    store.close()
    return ids


def _reps(url: str, mode: str) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REP, url, name, mode, T0.isoformat()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env,
        )  # fmt: skip
        for name in ("ines", "omar")
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return procs


def _round(procs: list[subprocess.Popen], line: str) -> list[object]:
    for proc in procs:  # both at once: neither waits for the other's answer
        assert proc.stdin is not None
        proc.stdin.write(line)
        proc.stdin.flush()
    answers = []
    for proc in procs:
        assert proc.stdout is not None
        answers.append(json.loads(proc.stdout.readline())[1])
    return answers


def _finish(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]


def test_two_workstations_opening_one_lead_at_once_never_both_get_it(pg_url) -> None:
    ids = _pool(pg_url, ROUNDS)
    procs = _reps(pg_url, "claim")
    try:
        holders = [_round(procs, f"{n} {lead_id}\n") for n, lead_id in enumerate(ids)]
    finally:
        _finish(procs)
    store = open_pg_store(pg_url, cadence=load_cadence())
    shown = store.claims(T0 + timedelta(seconds=ROUNDS))
    store.close()
    last = ids[-1]
    for ines_sees, omar_sees in holders:  # each saw the holder's session: the same one
        assert ines_sees == omar_sees
        assert ines_sees in ("ines-screen", "omar-screen")
    assert shown[last].session == holders[-1][0]  # what the queue marks is that rep
    assert set(shown) == {last}  # the loser's earlier claim ended when it moved on


def test_two_reps_taking_the_next_lead_at_once_get_different_ones(pg_url) -> None:
    _pool(pg_url, ROUNDS * 2)
    procs = _reps(pg_url, "take")
    try:
        taken = [_round(procs, f"{n} -\n") for n in range(ROUNDS)]
    finally:
        _finish(procs)
    for ines_took, omar_took in taken:  # at the same moment: never the same lead
        assert ines_took is not None and omar_took is not None
        assert ines_took != omar_took
