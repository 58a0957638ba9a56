"""`python -m benchmarks.intake`: the intake services under load (issue 15).

    python -m benchmarks.intake                 # a pool of 50,000 leads
    python -m benchmarks.intake --leads 2000    # a quick run

With the pool built through the store (benchmarks.generate), it measures on loopback:
- POST /leads latency at a steady 50 requests per second (p50, p99; target 5 / 25 ms);
- 1,000 posts from 8 concurrent clients, all stored (target <= 10 s);
- POST -> visible on a running workstation (the Textual app headless, in this process,
  polling the store as it does for a rep; median of 20; target <= 1 s). Measured first:
  the later posts share its fixed "now", and among equally new leads the order is chance;
- mail appended to a real dovecot -> lead in the store, `leadtui intake mail` watching
  with IDLE (median of 20; target <= 2 s).
Writes benchmarks/INTAKE_RESULTS.md (unless --no-write).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.context import ROOT, prepare, subprocess_env
from benchmarks.machine import describe
from leadtui.clock import FixedClock
from leadtui.config import Settings
from leadtui.domain.cadence import load_cadence
from leadtui.paths import resolve_paths
from leadtui.store.repository import open_store

sys.path.insert(0, str(ROOT / "tests" / "intake"))
from servers import PASSWORD, USER, Dovecot, Webhook  # noqa: E402

TOKEN = "bench-intake-token-2718"
HERE = Path(__file__).resolve().parent


def _lead(i: int) -> dict[str, str]:
    return {"name": f"Bench Post {i}", "phone": f"+1 415 7{i // 10000 % 10}{i // 1000 % 10}"
            f" {i % 10000:04d}"}  # fmt: skip


def paced(url: str, rate: float, count: int, offset: int) -> list[float]:
    """Latencies (ms) of `count` posts sent at `rate` per second from one client."""
    latencies = []
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client:
        start = time.perf_counter()
        for i in range(count):
            wait = start + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            answer = client.post(f"{url}/leads", json=_lead(offset + i))
            latencies.append((time.perf_counter() - sent) * 1000)
            assert answer.status_code == 201, answer.text
    return latencies


def fsync_floor(folder: Path, count: int = 200) -> list[float]:
    """Milliseconds of one small fsynced append in the database's folder: the floor of a
    durable answer on this disk at this moment (other load included)."""
    path = folder / "fsync-probe.log"
    times = []
    with path.open("ab") as handle:
        for i in range(count):
            started = time.perf_counter()
            handle.write(b'{"probe": %d}\n' % i)
            handle.flush()
            os.fsync(handle.fileno())
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(0.005)
    path.unlink()
    return times


def burst(url: str, count: int, clients: int, offset: int) -> float:
    """Seconds for `count` posts from `clients` threads, every one answered 201."""
    failures: list[int] = []

    def work(worker: int) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
            for i in range(worker, count, clients):
                if client.post(f"{url}/leads", json=_lead(offset + i)).status_code != 201:
                    failures.append(i)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, f"{len(failures)} posts were not stored"
    return time.perf_counter() - started


async def visible(home: Path, url: str, now_iso: str, rounds: int, offset: int) -> list[float]:
    """Seconds from a 201 to the lead's row on a running workstation, `rounds` times."""
    from datetime import datetime

    from leadtui.tui.app import make_app
    from leadtui.tui.widgets.lead_queue import LeadQueue

    cadence = load_cadence()
    store = open_store(resolve_paths(home).db, cadence=cadence)
    app = make_app(
        store=store,
        clock=FixedClock(datetime.fromisoformat(now_iso.replace("Z", "+00:00"))),
        settings=Settings(rep_name="Bench Rep", rep_phone="+1 212 555 0100"),
        paths=resolve_paths(home),
        cadence=cadence,
    )
    app.bell = lambda: None  # type: ignore[method-assign]
    seconds = []
    async with app.run_test(size=(100, 30)) as pilot:
        while not app.live.queue_ready:
            await pilot.pause(0.05)
        queue = app.screen.query_one(LeadQueue)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            for i in range(rounds):
                answer = await client.post(f"{url}/leads", json=_lead(offset + i))
                posted = time.perf_counter()
                lead_id = answer.json()["id"]
                while lead_id not in queue.order and time.perf_counter() - posted < 5:
                    await pilot.pause(0.01)
                seconds.append(time.perf_counter() - posted)
                await pilot.pause(0.3 + (i % 7) / 10)  # land at different points of the tick
    store.close()
    return seconds


