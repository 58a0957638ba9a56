"""Store-level figures: opening the store, logging an outcome durably, compaction.

Logging runs on a scratch copy of the database (the other measurements see it untouched):
`store.log_touch` on active leads, one call at a time, each timed with `perf_counter`;
beside it, the physical floor: the same touch as one JSON line appended to a file in the
same folder and fsynced.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.context import Bench
from benchmarks.generate import BENCH_NOW, compact
from benchmarks.results import Figure, figure, median, percentile
from leadtui.domain.model import LeadStatus, Outcome, Touch
from leadtui.paths import resolve_paths
from leadtui.store.repository import open_store


def touch_record(touch: Touch) -> bytes:
    """The touch as the store encodes it (its own encoder when it has one)."""
    try:
        from leadtui.store.index import touch_doc

        doc: dict[str, Any] = touch_doc(touch)
    except ImportError:  # pragma: no cover - the store's internals moved
        doc = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(touch).items()
        }
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"


def fsync_appends(path: Path, record: bytes, count: int) -> list[float]:
    """Seconds per fsynced append of `record` to `path`."""
    samples = []
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        for _ in range(count):
            start = time.perf_counter()
            os.write(fd, record)
            os.fsync(fd)
            samples.append(time.perf_counter() - start)
    finally:
        os.close(fd)
    return samples


def log_touches(store: Any, bench: Bench, count: int) -> tuple[list[float], Touch]:
    """Seconds per `log_touch` (no-answer on active leads, round robin)."""
    # active_leads(): the working set, as the workstation has it (leads() would read
    # the archive too)
    leads = [lead for lead in store.active_leads() if lead.status is not LeadStatus.DNC]
    if not leads:
        raise RuntimeError("the database has no active lead to log on")
    samples, touch = [], None
    for i in range(count):
        lead = leads[i % len(leads)]
        at = bench.now + timedelta(seconds=i + 1)
        start = time.perf_counter()
        touch = store.log_touch(lead.id, Outcome.NO_ANSWER, at, rep="Bench Rep")
        samples.append(time.perf_counter() - start)
    assert touch is not None
    return samples, touch


def measure_store(bench: Bench) -> dict[str, Figure]:
    scratch = bench.workdir / "log-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(bench.home, scratch)
    db = resolve_paths(scratch).db
    out: dict[str, Figure] = {}

    start = time.perf_counter()
    store = open_store(db, cadence=bench.cadence, clock=lambda: BENCH_NOW)
    out["open_store"] = figure("open_store", (time.perf_counter() - start) * 1000)
    try:
        count = 200 if bench.quick else 300
        journal = _journal_path(store)
        before = journal.stat().st_size if journal and journal.exists() else 0
        samples, touch = log_touches(store, bench, count)
        after = journal.stat().st_size if journal and journal.exists() else 0
        per_log = (after - before) / count if after > before else 0.0
        ms = [s * 1000 for s in samples]
        note = f"{count} calls, max {max(ms):.1f} ms"
        out["log_median"] = figure("log_median", median(ms), note)
        out["log_p99"] = figure("log_p99", percentile(ms, 99), note)

        floor = [
            s * 1000
            for s in fsync_appends(scratch / "append-floor.jsonl", touch_record(touch), count)
        ]
        out["fsync_median"] = figure("fsync_median", median(floor))
        out["fsync_p99"] = figure("fsync_p99", percentile(floor, 99))
        out["compact"] = _compact(store, db, per_log)
    finally:
        store.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def _journal_path(store: Any) -> Path | None:
    names = getattr(getattr(store, "_storage", None), "names", None)
    return getattr(names, "journal", None)


def _compact(store: Any, db: Path, per_log: float) -> Figure:
    """Time one compaction, and say how often a rep's writes pay for one."""
    start = time.perf_counter()
    if not compact(store):
        return Figure.missing("n/a (store has no compaction)")
    ms = (time.perf_counter() - start) * 1000
    size = db.stat().st_size
    try:
        from leadtui.store import storage
    except ImportError:  # pragma: no cover
        return figure("compact", ms)
    floor = getattr(storage, "MIN_COMPACT_BYTES", 1 << 20)
    ratio = getattr(storage, "COMPACT_RATIO", 2)
    with open(db, "rb") as handle:
        first = handle.readline()
    # the working set (format 3: the header line and its parts); the archive follows it
    try:
        parts = json.loads(first)["_leadtui"].get("parts", [])
        head = len(first) + sum(part[1] + 1 for part in parts)
    except (ValueError, KeyError, TypeError, IndexError):
        head = len(first)
    # the store's rule: journal > max(floor, first line / ratio)
    limit = max(floor, head // ratio)
    note = f"snapshot {size / 1e6:.1f} MB, working set {head / 1e6:.1f} MB of it"
    # format 4: the archive lies in files of its own beside the snapshot
    archived = sum(p.stat().st_size for p in db.parent.glob(db.name + ".archive-*"))
    if archived:
        note += f", archive files {archived / 1e6:.1f} MB beside it"
    if per_log:
        note += f"; one per ~{limit / per_log:,.0f} logs ({per_log:.0f} B of journal per log)"
    return figure("compact", ms, note)
