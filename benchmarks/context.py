"""One benchmark size: its folders, its database (built once) and its CSV."""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.generate import BENCH_NOW, describe, plan_leads, write_csv, write_leads
from leadtui.config import save_settings_values
from leadtui.paths import ensure_private_dir, resolve_paths
from leadtui.store.repository import open_store

ROOT = Path(__file__).resolve().parent.parent
REP = {"rep_name": "Bench Rep", "rep_phone": "+1 212 555 0100"}


@dataclass
class Bench:
    """Everything a measurement needs for one size."""

    size: int
    quick: bool
    workdir: Path  # scratch space for this size
    home: Path  # LEADTUI_HOME holding the generated database (never changed by measuring)
    csv: Path  # the same leads as a CSV, for `leadtui import`
    cadence: Any
    now: datetime = BENCH_NOW
    stats: dict[str, float] = field(default_factory=dict)
    build_seconds: float = 0.0
    archived: tuple[str, str] | None = None  # (id, phone) of a lead in the archive

    def archived_lead(self) -> tuple[str, str] | None:
        """The id and the number of a lead in the archive (the middle one of each list:
        the number's lead is another than the id's), or None when nothing is archived."""
        if self.archived is None:
            store = open_store(resolve_paths(self.home).db, cadence=self.cadence)
            try:
                unread = store._storage._unread  # what the header lists, without reading
                if unread is None:
                    return None
                ids = unread.info.lookups["lead_ids"].strip("\n").split("\n")
                phones = unread.info.lookups["phones"].strip("\n").split("\n")
                self.archived = (ids[len(ids) // 2], phones[len(phones) // 2])
            finally:
                store.close()
        return self.archived

    @property
    def now_iso(self) -> str:
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def subprocess_env() -> dict[str, str]:
    """The environment for `python -m leadtui` children: this checkout first on the path,
    no LEADTUI_* settings from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADTUI_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def python() -> str:
    return sys.executable


def prepare(size: int, root: Path, *, quick: bool, cadence: Any) -> Bench:
    """Generate the database of `size` leads (and its CSV) under `root/<size>`."""
    workdir = root / str(size)
    shutil.rmtree(workdir, ignore_errors=True)
    home = workdir / "home"
    paths = resolve_paths(home)
    ensure_private_dir(paths.data_dir)
    save_settings_values(paths.config, **REP)  # no first-start question in the workstation
    start = time.perf_counter()
    planned = plan_leads(size, cadence)
    store = open_store(paths.db, cadence=cadence, clock=lambda: BENCH_NOW)
    try:
        write_leads(store, planned)
        # A store in use compacts now and then, moving leads closed for a week into the
        # archive; end the build in that settled state rather than mid-journal.
        store.compact()
    finally:
        store.close()
    seconds = time.perf_counter() - start
    csv_path = workdir / "leads.csv"
    write_csv(csv_path, planned)
    return Bench(
        size=size,
        quick=quick,
        workdir=workdir,
        home=home,
        csv=csv_path,
        cadence=cadence,
        stats=describe(planned),
        build_seconds=seconds,
    )
