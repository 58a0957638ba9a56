"""How long the report screen takes to open, measured inside a fresh process.

    python -m benchmarks.report_screen --home DIR --now ISO [--db URL] [--runs 3]

Opens the store and the workstation headless at 80x24 (`App.run_test`), waits until the
workstation is idle, then presses `R` and times until the report screen shows the figures
(`ReportScreen.report` set and the title drawn): wall seconds and the CPU seconds of the
process (all threads) in between; then `escape` and again, `--runs` times. Prints one
JSON object with each run, the first and the median, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any


async def probe(args: argparse.Namespace) -> dict[str, Any]:
    from leadtui.config import Settings
    from leadtui.domain.cadence import load_cadence
    from leadtui.paths import resolve_paths
    from leadtui.tui.app import make_app
    from leadtui.tui.screens.report import ReportScreen

    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC)
    paths = resolve_paths(args.home)
    cadence = load_cadence()
    settings = Settings(rep_name="Bench Rep", rep_phone="+1 212 555 0100")

    class Clock:
        def now(self) -> datetime:
            return now

    if args.db:
        from leadtui.store.postgres import open_pg_store

        store: Any = open_pg_store(args.db, cadence=cadence)
    else:
        from leadtui.store.repository import open_store

        store = open_store(paths.db, cadence=cadence, clock=lambda: now)
    app = make_app(store=store, clock=Clock(), settings=settings, paths=paths, cadence=cadence)
    runs: list[dict[str, float]] = []
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause(0.5)
            for _ in range(args.runs):
                load = os.getloadavg()[0]
                wall0, cpu0 = time.perf_counter(), time.process_time()
                await pilot.press("R")
                while not (isinstance(app.screen, ReportScreen) and app.screen.report):
                    await asyncio.sleep(0.002)
                await pilot.pause()
                runs.append({
                    "wall_s": round(time.perf_counter() - wall0, 3),
                    "cpu_s": round(time.process_time() - cpu0, 3),
                    "load": round(load, 2),
                })  # fmt: skip
                await pilot.press("escape")
                await app.workers.wait_for_complete()
                await pilot.pause(0.3)
    finally:
        store.close()
    return {
        "runs": runs,
        "first_wall_s": runs[0]["wall_s"],
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_screen")
    parser.add_argument("--home", required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL instead of the home's file")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(probe(args)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
