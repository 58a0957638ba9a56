"""A short description of the machine the benchmarks ran on."""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def filesystem(path: Path) -> str:
    """The filesystem type holding `path` (fsync costs depend on it), from /proc/mounts."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    best, kind = "", "unknown"
    target = str(path.resolve())
    for fields in mounts:
        if len(fields) >= 3 and target.startswith(fields[1]) and len(fields[1]) > len(best):
            best, kind = fields[1], f"{fields[2]} ({fields[0]} on {fields[1]})"
    return kind


def load_average() -> str:
    """1, 5 and 15 minute load averages (other work on the machine skews timings)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _cpu_times() -> tuple[int, int] | None:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values), idle


def busy_share(seconds: float = 0.5) -> float | None:
    """The share of all CPUs busy over `seconds` (from /proc/stat), None if unknown."""
    first = _cpu_times()
    time.sleep(seconds)
    second = _cpu_times()
    if first is None or second is None or second[0] == first[0]:
        return None
    total, idle = second[0] - first[0], second[1] - first[1]
    return 1 - idle / total


def wait_for_quiet(limit: float = 0.25, max_wait: float = 60.0) -> tuple[float | None, float]:
    """Wait (up to `max_wait` s) until other work uses under `limit` of the CPUs, so that
    timings are not someone else's; returns (last busy share, seconds waited)."""
    start = time.perf_counter()
    share = busy_share()
    while share is not None and share > limit and time.perf_counter() - start < max_wait:
        share = busy_share(1.0)
    return share, time.perf_counter() - start


def checkout(root: Path) -> str:
    """The commit measured, and whether the working tree had uncommitted changes."""
    import subprocess

    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=root,
                              capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def describe(workdir: Path) -> dict[str, str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = f"{os.cpu_count()} logical" + (f", {usable} usable" if usable else "")
    try:
        import textual

        textual_version = textual.__version__
    except Exception:  # pragma: no cover - textual is a core dependency
        textual_version = "?"
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) // 1024:,} MB"
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": cores,
        "memory": mem or "unknown",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "textual": textual_version,
        "leadtui checkout": checkout(Path(__file__).resolve().parent.parent),
        "data filesystem": filesystem(workdir),
        "load at start": load_average(),
        "interpreter": sys.executable,
    }
