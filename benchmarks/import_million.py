"""`python -m benchmarks.import_million`: `leadtui import` of a million-row CSV (issue 12).

    python -m benchmarks.import_million                  # 1,000,000 rows
    python -m benchmarks.import_million --rows 100000    # a smaller run
    python -m benchmarks.import_million --workers 1      # validation in one process

Writes a vendor-shaped CSV (unique valid numbers: 555 exchanges across US area codes,
names, emails, ISO arrival times with offsets) under benchmarks/_data, runs
`leadtui import FILE --json` in a fresh home as a child process, and samples the memory
of that process AND its worker processes every 20 ms from /proc (RSS of each, and their
sum: the honest figure when workers are forked). Prints wall time, rows per second, CPU
seconds (the import and its workers: what the wall time would be on one idle core), peak
RSS (main process and whole tree), the database size, and the load average before and
after (the machine is shared; a loaded machine stretches the wall time). Not a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.context import ROOT, subprocess_env

HERE = Path(__file__).resolve().parent
NOW = "2026-11-29T12:00:00Z"
FIRST = "Ada Bea Cal Dana Eli Fay Gus Hana Ivo Jo Kai Lena Milo Nia Omar Pia".split()
LAST = "Abbott Baker Chen Diaz Evans Fischer Garcia Hughes Ito Jensen Kowalski".split()
SOURCES = ("Spring promo", "Search", "Referral", "Expo")


def write_csv(path: Path, rows: int, seed: int = 18) -> None:
    """`rows` unique leads: +1 NXX 555 XXXX over 780 area codes (7.8 million numbers)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Full Name", "Phone Number", "Email", "Lead Source", "Created"])
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            area = 201 + (i // 10_000) % 780
            day, minute = 1 + i % 28, i % 1440
            out.writerow([
                f"{first} {last}",
                f"+1 {area} 555 {i % 10_000:04d}",
                f"{first.lower()}.{last.lower()}{i}@example.com",
                SOURCES[i % len(SOURCES)],
                f"2026-10-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00-05:00",
            ])  # fmt: skip


def _tree_rss(pid: int) -> tuple[int, int]:
    """(RSS of `pid`, RSS of `pid` and all its descendants), in kB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parts = handle.read().rsplit(")", 1)[1].split()
            ppid, pages = int(parts[1]), int(parts[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, ()))
    return rss.get(pid, 0), total


def run(rows: int, workers: int | None, keep: bool) -> dict[str, object]:
    work = HERE / "_data" / f"import-{rows}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data = work / "leads.csv"
    write_csv(data, rows)
    home = work / "home"
    patch = f"csv_import.import_workers = lambda: {workers}; " if workers else ""
    code = (
        "import sys; from leadtui.io import csv_import; " + patch + "from leadtui.cli import main; "
        f"sys.exit(main(['--home', {str(home)!r}, '--now', {NOW!r}, 'import', "
        f"{str(data)!r}, '--json', '--no-progress']))"
    )
    load_before = os.getloadavg()
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE
    )
    peaks = [0, 0]
    finished = threading.Event()

    def sample() -> None:  # (never reaps the child: wait4 below must get its usage)
        while not finished.is_set():
            main, tree = _tree_rss(child.pid)
            peaks[0], peaks[1] = max(peaks[0], main), max(peaks[1], tree)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # CPU of the import and its joined workers
    seconds = time.perf_counter() - start
    finished.set()
    child.returncode = os.waitstatus_to_exitcode(status)
    sampler.join()
    report = json.loads(out) if child.returncode == 0 else {}
    db = home / "leads.json"
    result: dict[str, object] = {
        "rows": rows,
        "csv_mb": round(data.stat().st_size / 2**20, 1),
        "exit": child.returncode,
        "imported": report.get("imported"),
        "rejected": report.get("rejected_total"),
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_main_mb": round(peaks[0] / 1024),
        "peak_rss_tree_mb": round(peaks[1] / 1024),
        "db_mb": round(db.stat().st_size / 2**20, 1) if db.exists() else None,
        "workers": workers or "default",
        "load_before": [round(x, 1) for x in load_before],
        "load_after": [round(x, 1) for x in os.getloadavg()],
    }
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.import_million", description=__doc__
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None, help="validation processes")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and the database")
    args = parser.parse_args(argv)
    result = run(args.rows, args.workers, args.keep)
    print(json.dumps(result, indent=2))
    return 0 if result["exit"] == 0 and result["imported"] == args.rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
