"""`python -m benchmarks`: build lead databases, measure, print one table, write RESULTS.md.

    python -m benchmarks                      # 1,000, 10,000 and 50,000 leads
    python -m benchmarks --sizes 1000,10000   # chosen sizes
    python -m benchmarks --quick              # 1,000 leads, few repeats: a smoke run

A measurement whose piece of leadtui is not built yet shows "n/a (not built yet)".
Generated data lives under benchmarks/_data (git-ignored) and is removed afterwards
unless --keep. `--quick` prints the table without touching RESULTS.md unless --output.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks.context import ROOT, Bench, prepare
from benchmarks.machine import describe, load_average, wait_for_quiet
from benchmarks.measure_cli import (
    measure_floors,
    measure_import,
    measure_queue,
    measure_report,
    measure_show,
)
from benchmarks.measure_store import measure_store
from benchmarks.measure_tui import measure_blitz, measure_in_process, measure_workstation_process
from benchmarks.report import write_results
from benchmarks.results import METRICS, Figure, figure, markdown_table, plain_table, table_rows

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = (1_000, 10_000, 50_000)
Measure = Callable[[Bench], dict[str, Figure]]
STEPS: tuple[tuple[str, Measure], ...] = (
    ("floors", measure_floors),
    ("import", measure_import),
    ("queue --json", measure_queue),
    ("show", measure_show),
    ("report --json", measure_report),
    ("workstation in process", measure_in_process),
    ("workstation on a pty", measure_workstation_process),
    ("blitz on a pty", measure_blitz),
    ("log_touch", measure_store),
)


def sizes_value(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part}))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be numbers, e.g. 1000,10000: {text!r}"
        ) from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError("sizes must be at least 10 leads")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        type=sizes_value,
        default=None,
        help="comma-separated lead counts (default 1000,10000,50000)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 leads only, small repeat counts (CI smoke run)"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated step names to run (default: all): "
        + ", ".join(name for name, _ in STEPS),
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=HERE / "_data",
        help="where the generated databases go (default benchmarks/_data)",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="do not wait for other work on the machine to calm down before each step",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="write the results here (default benchmarks/RESULTS.md; "
        "--quick writes nothing unless this is given)",
    )
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = (1_000,) if args.quick else DEFAULT_SIZES
    if args.output is None and not args.quick:
        args.output = HERE / "RESULTS.md"
    return args


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_size(size: int, args: argparse.Namespace, cadence: object) -> dict[str, Figure]:
    log(f"[{size:,} leads] building the database ...")
    bench = prepare(size, args.workdir, quick=args.quick, cadence=cadence)
    figures: dict[str, Figure] = {
        "generate": figure(
            "generate", bench.build_seconds, f"{bench.stats['touches']:,.0f} touches"
        ),
        "touches": Figure(
            bench.stats["touches_per_lead"], f"{bench.stats['touches_per_lead']:.1f}"
        ),
    }
    log(
        f"[{size:,} leads] built in {bench.build_seconds:.1f} s "
        f"({bench.stats['touches']:,.0f} touches)"
    )
    busiest = [0.0]
    wanted = {w.strip() for w in args.only.split(",") if w.strip()}
    for name, measure in STEPS:
        if wanted and not any(w in name for w in wanted):
            continue
        share, waited = wait_for_quiet(max_wait=0 if args.no_wait or args.quick else 60)
        busy = f"{share:.0%}" if share is not None else "?"
        log(f"[{size:,} leads] {name} (other load {busy}, waited {waited:.0f} s) ...")
        busiest[0] = max(busiest[0], share or 0.0)
        start = time.perf_counter()
        try:
            figures.update(measure(bench))
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            failed = Figure.missing(f"error: {type(exc).__name__}: {exc}"[:120])
            for key in _keys_of(measure):
                figures.setdefault(key, failed)
        log(f"[{size:,} leads] {name}: {time.perf_counter() - start:.1f} s")
    figures["_busy"] = Figure(busiest[0], f"{busiest[0]:.0%}")
    if not args.keep:
        import shutil

        shutil.rmtree(bench.workdir, ignore_errors=True)
    return figures


def _keys_of(measure: Measure) -> list[str]:
    keys = {
        measure_floors: ["python_floor", "cli_floor"],
        measure_import: ["import"],
        measure_queue: ["queue"],
        measure_in_process: ["first_frame", "tick", "tick_direct"],
        measure_workstation_process: ["first_frame_proc", "rss"],
        measure_blitz: ["blitz_bytes"],
        measure_store: [
            "open_store",
            "log_median",
            "log_p99",
            "fsync_median",
            "fsync_p99",
            "compact",
        ],
    }
    return keys.get(measure, [])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from leadtui.domain.cadence import load_cadence

    cadence = load_cadence()
    args.workdir.mkdir(parents=True, exist_ok=True)
    machine = describe(args.workdir)
    results: dict[int, dict[str, Figure]] = {}
    for size in args.sizes:
        results[size] = run_size(size, args, cadence)
    machine["load at end"] = load_average()
    machine["other CPU use before steps (max)"] = ", ".join(
        f"{size:,}: {results[size]['_busy'].text}" for size in args.sizes
    )
    header, rows = table_rows(results, args.sizes)
    print()
    for key, value in machine.items():
        print(f"{key:>16}: {value}")
    print()
    print(plain_table(header, rows))
    notes = _notes(results, args.sizes)
    if notes:
        print()
        print("\n".join(notes))
    if args.output is not None:
        write_results(
            args.output,
            machine,
            markdown_table(header, rows),
            notes,
            sizes=args.sizes,
            quick=args.quick,
        )
        shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
        log(f"\nwritten to {shown}")
    return 0


def _notes(results: dict[int, dict[str, Figure]], sizes: tuple[int, ...]) -> list[str]:
    lines = []
    for metric in METRICS:
        per_size = [
            f"{size:,}: {results[size][metric.key].note}"
            for size in sizes
            if metric.key in results[size] and results[size][metric.key].note
        ]
        if per_size:
            lines.append(f"- {metric.label}: " + "; ".join(per_size))
    return lines


if __name__ == "__main__":
    sys.exit(main())
