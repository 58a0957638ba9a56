"""Several processes on one database: no lost update, everyone sees everyone's writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from leadtui.domain.cadence import derive_status, load_cadence
from leadtui.domain.model import LeadDraft, LeadStatus
from leadtui.store.repository import doctor, open_store

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
TOUCHES_EACH = 250
REPEATS_EACH = 10
T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)

WRITER = r"""
import json, os, random, sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, Outcome
from leadtui.store.repository import open_store

path, number, start = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
count, repeats = int(sys.argv[4]), int(sys.argv[5])
store = open_store(path, cadence=load_cadence(), compact_bytes=20_000)
rnd = random.Random(number)
outcomes = [Outcome.NO_ANSWER, Outcome.VM_HANGUP, Outcome.VM_MESSAGE, Outcome.TALKED,
            Outcome.EMAIL, Outcome.TEXT]
t0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)
leads = [lead.id for lead in store.leads()]
while not start.exists():
    time.sleep(0.001)
ids = []
for n in range(count):
    at = t0 + timedelta(minutes=rnd.randrange(10_000))
    ids.append(store.log_touch(rnd.choice(leads), rnd.choice(outcomes), at, rep=f"w{number}").id)
    if n % (count // repeats) == 0:
        again = LeadDraft("Repeat", "+12125559999", "", "web", "America/New_York", t0)
        assert store.add_leads([again], t0)[0].created is False
print(json.dumps(ids))
"""


def test_four_writers_250_touches_each(tmp_path: Path) -> None:
    db = tmp_path / "data" / "leads.json"
    cadence = load_cadence()
    store = open_store(db, cadence=cadence)
    drafts = [
        LeadDraft(f"Lead {n}", f"+1212555{n:04d}", "", "web", "America/New_York", T0)
        for n in range(20)
    ]
    drafts.append(LeadDraft("Repeat", "+12125559999", "", "web", "America/New_York", T0))
    store.add_leads(drafts, T0)
    start = tmp_path / "start"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(db),
                str(n),
                str(start),
                str(TOUCHES_EACH),
                str(REPEATS_EACH),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )  # fmt: skip
        for n in range(WRITERS)
    ]
    version = store.version()
    start.touch()
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    confirmed = [tid for out, _ in outputs for tid in json.loads(out)]
    assert len(confirmed) == len(set(confirmed)) == WRITERS * TOUCHES_EACH

    # the store that stayed open in this process catches up on its next read
    assert store.changed()
    by_lead = store.touches_by_lead()
    assert store.version() > version
    stored = [t.id for ts in by_lead.values() for t in ts]
    assert sorted(stored) == sorted(confirmed)
    reps = Counter(t.rep for ts in by_lead.values() for t in ts)
    assert reps == {f"w{n}": TOUCHES_EACH for n in range(WRITERS)}
    for lead in store.leads():
        touches = by_lead[lead.id]
        assert list(touches) == sorted(touches, key=lambda t: t.at)
        base = replace(lead, status=LeadStatus.NEW)
        assert lead.status is derive_status(base, touches, cadence), lead.id
    in_commit_order = [doc.get("rep") for doc in store._db.table("touches").all()]
    switches = sum(a != b for a, b in zip(in_commit_order, in_commit_order[1:], strict=False))
    assert switches > 3 * WRITERS, "the writers did not actually run at the same time"
    repeat = next(lead for lead in store.leads() if lead.phone == "+12125559999")
    assert len(repeat.inquiries) == WRITERS * REPEATS_EACH  # no lost read-modify-write
    print(f"\nconcurrency: {WRITERS} writers, {len(stored)} touches, {switches} interleavings")
    store.close()

    fresh = open_store(db, cadence=cadence)
    assert sorted(t.id for ts in fresh.touches_by_lead().values() for t in ts) == sorted(stored)
    fresh.close()
    assert not [line for line in doctor(db) if line.startswith("problem:")]
