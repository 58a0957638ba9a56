"""PostgreSQL benchmarks: a large pool (default 1,000,000 leads) on a private server.

    python -m benchmarks.pg_bench [--leads N] [--reps 20] [--logs 60] [--pace 0.5]
                                  [--report] [--workstation]

Starts its own server (Debian's binaries, as in the tests), loads the pool with COPY
(benchmarks/pg_generate.py), then measures, each in a fresh process like a rep would run
it: `queue --json --limit 60` (wall time and peak RSS), durable `log` latency with REPS
concurrent rep processes (benchmarks/pg_reps.py: one process per rep, one log every
0-1 s; p50/p99, CPU per log, load average), and one rep alone, how long another
process's write takes to be seen (LISTEN/NOTIFY), `doctor`, and with --report /
--workstation the report and the workstation's first frame on a pty. Prints one JSON
document with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.generate import BENCH_NOW

ROOT = Path(__file__).resolve().parent.parent
NOW = BENCH_NOW.isoformat()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "LEADTUI_HOME": "/nonexistent-bench-home",
            "LEADTUI_REP_NAME": "Bench Rep", "LEADTUI_REP_PHONE": "+1 212 555 0100"}  # fmt: skip


def timed_cli(url: str, *argv: str) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one `leadtui --db URL ARGV` process, its rusage
    taken through a small launcher (a child forked from this process, which may hold a
    large pool it loaded, would inherit that peak RSS figure across exec)."""
    from benchmarks.side_by_side import _LAUNCH

    command = [sys.executable, "-m", "leadtui", "--db", url, "--now", NOW, *argv]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCH, *command], capture_output=True,
                          env=_env(), cwd=ROOT, check=False)  # fmt: skip
    seconds = time.perf_counter() - started
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("RUSAGE"):
        raise RuntimeError(f"{argv}: {' '.join(lines)[-500:]}")
    return seconds, float(lines[-1].split()[1]) / 1024, done.stdout.decode()


def measure_queue(url: str, runs: int = 5) -> dict[str, Any]:
    times, rss = [], 0.0
    for _ in range(runs):
        seconds, peak, out = timed_cli(url, "queue", "--json", "--limit", "60")
        times.append(seconds)
        rss = max(rss, peak)
        assert len(json.loads(out)) == 60, "the queue should have 60 due leads"
    return {"queue_limit_60_s": statistics.median(times), "queue_runs_s": times,
            "queue_peak_rss_mb": rss}  # fmt: skip


def measure_logs(
    url: str, reps: int, logs: int, pace: float, data_dir: Any = None
) -> dict[str, Any]:
    """Durable log latency with REPS rep processes (benchmarks/pg_reps.py)."""
    from benchmarks.pg_reps import measure

    figures = measure(url, reps, logs, pace, data_dir)
    return {f"log_{reps}_reps_{key}": value for key, value in figures.items()}


def measure_visibility(url: str, rounds: int = 20) -> dict[str, Any]:
    """Seconds from another store's committed write to `changed()` saying so."""
    from leadtui.domain.cadence import load_cadence
    from leadtui.domain.model import LeadDraft
    from leadtui.store.postgres import open_pg_store

    cadence = load_cadence()
    watcher, writer = open_pg_store(url, cadence=cadence), open_pg_store(url, cadence=cadence)
    seen = []
    for n in range(rounds):
        watcher.version()
        while watcher.changed():
            watcher.version()
        draft = LeadDraft(f"Outside {n}", f"+1555999{n:04d}", "", "bench", "America/Chicago",
                          BENCH_NOW)  # fmt: skip
        writer.add_leads([draft], BENCH_NOW)
        started = time.perf_counter()
        while not watcher.changed():
            time.sleep(0.001)
        seen.append(time.perf_counter() - started)
    watcher.close()
    writer.close()
    seen.sort()
    return {"outside_change_seen_p50_ms": 1000 * seen[len(seen) // 2],
            "outside_change_seen_max_ms": 1000 * seen[-1]}  # fmt: skip


def measure_workstation(url: str) -> dict[str, Any]:
    from benchmarks.pty_run import spawn

    _, _, out = timed_cli(url, "queue", "--json", "--limit", "3")
    names = [entry["name"][:12].encode() for entry in json.loads(out)]
    run = spawn([sys.executable, "-m", "leadtui", "--db", url, "--now", NOW], env=_env(),
                cwd=str(ROOT))  # fmt: skip
    try:
        first = run.read_until(names, timeout=300)
        run.read_for(2.0)
    finally:
        rss = run.stop()
    return {"workstation_first_frame_s": first, "workstation_rss_mb": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_bench")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--logs", type=int, default=60, help="logs per rep process")
    parser.add_argument("--pace", type=float, default=0.5,
                        help="mean seconds between one rep's logs (0-2x: 0-1 s by default)")
    parser.add_argument("--only-logs", action="store_true", help="with --url: only the logs")
    parser.add_argument("--url", default=None, help="an existing pool (skip server + load)")
    parser.add_argument("--report", action="store_true", help="also time report --json")
    parser.add_argument("--workstation", action="store_true", help="also the first frame")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    results: dict[str, Any] = {"leads": args.leads}
    server = None
    url = args.url
    if url is None:
        from pg_support import start_server

        from benchmarks.pg_generate import load
        from leadtui.domain.cadence import load_cadence

        server = start_server()
        url = server.new_database()
        print(f"server on port {server.port}; loading {args.leads:,} leads", file=sys.stderr)
        results["load"] = load(url, args.leads, load_cadence(),
                               say=lambda text: print(text, file=sys.stderr))  # fmt: skip
    try:
        data_dir = server.data if server is not None else None
        if args.only_logs:
            results.update(measure_logs(url, args.reps, args.logs, args.pace, data_dir))
            print(json.dumps(results, indent=2))
            return 0
        results.update(measure_queue(url))
        print(json.dumps(results), file=sys.stderr)
        results.update(measure_visibility(url))
        if args.workstation:
            results.update(measure_workstation(url))
        if args.report:
            seconds, rss, _ = timed_cli(url, "report", "--json")
            results.update({"report_s": seconds, "report_peak_rss_mb": rss})
        print(json.dumps(results), file=sys.stderr)
        results.update(measure_logs(url, 1, args.logs, args.pace, data_dir))
        results.update(measure_logs(url, args.reps, args.logs, args.pace, data_dir))
        seconds, _, out = timed_cli(url, "doctor")
        results["doctor_s"] = seconds
        results["doctor"] = out.strip().splitlines()
    finally:
        if server is not None and not os.environ.get("LEADTUI_BENCH_KEEP"):
            server.destroy()
        elif server is not None:
            print(f"kept: {url} in {server.dir}", file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