def mail_to_lead(home: Path, rounds: int) -> list[float]:
    """Seconds from an IMAP APPEND to the lead in the store, the watcher using IDLE."""
    root = Path(tempfile.mkdtemp(prefix="leadtui-bench-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root)
    server.start()
    server.create_folder("Leads")
    env = {**subprocess_env(), "LEADTUI_IMAP_PASSWORD": PASSWORD}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "leadtui", "--home", str(home), "intake", "mail", "--imap",
         "127.0.0.1", "--port", str(server.port), "--tls", "none", "--user", USER,
         "--folder", "Leads"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    store = open_store(resolve_paths(home).db, cadence=load_cadence())
    seconds = []
    try:
        time.sleep(3)  # the watcher logs in and goes into IDLE
        for i in range(rounds):
            phone = f"+1 646 8{i // 1000 % 10}{i // 100 % 10} {i % 100:04d}"
            raw = (f"From: vendor@bench.example\r\nSubject: lead {i}\r\n"
                   f"Message-ID: <bench-{i}-{time.time_ns()}@bench.example>\r\n\r\n"
                   f"Name: Mail Bench {i}\r\nPhone: {phone}\r\n").encode()  # fmt: skip
            before = store.lead_count()
            appended = time.perf_counter()
            server.append("Leads", raw)
            while store.lead_count() == before and time.perf_counter() - appended < 10:
                time.sleep(0.005)
            seconds.append(time.perf_counter() - appended)
            time.sleep(0.2)
    finally:
        watcher.terminate()
        watcher.wait(timeout=15)
        store.close()
        server.stop()
    return seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.intake",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--leads", type=int, default=50_000, help="leads in the pool")
    parser.add_argument("--no-write", action="store_true", help="do not write the results")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="leadtui-bench-intake-"))
    built = time.perf_counter()
    bench = prepare(args.leads, work, quick=True, cadence=load_cadence())
    print(f"pool of {args.leads:,} leads built in {time.perf_counter() - built:.1f}s")
    config = 'rep_name = "Bench Rep"\n[intake]\nrate_limit = 100000\n'
    hook = Webhook(bench.home, config, env={**subprocess_env(), "LEADTUI_INTAKE_TOKEN": TOKEN},
                   options=("--now", bench.now_iso))  # fmt: skip
    hook.start()
    rows: list[tuple[str, str, str, str]] = []
    try:
        httpx.get(f"{hook.url}/health")
        shown = asyncio.run(visible(bench.home, hook.url, bench.now_iso, 20, 20_000))
        median = statistics.median(shown)
        rows.append(("POST -> visible on a workstation, median of 20 (s)",
                     f"{median:.3f} (max {max(shown):.3f})", "<= 1",
                     "PASS" if median <= 1 else "FAIL"))  # fmt: skip
        floor = fsync_floor(bench.home)
        shown_floor = f"{percentile(floor, 0.5):.2f} / {percentile(floor, 0.99):.2f}"
        rows.append(("fsync of a small append (the floor), p50 / p99 (ms)", shown_floor, "", ""))
        latencies = paced(hook.url, 50, 500, 0)
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        rows.append(("POST /leads p50 at 50 req/s (ms)", f"{p50:.2f}", "<= 5",
                     "PASS" if p50 <= 5 else "FAIL"))  # fmt: skip
        rows.append(("POST /leads p99 at 50 req/s (ms)", f"{p99:.2f}", "<= 25",
                     "PASS" if p99 <= 25 else "FAIL"))  # fmt: skip
        took = burst(hook.url, 1000, 8, 10_000)
        rows.append(("1,000 posts from 8 clients, all stored (s)", f"{took:.2f}", "<= 10",
                     "PASS" if took <= 10 else "FAIL"))  # fmt: skip
    finally:
        hook.stop()
    arrived = mail_to_lead(bench.home, 20)
    median = statistics.median(arrived)
    rows.append(("mail APPEND -> lead in the store (IDLE), median of 20 (s)",
                 f"{median:.3f} (max {max(arrived):.3f})", "<= 2",
                 "PASS" if median <= 2 else "FAIL"))  # fmt: skip
    table = ["| measurement | value | target | verdict |", "|---|---:|---:|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    print("\n".join(table))
    if not args.no_write:
        machine = "\n".join(f"- {k}: {v}" for k, v in describe(bench.home).items())
        (HERE / "INTAKE_RESULTS.md").write_text(
            f"# intake benchmark results\n\n`python -m benchmarks.intake --leads {args.leads}` "
            f"(issue 15), a pool of {args.leads:,} leads.\n\n## Machine\n\n{machine}\n\n"
            f"- load average at the end: {os.getloadavg()[0]:.1f}\n\n"
            "## Results\n\n" + "\n".join(table) + "\n"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
