"""The full concurrency run of issue 14: 20 rep processes x 60 s on one PostgreSQL pool.

    python -m benchmarks.pg_concurrency [--reps 20] [--seconds 60] [--leads 20000]

Each rep process (tests/pg_writer.py) takes the next lead with take_next and logs an
outcome on it, printing only confirmed writes. Afterwards: no confirmed touch lost, none
doubled, no lead taken by two reps. The test suite runs the same check shortened
(tests/unit/test_pg_crash.py: 8 reps x 10 s).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_concurrency")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--leads", type=int, default=20_000)
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "unit")]
    from pg_support import start_server
    from test_pg_crash import check, confirmed, pool, writers

    server = start_server()
    try:
        url = pool(server, args.leads)
        started = time.perf_counter()
        procs = writers(url, args.reps, args.seconds, "take")
        notes, took = confirmed(procs)
        elapsed = time.perf_counter() - started
        check(url, notes)  # raises AssertionError on a lost or doubled touch
        assert len(set(took)) == len(took), "a lead was taken by two reps"
        print(json.dumps({
            "reps": args.reps, "seconds": args.seconds, "leads": args.leads,
            "confirmed_touches": len(notes), "leads_taken": len(took),
            "touches_per_second": round(len(notes) / elapsed, 1),
            "lost": 0, "doubled": 0, "taken_twice": 0,
        }, indent=2))  # fmt: skip
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
