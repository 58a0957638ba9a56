"""The workstation's first frame on an existing PostgreSQL pool, in new processes.

    python -m benchmarks.pg_first_frame --url URL [--runs 5] [--root DIR]

Each run starts `leadtui --db URL --now BENCH_NOW` on an 80x24 pty (benchmarks/pty_run.py)
and times the moment the names of the first three due leads nobody has open (`queue
--json --limit 60`, asked first) are on the screen; it then lets the screen settle for
two seconds and reads the process's peak RSS (VmHWM) and CPU seconds (user + system, /proc) before
stopping it. The load average is printed with each run: the machine is shared. `--root`
runs another checkout's leadtui (a before/after comparison on the same pool).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from benchmarks.generate import BENCH_NOW
from benchmarks.pty_run import spawn

ROOT = Path(__file__).resolve().parent.parent


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(root), "LEADTUI_HOME": "/nonexistent-bench-home",
            "LEADTUI_REP_NAME": "Bench Rep", "LEADTUI_REP_PHONE": "+1 212 555 0100"}  # fmt: skip


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_frame(url: str, root: Path) -> dict[str, float]:
    """One new workstation process: first frame (s), CPU (s), peak RSS (MB)."""
    import subprocess

    base = [sys.executable, "-m", "leadtui", "--db", url, "--now", BENCH_NOW.isoformat()]
    out = subprocess.run([*base, "queue", "--json", "--limit", "60"], env=_env(root), cwd=root,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    # the cursor starts on the first lead nobody has open (the table scrolls to it): wait
    # for the names of the first three free ones (runs stopped by a signal leave claims,
    # which never expire under a fixed --now)
    free = [entry for entry in json.loads(out) if not entry.get("claimed_by")]
    names = [entry["name"][:12].encode() for entry in free[:3]]
    run = spawn(base, env=_env(root), cwd=str(root))
    try:
        seconds = run.read_until(names, timeout=300)
        cpu = _cpu_seconds(run.pid)
        run.read_for(2.0)
        cpu_settled = _cpu_seconds(run.pid)
    finally:
        rss = run.stop()
    if seconds is None:
        raise RuntimeError(f"the queue never showed: {run.last_line()}")
    return {"first_frame_s": seconds, "cpu_s": cpu, "cpu_after_2s": cpu_settled, "rss_mb": rss,
            "load1": os.getloadavg()[0]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_first_frame")
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT, help="the leadtui checkout to run")
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.runs):
        runs.append(first_frame(args.url, args.root))
        print(json.dumps(runs[-1]), file=sys.stderr)
    summary = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    print(json.dumps({"median": summary, "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
