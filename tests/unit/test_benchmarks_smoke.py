"""Smoke test of the benchmark suite at a tiny size: the generator builds a database through
the real store API, and the store measurement runs on it. No timing is asserted:
benchmarks are never timed unit tests."""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks/` is not part of the installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.context import prepare  # noqa: E402
from benchmarks.generate import plan_leads, write_csv, write_leads  # noqa: E402
from benchmarks.measure_store import measure_store  # noqa: E402
from benchmarks.results import Figure, figure, table_rows, verdicts  # noqa: E402
from leadtui.domain.cadence import load_cadence  # noqa: E402
from leadtui.domain.model import LeadStatus  # noqa: E402
from leadtui.domain.phone import normalise_phone  # noqa: E402
from leadtui.paths import resolve_paths  # noqa: E402
from leadtui.store.repository import open_store  # noqa: E402

SIZE = 50


@pytest.fixture(scope="module")
def cadence():
    return load_cadence()


def test_generator_builds_a_small_pool_through_the_store(tmp_path, cadence):
    planned = plan_leads(SIZE, cadence)
    phones = [p.draft.phone for p in planned]
    assert len(set(phones)) == SIZE
    assert all(normalise_phone(phone) == phone for phone in phones)  # valid E.164
    assert len({p.draft.timezone for p in planned}) >= 3
    assert len({p.draft.source for p in planned}) >= 3
    assert plan_leads(SIZE, cadence) == planned  # seeded: the same pool every run

    store = open_store(tmp_path / "leads.json", cadence=cadence)
    try:
        logged = write_leads(store, planned)
        leads = store.leads()
        by_lead = store.touches_by_lead()
        assert len(leads) == SIZE
        assert logged == sum(len(p.touches) for p in planned) > SIZE
        assert sum(len(by_lead[lead.id]) for lead in leads) == logged
        statuses = {lead.status for lead in leads}
        assert any(s.active for s in statuses) and any(not s.active for s in statuses)
        assert LeadStatus.NEW in statuses  # fresh, never-called leads
    finally:
        store.close()

    path = tmp_path / "leads.csv"
    write_csv(path, planned)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:2] == ["Full Name", "Phone Number"]
    assert [row[1] for row in rows[1:]] == phones


def test_log_measurement_runs_on_a_copy(tmp_path, cadence):
    bench = prepare(SIZE, tmp_path, quick=True, cadence=cadence)
    db = resolve_paths(bench.home).db
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    figures = measure_store(bench)

    median, p99 = figures["log_median"].value, figures["log_p99"].value
    assert median is not None and p99 is not None and 0 < median <= p99
    assert figures["fsync_median"].value is not None
    assert "200 calls" in figures["log_median"].note
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # measured on a scratch copy
    assert not (bench.workdir / "log-scratch").exists()


def test_table_judges_targets_and_growth():
    figures = {
        1_000: {"log_median": figure("log_median", 1.0), "queue": figure("queue", 0.2)},
        50_000: {"log_median": figure("log_median", 4.0), "queue": Figure.missing()},
    }
    judged = verdicts(figures, [1_000, 50_000])
    assert judged["log_median"] == ("PASS", "", "4.0x FAIL")  # under 10 ms, but 4x its 1k
    assert judged["queue"][0] == "n/a"
    header, rows = table_rows(figures, [1_000, 50_000])
    queue_row = next(r for r in rows if r[0].startswith("leadtui queue"))
    assert "n/a (not built yet)" in queue_row
    assert header[-1] == "50k/1k"


def test_import_million_runs_at_a_small_size(tmp_path, monkeypatch):
    """The million-row import benchmark, at 1,500 rows (a second batch starts the workers):
    every row imported, the figures filled in. No timing asserted."""
    from benchmarks import import_million

    monkeypatch.setattr(import_million, "HERE", tmp_path)
    result = import_million.run(1_500, None, keep=False)
    assert (result["exit"], result["imported"], result["rejected"]) == (0, 1_500, 0)
    assert result["peak_rss_tree_mb"] >= result["peak_rss_main_mb"] > 0
    assert result["db_mb"] and result["cpu_seconds"] >= 0


def test_the_200k_column_has_its_own_targets_and_growth_stays_at_50k():
    figures = {
        1_000: {"queue": figure("queue", 0.25), "first_frame": figure("first_frame", 0.1)},
        50_000: {"queue": figure("queue", 0.45), "first_frame": figure("first_frame", 0.25)},
        200_000: {"queue": figure("queue", 1.2), "first_frame": figure("first_frame", 0.9)},
    }
    sizes = [1_000, 50_000, 200_000]
    judged = verdicts(figures, sizes)
    assert judged["queue"] == ("PASS", "FAIL", "1.8x PASS (<= 2x)")  # 0.6 s; 1.0 s at 200k
    assert judged["first_frame"] == ("PASS", "", "2.5x FAIL (<= 2x)")
    header, _ = table_rows(figures, sizes)
    assert header[-4:] == [
        "@50k",
        "target 200k",
        "@200k",
        "50k/1k",
    ]
