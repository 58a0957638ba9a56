"""Quick store measurement: durable `log_touch` latency and open time at 1k/10k/50k leads.

    python benchmarks/store_log.py [--sizes 1000,10000,50000] [--logs 300] [--dir DIR]

Builds each database through the store API (about four touches per lead, written in
chunks of one transaction each, then compacted), reopens it, then times `log_touch` one
call at a time (fsync included) on random leads, beside an fsynced append of a line of the
same size (the physical floor). `read s`: first leads() + touches_by_lead() after open;
`refresh ms`: the same after the logs (what a screen pays per change). Prints one line per
size. Not a unit test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadtui.domain.cadence import load_cadence  # noqa: E402
from leadtui.domain.model import LeadDraft, Outcome  # noqa: E402
from leadtui.store.repository import open_store  # noqa: E402

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London"]
SOURCES = ["web", "facebook", "referral", "vendor-a"]
UNREACHED = [Outcome.NO_ANSWER, Outcome.VM_HANGUP, Outcome.VM_MESSAGE]


def build(path: Path, leads: int, rnd: random.Random) -> float:
    store = open_store(path, cadence=load_cadence())
    started = time.perf_counter()
    chunk = 2000
    for first in range(0, leads, chunk):
        drafts = [
            LeadDraft(
                name=f"Lead {n}",
                phone=f"+1{212 + n % 700:03d}555{n % 10_000:04d}"[:12] + f"{n // 10_000}",
                email=f"lead{n}@example.com",
                source=SOURCES[n % len(SOURCES)],
                timezone=ZONES[n % len(ZONES)],
                received_at=T0 - timedelta(minutes=n),
            )
            for n in range(first, min(leads, first + chunk))
        ]
        with store._storage.transaction():
            results = store.add_leads(drafts, T0)
            for result in results:
                for k in range(4):
                    at = result.lead.received_at + timedelta(hours=3 * k + rnd.random())
                    store.log_touch(result.lead.id, rnd.choice(UNREACHED), at)
    store._storage.compact()
    store.close()
    return time.perf_counter() - started


def floor(path: Path, line: bytes, count: int) -> float:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        os.write(fd, line)
        os.fsync(fd)
        times.append(time.perf_counter() - started)
    os.close(fd)
    return statistics.median(times)


def measure(size: int, logs: int, base: Path) -> dict[str, float]:
    rnd = random.Random(size)
    path = base / f"bench-{size}" / "leads.json"
    build_s = build(path, size, rnd)
    started = time.perf_counter()
    store = open_store(path, cadence=load_cadence())
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    leads = store.leads()
    by_lead = store.touches_by_lead()
    touches = sum(len(by_lead[lead.id]) for lead in leads)
    read_s = time.perf_counter() - started
    ids = [lead.id for lead in leads]
    times = []
    for n in range(logs):
        lead_id = rnd.choice(ids)
        at = T0 + timedelta(days=1, seconds=n)
        started = time.perf_counter()
        store.log_touch(lead_id, rnd.choice(UNREACHED), at, note="left a message", rep="bench")
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    store.touches_by_lead()
    store.leads()
    refresh_s = time.perf_counter() - started
    store.close()
    times.sort()
    line = b"x" * 200 + b"\n"
    return {
        "leads": size,
        "touches": touches,
        "build_s": build_s,
        "snapshot_mb": path.stat().st_size / 1e6,
        "open_s": open_s,
        "read_all_s": read_s,
        "refresh_ms": refresh_s * 1e3,
        "log_median_ms": statistics.median(times) * 1e3,
        "log_p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))] * 1e3,
        "log_max_ms": times[-1] * 1e3,
        "append_floor_ms": floor(path.with_name("floor.bin"), line, logs) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--logs", type=int, default=300)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        print(
            f"{'leads':>6} {'touches':>8} {'build s':>8} {'snap MB':>8} {'open s':>7} "
            f"{'read s':>7} {'refresh ms':>10} {'log med ms':>10} {'p99 ms':>7} {'max ms':>7} "
            f"{'floor ms':>8}"
        )
        for size in (int(s) for s in args.sizes.split(",")):
            r = measure(size, args.logs, Path(tmp))
            print(
                f"{r['leads']:>6} {r['touches']:>8} {r['build_s']:>8.1f} {r['snapshot_mb']:>8.1f} "
                f"{r['open_s']:>7.3f} {r['read_all_s']:>7.3f} {r['refresh_ms']:>10.1f} "
                f"{r['log_median_ms']:>10.2f} "
                f"{r['log_p99_ms']:>7.2f} {r['log_max_ms']:>7.2f} {r['append_floor_ms']:>8.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
