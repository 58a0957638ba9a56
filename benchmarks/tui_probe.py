"""Workstation figures, measured inside a fresh process (run by measure_tui).

    python -m benchmarks.tui_probe --home DIR --now ISO [--seconds 10] [--ticks 20]
    python -m benchmarks.tui_probe --home DIR --now ISO --frame-only

prints one JSON object:
- first_frame_s: from opening the store to the first frame that shows queue rows
  (Textual and leadtui already imported), headless at 80x24 via `App.run_test`; every
  frame is also turned into terminal bytes as the real driver would (`render_segments`),
  so the cost of producing output is counted;
- open_store_ms, frame_to_rows: the parts of it;
- tick_cpu_ms_per_s: process CPU (all threads, `time.process_time`) per wall second over
  `--seconds` with the queue on screen and the real one-second interval, with a clock that
  moves with real time from `--now`; minus the same for an idle Textual app (baseline);
- tick_direct_ms: CPU per tick when the tick handler is called directly (its timer
  paused), the clock advanced one second each time, and the screen repainted; minus the
  same loop without the tick;
- bytes_per_s: terminal bytes the workstation would write per second while idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

ANSI = re.compile(
    r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]"
)


class MovingClock:
    """Real time, shifted to start at `start`; `hold()` stops it, `advance()` steps it."""

    def __init__(self, start: datetime) -> None:
        self._start, self._t0, self._held = start, time.monotonic(), None

    def now(self) -> datetime:
        if self._held is not None:
            return self._held
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def hold(self) -> None:
        self._held = self.now()

    def advance(self, seconds: float) -> None:
        self._held = self.now() + timedelta(seconds=seconds)


class Frames:
    """Wraps `app._display`: turns each update into terminal bytes, notes the first one
    drawn while a DataTable has rows (and its text shows the first row's name)."""

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate
        from textual.widgets import DataTable

        self.app, self.bytes, self.count = app, 0, 0
        self.first_rows: float | None = None
        self._text, self._update, self._table = "", CompositorUpdate, DataTable
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None and isinstance(renderable, self._update):
                output = renderable.render_segments(app.console)
                self.bytes += len(output.encode("utf-8"))
                self.count += 1
                if self.first_rows is None:
                    self._look(screen, output)
            original(screen, renderable)

        app._display = display

    def _look(self, screen: Any, output: str) -> None:
        tables = [t for t in screen.query(self._table) if t.row_count]
        if not tables:
            return
        self._text += ANSI.sub("", output)
        table = tables[0]
        cells = [getattr(c, "plain", str(c)) for c in table.get_row_at(0)]
        try:
            name = cells[table.get_column_index("name")]
        except Exception:  # not the leadtui queue: its longest cell will do
            name = max(cells, key=len)
        name = name.rstrip("…").strip()[:12]
        if name and name in self._text:
            self.first_rows = time.perf_counter()


async def _cpu_per_second(seconds: float) -> float:
    c0, w0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - c0) * 1000 / (time.perf_counter() - w0)


async def idle_baseline(seconds: float) -> float:
    """CPU ms per second of a headless Textual app showing one line of text."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Idle(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("idle")

    app = Idle()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        return await _cpu_per_second(seconds)


async def probe(args: argparse.Namespace) -> dict[str, Any]:
    from leadtui.config import Settings
    from leadtui.domain.cadence import load_cadence
    from leadtui.paths import resolve_paths
    from leadtui.store.repository import open_store
    from leadtui.tui.app import make_app

    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC)
    paths = resolve_paths(args.home)
    cadence = load_cadence()
    settings = Settings(rep_name="Bench Rep", rep_phone="+1 212 555 0100")
    clock = MovingClock(now)
    out: dict[str, Any] = {}

    t0 = time.perf_counter()
    store = open_store(paths.db, cadence=cadence, clock=clock.now)
    t_open = time.perf_counter()
    app = make_app(store=store, clock=clock, settings=settings, paths=paths, cadence=cadence)
    if hasattr(app, "prime_queue"):
        app.live.prime_queue()  # as `run_tui` starts it
    frames = Frames(app)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            deadline = time.perf_counter() + args.timeout
            while frames.first_rows is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.002)
            if frames.first_rows is None:
                raise RuntimeError(f"no queue rows on screen after {args.timeout:.0f} s")
            out["first_frame_s"] = frames.first_rows - t0
            out["open_store_ms"] = (t_open - t0) * 1000
            out["frame_to_rows_s"] = frames.first_rows - t_open
            out["frames_to_rows"] = frames.count
            if args.frame_only:
                return out
            await app.workers.wait_for_complete()
            await pilot.pause(2.0)

            b0, w0 = frames.bytes, time.perf_counter()
            out["gross_cpu_ms_per_s"] = await _cpu_per_second(args.seconds)
            out["bytes_per_s"] = (frames.bytes - b0) / (time.perf_counter() - w0)
            out["tick_direct_ms"], out["direct_detail"] = await direct_ticks(
                app, pilot, clock, args.ticks
            )
    finally:
        store.close()
    out["baseline_cpu_ms_per_s"] = await idle_baseline(args.seconds)
    out["tick_cpu_ms_per_s"] = max(0.0, out["gross_cpu_ms_per_s"] - out["baseline_cpu_ms_per_s"])
    return out


async def direct_ticks(app: Any, pilot: Any, clock: MovingClock, ticks: int) -> tuple[float, str]:
    """CPU ms of one tick (clock +1 s, tick, workers done, repaint) minus the same without."""
    for timer in list(getattr(app, "_timers", ())):
        timer.pause()  # the app's own one-second interval: we tick by hand now
    clock.hold()

    async def loop(tick: bool) -> list[float]:
        samples = []
        for _ in range(ticks):
            clock.advance(1.0)
            c0 = time.process_time()
            if tick:
                app.live.tick()
            await app.workers.wait_for_complete()
            await pilot.pause()
            samples.append((time.process_time() - c0) * 1000)
        return samples

    await loop(False)  # warm up
    with_tick, without = await loop(True), await loop(False)
    with_tick.sort()
    without.sort()
    net = with_tick[len(with_tick) // 2] - without[len(without) // 2]
    detail = (
        f"median {with_tick[len(with_tick) // 2]:.2f} ms with the tick, "
        f"{without[len(without) // 2]:.2f} ms without; max {with_tick[-1]:.1f} ms"
    )
    return max(0.0, net), detail


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tui_probe")
    parser.add_argument("--home", required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--frame-only", action="store_true", help="stop after the first frame (repeat runs)"
    )
    args = parser.parse_args()
    import textual.app  # noqa: F401

    import leadtui.tui.app  # noqa: F401  (imports are not part of the in-process figure)

    result = asyncio.run(probe(args))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
