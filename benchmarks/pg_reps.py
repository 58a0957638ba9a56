"""Durable `log` latency with many rep processes on one PostgreSQL pool (issue 14).

    python -m benchmarks.pg_reps --url URL [--reps 20] [--logs 60] [--pace 0.5]

Models a team: every rep is its own process (`python -m benchmarks.pg_reps --rep …`) with
its own store and connections; all of them open their store first and wait at a common
start line (process start-up is not a rep's call), then each logs an outcome on its own
leads every 0-2×PACE seconds (0-1 s by default: "20 concurrent reps"). Each log is timed
from the call to the committed, flushed answer (`store.log_touch`), with the CPU time the
rep process spent in it. The parent reports p50/p99/max, client CPU per log, the server's
CPU per log (its backends' /proc times, when the server's data folder is given), and the
load average before, during and after: figures on a shared machine mean little without it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.generate import BENCH_NOW

ROOT = Path(__file__).resolve().parent.parent


def rep_main(url: str, number: int, logs: int, pace: float, ids: list[str]) -> None:
    """One rep process: open the store, say `ready`, wait for `go` on stdin, log, report."""
    from leadtui.domain.cadence import load_cadence
    from leadtui.domain.model import Outcome
    from leadtui.store.postgres import open_pg_store

    phases = _time_phases()
    store = open_pg_store(url, cadence=load_cadence())
    print("ready", flush=True)
    sys.stdin.readline()
    rng = random.Random(number)
    wall: list[float] = []
    cpu: list[float] = []
    for i in range(logs):
        time.sleep(rng.uniform(0, 2 * pace))  # the rep talks to the lead between logs
        at = BENCH_NOW + timedelta(seconds=i, microseconds=number)
        started, cpu_started = time.perf_counter(), time.process_time()
        store.log_touch(ids[i % len(ids)], Outcome.NO_ANSWER, at, rep=f"rep{number}")
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    print(json.dumps({"wall": wall, "cpu": cpu, **phases}), flush=True)
    sys.stdin.readline()  # stay connected until every rep is done (server CPU is read then)
    store.close()


def _time_phases() -> dict[str, list[float]]:
    """Where a log's time goes, from inside the store: `read` is the wait for the first
    round trip's answers once sent (lock, applied_writes check, lead, touches), `decide` the
    Python work on them (status and next action from the touches); the rest of a log is
    sending the writes and the second round trip (COMMIT, its WAL flush, the NOTIFY)."""
    from leadtui.store.postgres import store as module

    phases: dict[str, list[float]] = {"read": [], "decide": []}
    if not hasattr(module.PgLeadStore, "_lead_for_write"):  # a store from before them
        return phases
    send, read = module.PgLeadStore._lead_for_write, module._lead_read
    decide = module.PgLeadStore._store_status
    sent = [0.0]

    def timed_send(*args: Any, **kwargs: Any) -> Any:
        try:
            return send(*args, **kwargs)
        finally:
            sent[0] = time.perf_counter()

    def timed_read(*args: Any) -> Any:
        try:
            return read(*args)
        finally:
            phases["read"].append(time.perf_counter() - sent[0])

    def timed_decide(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return decide(*args, **kwargs)
        finally:
            phases["decide"].append(time.perf_counter() - started)

    module.PgLeadStore._lead_for_write = timed_send  # type: ignore[method-assign]
    module._lead_read = timed_read  # type: ignore[assignment]
    module.PgLeadStore._store_status = timed_decide  # type: ignore[method-assign]
    return phases


def _server_cpu(data_dir: Path | None) -> float | None:
    """CPU seconds (user + system) of the server's processes so far (its postmaster's
    children: backends, WAL writer, checkpointer), None when unknown."""
    if data_dir is None:
        return None
    try:
        master = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master or int(entry.name) == master:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _wal(url: str) -> tuple[int, float] | None:
    """(WAL flushes so far, ms spent in them) from pg_stat_wal; the time is counted only
    when the server runs with track_wal_io_timing on (tests/pg_support.py does)."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT wal_sync, wal_sync_time FROM pg_stat_wal").fetchone()
    except psycopg.Error:
        return None
    return (int(row[0]), float(row[1])) if row else None


def _pick(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))]


def measure(
    url: str, reps: int, logs: int, pace: float, data_dir: Path | None = None
) -> dict[str, Any]:
    """Run REPS rep processes; the figures as one flat dict."""
    import psycopg

    with psycopg.connect(url) as conn:  # each rep works its own active leads
        ids = [row[0] for row in conn.execute(
            "SELECT id FROM leads WHERE next_due IS NOT NULL ORDER BY seq LIMIT %s", (reps * 5,)
        )]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.pg_reps", "--rep", str(n), "--url", url,
             "--logs", str(logs), "--pace", str(pace), "--ids", ",".join(ids[n::reps])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True,
        )  # fmt: skip
        for n in range(reps)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    load_before = os.getloadavg()
    server_before = _server_cpu(data_dir)
    wal_before = _wal(url)
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    wall: list[float] = []
    cpu: list[float] = []
    phases: dict[str, list[float]] = {"read": [], "decide": []}
    load_during = 0.0
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        load_during = max(load_during, os.getloadavg()[0])
        if not line:
            raise RuntimeError("a rep process died")
        done = json.loads(line)
        wall += done["wall"]
        cpu += done["cpu"]
        for name in phases:
            phases[name] += done.get(name, [])
    elapsed = time.perf_counter() - started
    server_after = _server_cpu(data_dir)
    wal_after = _wal(url)
    for proc in procs:
        proc.communicate("quit\n", timeout=60)
    wall.sort()
    count = len(wall)
    result = {
        "reps": reps, "logs": count, "pace_s": f"0-{2 * pace:g}", "seconds": round(elapsed, 1),
        "p50_ms": round(1000 * _pick(wall, 0.5), 2), "p99_ms": round(1000 * _pick(wall, 0.99), 2),
        "max_ms": round(1000 * wall[-1], 2),
        "client_cpu_ms_per_log": round(1000 * sum(cpu) / count, 3),
        **{
            f"{name}_p50_ms": round(1000 * _pick(sorted(values), 0.5), 2)
            for name, values in phases.items() if values
        },
        "load_before": [round(x, 2) for x in load_before],
        "load_1min_max_during": round(load_during, 2),
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip
    if wal_before is not None and wal_after is not None:
        syncs = wal_after[0] - wal_before[0]
        result["wal_flushes_per_log"] = round(syncs / count, 2)
        if wal_after[1] > wal_before[1] and syncs:  # track_wal_io_timing on
            result["wal_flush_ms"] = round((wal_after[1] - wal_before[1]) / syncs, 2)
    if server_before is not None and server_after is not None:
        result["server_cpu_ms_per_log"] = round(1000 * (server_after - server_before) / count, 3)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_reps")
    parser.add_argument("--url", required=True)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--logs", type=int, default=60, help="logs per rep")
    parser.add_argument("--pace", type=float, default=0.5, help="mean seconds between logs")
    parser.add_argument("--data-dir", type=Path, default=None, help="the server's data folder")
    parser.add_argument("--rep", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--ids", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rep is not None:
        rep_main(args.url, args.rep, args.logs, args.pace, args.ids.split(","))
        return 0
    print(json.dumps(measure(args.url, args.reps, args.logs, args.pace, args.data_dir), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
