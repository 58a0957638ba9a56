"""Command-line figures, each a fresh `python -m leadtui` process timed from outside.

- import: the size's CSV into an empty home (`--json`, checked for the imported count);
- queue: `queue --json` on the generated database, median of several runs;
- floors: `python -c pass` and `leadtui --version` (interpreter + imports, no data).
One unmeasured run of each command first warms the page cache and the bytecode cache.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import time
from collections.abc import Sequence

from benchmarks.context import ROOT, Bench, python, subprocess_env
from benchmarks.results import Figure, figure, median

TIMEOUT = 600


def run(
    args: Sequence[str], *, timeout: float = TIMEOUT
) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(
        list(args),
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return time.perf_counter() - start, done


def leadtui(*args: str) -> list[str]:
    return [python(), "-m", "leadtui", *args]


@functools.cache
def has_command(name: str) -> bool:
    """True when `leadtui <name> --help` works (the command has been built)."""
    _, done = run(leadtui(name, "--help"), timeout=60)
    return done.returncode == 0


def _failed(done: subprocess.CompletedProcess) -> Figure:
    err = done.stderr.decode(errors="replace").strip().splitlines()
    return Figure.missing(f"error: exit {done.returncode}: {err[-1] if err else ''}"[:120])


def measure_floors(bench: Bench) -> dict[str, Figure]:
    runs = 3 if bench.quick else 7
    out: dict[str, Figure] = {}
    for key, cmd in (
        ("python_floor", [python(), "-c", "pass"]),
        ("cli_floor", leadtui("--version")),
    ):
        run(cmd)
        times = []
        for _ in range(runs):
            seconds, done = run(cmd)
            if done.returncode != 0:
                out[key] = _failed(done)
                break
            times.append(seconds)
        else:
            out[key] = figure(key, median(times), f"median of {runs}")
    return out


def measure_import(bench: Bench) -> dict[str, Figure]:
    if not has_command("import"):
        return {"import": Figure.missing()}
    runs = 1 if bench.quick or bench.size >= 50_000 else 3
    rates, note = [], ""
    for i in range(runs + 1):  # the first run warms up (at 50k it counts: too slow to repeat)
        home = bench.workdir / f"import-home-{i}"
        shutil.rmtree(home, ignore_errors=True)
        seconds, done = run(
            leadtui("--home", str(home), "--now", bench.now_iso, "import", str(bench.csv), "--json")
        )
        shutil.rmtree(home, ignore_errors=True)
        if done.returncode != 0:
            return {"import": _failed(done)}
        report = json.loads(done.stdout)
        imported = int(report.get("imported", 0))
        note = f"{imported:,} imported, {len(report.get('rejected', []))} rejected"
        if imported != bench.size:
            note += f" (expected {bench.size:,})"
        if i or bench.size >= 50_000:
            rates.append(imported / seconds)
        if bench.size >= 50_000:
            break
    return {"import": figure("import", median(rates), note)}


def measure_queue(bench: Bench) -> dict[str, Figure]:
    if not has_command("queue"):
        return {"queue": Figure.missing()}
    runs = 3 if bench.quick else 5
    cmd = leadtui("--home", str(bench.home), "--now", bench.now_iso, "queue", "--json")
    _, done = run(cmd)
    if done.returncode != 0:
        return {"queue": _failed(done)}
    entries = len(json.loads(done.stdout))
    times = []
    for _ in range(runs):
        seconds, done = run(cmd)
        times.append(seconds)
    note = f"{entries:,} due entries, {len(done.stdout) / 1e3:,.0f} kB of JSON"
    return {"queue": figure("queue", median(times), note)}


# Runs a command and prints its peak RSS (kB, the kernel's high-water mark of that child
# alone: this small parent is all that could count before exec) as the last stderr line.
_PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def run_peak(args: Sequence[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS (MB) and the result of one command."""
    seconds, done = run([python(), "-c", _PEAK, *args])
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    peak = float(lines[-1].split()[1]) / 1024 if lines and lines[-1].startswith("PEAK_KB") else 0
    return seconds, peak, done


def _timed_with_peak(bench: Bench, key: str, cmd: list[str], note: str) -> dict[str, Figure]:
    runs = 3 if bench.quick else 5
    run_peak(cmd)  # warm the page cache
    times, peaks = [], []
    for _ in range(runs):
        seconds, peak, done = run_peak(cmd)
        if done.returncode != 0:
            return {key: _failed(done), f"{key}_mb": _failed(done)}
        times.append(seconds)
        peaks.append(peak)
    detail = f"median of {runs} ({min(times):.2f}-{max(times):.2f} s); {note}"
    return {
        key: figure(key, median(times), detail),
        f"{key}_mb": figure(f"{key}_mb", max(peaks), f"largest of {runs}"),
    }


def measure_show(bench: Bench) -> dict[str, Figure]:
    """`leadtui show ID --json` of a lead in the archive: one process, time and memory."""
    found = bench.archived_lead()
    if found is None:
        return {k: Figure.missing("n/a (nothing archived)") for k in ("show", "show_mb")}
    cmd = leadtui("--home", str(bench.home), "--now", bench.now_iso, "show", found[0], "--json")
    return _timed_with_peak(bench, "show", cmd, f"lead {found[0]}")


def measure_report(bench: Bench) -> dict[str, Figure]:
    """`leadtui report --json` over every lead: one process, time and memory."""
    cmd = leadtui("--home", str(bench.home), "--now", bench.now_iso, "report", "--json")
    return _timed_with_peak(bench, "report", cmd, "every lead, archive included")


def top_names(bench: Bench, count: int = 3) -> list[str]:
    """Names of the first leads on the queue (to spot the workstation's first frame)."""
    if not has_command("queue"):
        return []
    _, done = run(
        leadtui(
            "--home",
            str(bench.home),
            "--now",
            bench.now_iso,
            "queue",
            "--json",
            "--limit",
            str(count),
        )
    )
    if done.returncode != 0:
        return []
    return [entry["name"] for entry in json.loads(done.stdout)]
