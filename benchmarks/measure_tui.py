"""Workstation and blitz figures.

- in process: `benchmarks.tui_probe` in a fresh process (first frame, live tick, a tick
  driven directly); see that module for exactly what each figure covers;
- new process: `python -m leadtui --home DIR --now ISO` on an 80x24 pty, timed from the
  fork to the first output that shows one of the queue's first names; kept running a few
  seconds, then another process adds a lead (the workstation re-ranks from every lead's
  touches), and after a few more seconds its peak RSS (VmHWM) is read before it stops;
- blitz: `python -m leadtui --home DIR blitz --minutes 60` on an 80x24 pty with the real
  clock; after it settles, the bytes it writes while nobody touches a key, per second.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from pathlib import Path

from benchmarks.context import ROOT, Bench, python, subprocess_env
from benchmarks.measure_cli import has_command, leadtui, top_names
from benchmarks.pty_run import PtyRun, spawn
from benchmarks.results import Figure, figure

OUTSIDE_PHONE = "+19995550199"  # fictional (555-01xx), never used by the generator


def tui_built() -> str:
    """ "" when the workstation can be imported, else why not."""
    try:
        module = importlib.import_module("leadtui.tui.app")
    except Exception as exc:  # a half-written module counts as not built
        return f"{type(exc).__name__}: {exc}"
    return "" if hasattr(module, "make_app") else "leadtui.tui.app has no make_app"


#: workstation processes timed for the first frame on a pty (the median is reported)
PTY_FRAME_RUNS = 3
#: fresh processes timed for the in-process first frame (the median is reported): one
#: run is too noisy on a shared 2-core machine to hold a 3x ratio against
FRAME_RUNS = 5


def _probe(bench: Bench, *extra: str) -> dict | str:
    """One `benchmarks.tui_probe` run: its JSON, or the error's last line."""
    cmd = [python(), "-m", "benchmarks.tui_probe", "--home", str(bench.home),
           "--now", bench.now_iso, *extra]  # fmt: skip
    done = subprocess.run(
        cmd, cwd=ROOT, env=subprocess_env(), capture_output=True, timeout=600, check=False
    )
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        return f"error: {err[-1] if err else done.returncode}"[:120]
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def measure_in_process(bench: Bench) -> dict[str, Figure]:
    keys = ("first_frame", "tick", "tick_direct")
    if why := tui_built():
        return {key: Figure.missing(f"n/a (not built yet: {why})"[:80]) for key in keys}
    seconds, ticks = (4, 10) if bench.quick else (10, 20)
    r = _probe(bench, "--seconds", str(seconds), "--ticks", str(ticks))
    if isinstance(r, str):
        return {key: Figure.missing(r) for key in keys}
    runs = [r]
    for _ in range(1 if bench.quick else FRAME_RUNS - 1):
        more = _probe(bench, "--frame-only")
        if isinstance(more, str):
            return {key: Figure.missing(more) for key in keys}
        runs.append(more)
    runs.sort(key=lambda run: run["first_frame_s"])
    mid = runs[len(runs) // 2]
    spread = f"{runs[0]['first_frame_s']:.2f}-{runs[-1]['first_frame_s']:.2f} s"
    return {
        "first_frame": figure(
            "first_frame",
            mid["first_frame_s"],
            f"median of {len(runs)} ({spread}): store open {mid['open_store_ms']:.0f} ms + "
            f"app to rows {mid['frame_to_rows_s']:.2f} s",
        ),
        "tick": figure(
            "tick",
            r["tick_cpu_ms_per_s"],
            f"gross {r['gross_cpu_ms_per_s']:.1f} - idle app "
            f"{r['baseline_cpu_ms_per_s']:.1f} ms/s over {seconds} s; "
            f"{r['bytes_per_s']:,.0f} B/s of output",
        ),
        "tick_direct": figure("tick_direct", r["tick_direct_ms"], r["direct_detail"]),
    }


def measure_workstation_process(bench: Bench) -> dict[str, Figure]:
    keys = ("first_frame_proc", "rss")
    if why := tui_built():
        return {key: Figure.missing(f"n/a (not built yet: {why})"[:80]) for key in keys}
    names = [n[:12].encode() for n in top_names(bench)]
    if not names:
        return {key: Figure.missing("n/a (no due leads, or queue not built)") for key in keys}
    home = bench.workdir / "pty-home"  # a copy: this run writes to it
    run = _workstation(bench, home)
    try:
        first = run.read_until(names, timeout=120)
        if first is not None:
            run.read_for(2.0)  # the first refresh, claims, a few ticks
            # Another process writes (a web-form hook adding a lead): the workstation
            # notices within a second and re-ranks. The number is an archived lead's
            # (a repeat inquiry), so the workstation must bring that lead back.
            archived = bench.archived_lead()
            phone = archived[1] if archived else OUTSIDE_PHONE
            subprocess.run(leadtui("--home", str(home), "--now", bench.now_iso, "add", "--name",
                                   "Outside Write", "--phone", phone, "--source", "bench"),
                           cwd=ROOT, env=subprocess_env(), capture_output=True, timeout=120,
                           check=False)  # fmt: skip
            run.read_for(4.0)
    finally:
        rss = run.stop()
        shutil.rmtree(home, ignore_errors=True)
    if first is None:
        why = "exited" if run.exited else "timed out"
        return {
            key: Figure.missing(f"error: {why} before the queue showed: {run.last_line()}")
            for key in keys
        }
    firsts = [first]
    for _ in range(0 if bench.quick else PTY_FRAME_RUNS - 1):
        again = _workstation(bench, home)
        try:
            seen = again.read_until(names, timeout=120)
        finally:
            again.stop()
            shutil.rmtree(home, ignore_errors=True)
        if seen is not None:
            firsts.append(seen)
    firsts.sort()
    return {
        "first_frame_proc": figure(
            "first_frame_proc",
            firsts[len(firsts) // 2],
            f"median of {len(firsts)} ({firsts[0]:.2f}-{firsts[-1]:.2f} s)",
        ),
        "rss": figure("rss", rss),
    }


def _workstation(bench: Bench, home: Path) -> PtyRun:
    """The workstation on a pty, on a fresh copy of the bench database at `home`."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(bench.home, home)
    return spawn(leadtui("--home", str(home), "--now", bench.now_iso), env=subprocess_env(),
                 cwd=str(ROOT))  # fmt: skip


def measure_blitz(bench: Bench) -> dict[str, Figure]:
    if why := tui_built():
        return {"blitz_bytes": Figure.missing(f"n/a (not built yet: {why})"[:80])}
    if not has_command("blitz"):
        return {"blitz_bytes": Figure.missing()}
    settle, window = (3.0, 4.0) if bench.quick else (5.0, 10.0)
    run = spawn(
        leadtui("--home", str(bench.home), "blitz", "--minutes", "60"),
        env=subprocess_env(),
        cwd=str(ROOT),
    )
    try:
        run.read_for(settle)
        run.read_until_quiet(0.5, timeout=3.0)
        start_total = len(run.output)
        got = run.read_for(window)
        exited = run.exited
    finally:
        rss = run.stop()
    if exited or start_total == 0:
        return {"blitz_bytes": Figure.missing(f"error: blitz exited: {run.last_line()}")}
    return {
        "blitz_bytes": figure(
            "blitz_bytes",
            got / window,
            f"{got:,} B in {window:.0f} s after {settle:.0f} s settle; "
            f"first screen {start_total:,} B; RSS {rss:.0f} MB",
        )
    }
