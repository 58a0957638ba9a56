"""TinyDB and PostgreSQL side by side on the same pool at 1k, 50k and 200k leads (issue 14).

    python -m benchmarks.side_by_side [--sizes 1000,50000,200000] [--root DIR] [--write]

Each size is built ONCE: the PostgreSQL pool is loaded with COPY (benchmarks/pg_generate.py,
the same mix of leads and cadence-worked touches as the TinyDB benchmarks), then copied
into a TinyDB folder with `leadtui db copy` (verified per table), so both backends hold
exactly the same leads and touches; the TinyDB copy is kept under --root and reused by a
later run. Then, per backend, each in a new process as a rep would run it:

- `queue --json --limit 60` (open + the first 60 rows), `report --json`, `show LEAD`:
  wall time, CPU (user + system, from the child's rusage) and peak RSS, median of 3;
- durable `log`, one rep: 100 outcomes logged in a row on active leads (each on disk /
  committed before the call returns): median and p99;
- on PostgreSQL, "outside change visible": another store's committed write to
  `changed()` saying so (LISTEN/NOTIFY).

With --write the table goes into benchmarks/RESULTS.md under the findings marker, between
its own begin/end comments (replaced on the next run; the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.generate import BENCH_NOW
from benchmarks.machine import load_average

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN = "<!-- side-by-side: written by python -m benchmarks.side_by_side --write -->"
END = "<!-- end of side-by-side -->"
NOW = BENCH_NOW.isoformat()


# A small launcher runs each command and reports the command's own rusage: a child forked
# straight from this (large) process would inherit its peak RSS figure across exec.
_LAUNCH = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print('RUSAGE', use.ru_maxrss, use.ru_utime + use.ru_stime, file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def run_cli(home: Path, db: str | None, *argv: str) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, stdout) of one `leadtui` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADTUI_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed leadtui has its .pyc files
    env.update(PYTHONPATH=str(ROOT), LEADTUI_HOME=str(home))
    command = [sys.executable, "-m", "leadtui", *(["--db", db] if db else []), "--now", NOW]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCH, *command, *argv],
                          capture_output=True, env=env, cwd=ROOT, check=False)  # fmt: skip
    wall = time.perf_counter() - started
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("RUSAGE"):
        raise RuntimeError(f"{argv}: {' '.join(lines)[-300:]}")
    _, peak_kb, cpu = lines[-1].split()
    return wall, float(cpu), float(peak_kb) / 1024, done.stdout.decode()


def timed(home: Path, db: str | None, *argv: str, runs: int = 3) -> dict[str, float]:
    results = sorted((run_cli(home, db, *argv) for _ in range(runs)), key=lambda r: r[0])
    wall, cpu, rss, _ = results[len(results) // 2]
    return {"wall_s": wall, "cpu_s": cpu, "rss_mb": max(r[2] for r in results)}


def open_backend(home: Path, db: str | None) -> Any:
    from leadtui.domain.cadence import load_cadence
    from leadtui.paths import resolve_paths
    from leadtui.store.postgres import open_pg_store
    from leadtui.store.repository import open_store

    if db:
        return open_pg_store(db, cadence=load_cadence())
    return open_store(resolve_paths(home).db, cadence=load_cadence(), clock=lambda: BENCH_NOW)


def log_latency(home: Path, db: str | None, count: int = 100) -> dict[str, float]:
    """One rep logging `count` outcomes back to back, each durable before it returns."""
    from leadtui.domain.model import Outcome
    from leadtui.domain.window import CallingWindow

    store = open_backend(home, db)
    try:
        ids = [lead.id for lead in store.queue_head(BENCH_NOW, count, CallingWindow())]
        ids = ids or [lead.id for lead in store.active_leads()[:count]]
        times = []
        for n in range(count):
            at = BENCH_NOW + timedelta(seconds=n, microseconds=31)
            started = time.perf_counter()
            store.log_touch(ids[n % len(ids)], Outcome.NO_ANSWER, at, rep="Bench Rep")
            times.append(time.perf_counter() - started)
    finally:
        store.close()
    times.sort()
    return {"log_p50_ms": 1000 * times[count // 2], "log_p99_ms": 1000 * times[int(count * 0.99)]}


def measure(home: Path, db: str | None) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    _, _, _, out = run_cli(home, db, "queue", "--json", "--limit", "60")
    shown = json.loads(out)
    assert shown, "no lead is due in the pool"
    lead_id = shown[len(shown) // 2]["id"]
    for name, argv in (
        ("queue", ("queue", "--json", "--limit", "60")),
        ("report", ("report", "--json")),
        ("show", ("show", lead_id)),
    ):
        figures.update({f"{name}_{k}": v for k, v in timed(home, db, *argv).items()})
    figures.update(log_latency(home, db))
    return figures


def build(server: Any, size: int, root: Path) -> tuple[str, Path, dict[str, Any]]:
    """Load the PostgreSQL pool of `size` leads; copy it to TinyDB unless already there."""
    from benchmarks.pg_generate import load
    from leadtui.domain.cadence import load_cadence
    from leadtui.paths import ensure_private_dir, resolve_paths

    url = server.new_database()
    started = time.perf_counter()
    loaded = load(url, size, load_cadence(), say=lambda text: print(text, file=sys.stderr))
    info: dict[str, Any] = {"pg_load_s": time.perf_counter() - started, **loaded}
    home = root / str(size) / "home"
    done = root / str(size) / "built"
    if not done.exists():  # the same pool, seeded the same way: copied once, then reused
        paths = resolve_paths(home)
        ensure_private_dir(paths.data_dir)
        started = time.perf_counter()
        run_cli(home, None, "db", "copy", "--from", url, "--to", str(paths.db))
        store = open_backend(home, None)
        store.compact()  # settled, as a store in use is (benchmarks/context.py)
        store.close()
        info["tinydb_copy_s"] = time.perf_counter() - started
        done.write_text(json.dumps(loaded))
    work = root / str(size) / "work"  # measuring writes (log): on a copy, the build stays
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(home, work)
    return url, work, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.side_by_side")
    parser.add_argument("--sizes", default="1000,50000,200000")
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "leadtui-sbs")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_support import start_server

    from benchmarks.pg_bench import measure_visibility

    sizes = [int(s) for s in args.sizes.split(",")]
    compile_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "leadtui")],
                   env=compile_env, check=False, stdout=subprocess.DEVNULL)  # fmt: skip
    results: dict[str, Any] = {"load_at_start": load_average(), "sizes": {}}
    server = start_server()
    try:
        for size in sizes:
            url, home, info = build(server, size, args.root)
            print(f"{size}: built {info}", file=sys.stderr)
            row = {"build": info, "tinydb": measure(home, None), "postgres": measure(home, url)}
            row["postgres"].update(measure_visibility(url))
            results["sizes"][str(size)] = row
            print(json.dumps(row), file=sys.stderr)
            server.drop(url)
    finally:
        server.destroy()
    results["load_at_end"] = load_average()
    print(json.dumps(results, indent=2))
    if args.write:
        write_section(results)
    return 0


ROWS = (
    ("`queue --json --limit 60`, wall (s)", "queue_wall_s", "{:.2f}"),
    ("`queue --json --limit 60`, CPU (s)", "queue_cpu_s", "{:.2f}"),
    ("`queue --json --limit 60`, peak RSS (MB)", "queue_rss_mb", "{:.0f}"),
    ("durable `log`, one rep, median (ms)", "log_p50_ms", "{:.1f}"),
    ("durable `log`, one rep, p99 (ms)", "log_p99_ms", "{:.1f}"),
    ("`report --json`, wall (s)", "report_wall_s", "{:.2f}"),
    ("`report --json`, CPU (s)", "report_cpu_s", "{:.2f}"),
    ("`report --json`, peak RSS (MB)", "report_rss_mb", "{:.0f}"),
    ("`show LEAD`, wall (s)", "show_wall_s", "{:.2f}"),
    ("`show LEAD`, CPU (s)", "show_cpu_s", "{:.2f}"),
    ("`show LEAD`, peak RSS (MB)", "show_rss_mb", "{:.0f}"),
    ("outside change visible, p50 (ms)", "outside_change_seen_p50_ms", "{:.2f}"),
    ("outside change visible, max (ms)", "outside_change_seen_max_ms", "{:.2f}"),
)


def table(results: dict[str, Any]) -> str:
    sizes = list(results["sizes"])
    labels = [f"{int(s) // 1000}k" for s in sizes]
    header = ["measurement", *[f"{b} {lab}" for lab in labels for b in ("TinyDB", "PG")]]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for label, key, form in ROWS:
        cells = []
        for size in sizes:
            for backend in ("tinydb", "postgres"):
                value = results["sizes"][size][backend].get(key)
                cells.append("—" if value is None else form.format(value))
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)


def write_section(results: dict[str, Any]) -> None:
    from benchmarks.machine import cpu_model

    builds = ", ".join(
        f"{int(s):,}: {row['build']['touches']:,} touches" for s, row in results["sizes"].items()
    )
    section = "\n".join([
        BEGIN,
        "## TinyDB and PostgreSQL side by side (issue 14)",
        "",
        f"`python -m benchmarks.side_by_side --write`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "  # noqa: E501
        f"{cpu_model()}, {os.cpu_count()} cores; load average at start {results['load_at_start']}, "  # noqa: E501
        f"at end {results['load_at_end']} (a shared machine: CPU seconds are the steadier "
        f"figure). The same pool on both backends ({builds}): loaded into PostgreSQL "
        "with COPY, copied to TinyDB with `leadtui db copy`. Whole processes except `log` "
        "(100 outcomes in a row in one process, each durable before it returns). "
        "PostgreSQL: a private server on 127.0.0.1 (tests/pg_support.py), synchronous_commit on.",
        "",
        table(results),
        END,
    ])  # fmt: skip
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        marker = "<!-- findings:"
        at = text.index(marker)
        after = text.index("\n", at) + 1
        text = text[:after] + "\n" + section + "\n" + text[after:]
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
