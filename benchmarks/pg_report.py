"""The report on a large PostgreSQL pool: `report --json` in a new process, timed.

    python -m benchmarks.pg_report [--leads 1000000] [--runs 3] [--url URL] [--keep]

Without `--url` it starts its own server (as the tests do), loads the pool with COPY
(benchmarks/pg_generate.py, each lead's report figures included, as the store writes
them) and, with `--keep`, leaves the server running and prints its URL so later runs can
pass `--url`. Prints one JSON document: per run the wall seconds, CPU seconds of the
process (user + sys), peak RSS, and the load average at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from typing import Any

from benchmarks.pg_bench import NOW as BENCH_NOW
from benchmarks.pg_bench import ROOT, _env


def timed_report(url: str, *argv: str) -> dict[str, float]:
    """One `leadtui --db URL report --json ARGV` process: wall, CPU, peak RSS."""
    import subprocess
    import tempfile
    import time

    command = [sys.executable, "-m", "leadtui", "--db", url, "--now", BENCH_NOW, "report",
               "--json", *argv]  # fmt: skip
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=_env(), cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise RuntimeError(err.read().decode(errors="replace").strip())
        out.seek(0)
        leads = json.loads(out.read())["overall"]["leads"]
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "load": round(load, 2),
            "leads": leads}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_report")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", default=None, help="an existing pool (skip server + load)")
    parser.add_argument("--keep", action="store_true", help="leave the server running")
    parser.add_argument("--rep", default=None, help="also time report --rep NAME")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    server, url = None, args.url
    if url is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_support import start_server

        from benchmarks.pg_generate import load
        from leadtui.domain.cadence import load_cadence

        server = start_server()
        url = server.new_database()
        print(f"server in {server.dir} on port {server.port}", file=sys.stderr)
        results["load"] = load(url, args.leads, load_cadence(),
                               say=lambda text: print(text, file=sys.stderr))  # fmt: skip
    try:
        runs = [timed_report(url) for _ in range(args.runs)]
        results["report"] = runs
        results["report_median_wall_s"] = statistics.median(r["wall_s"] for r in runs)
        results["report_median_cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
        if args.rep:
            results["report_rep"] = timed_report(url, "--rep", args.rep)
    finally:
        if server is not None and not args.keep:
            server.destroy()
        elif server is not None:
            print(f"kept: {url} (server in {server.dir})", file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
