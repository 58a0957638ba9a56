"""Write benchmarks/RESULTS.md: machine, method, the table, per-figure notes.

Everything below the FINDINGS marker is hand-written (profiles, what bounds a figure) and
is kept when the suite rewrites the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

FINDINGS = "<!-- findings: written by hand, kept when `python -m benchmarks` rewrites this file -->"

METHOD = """\
## How each figure is measured

- **Data**: N leads (about 2% fresh and never called, 20% from the last three weeks worked
  through the cadence with a quarter of them behind, the rest older and closed or exhausted;
  zones New York, Chicago, Denver, Los Angeles, London, Sydney; seven sources), about four
  touches each, planned with the real cadence engine and written with `open_store`,
  `add_leads` and `log_touch` (2,000 leads per store transaction). "Now" is fixed at
  Monday 2026-11-16 19:00 UTC (`--now` for the CLI, a clock moving from it in process).
- **import**: `python -m leadtui --home EMPTY import leads.csv --json`, wall time of the
  whole process; leads per second. Median of 3 after a warm-up (one run at 50k).
- **queue --json**: `python -m leadtui --home DIR --now T queue --json`, median of 5 (3
  quick) after a warm-up; floors `python -c pass` and `leadtui --version`, median of 7.
- **show / report**: `python -m leadtui --home DIR --now T show ID --json` of a lead in
  the archive (the middle id the archive header lists) and `report --json`, each run
  under a small Python parent that prints the child's `ru_maxrss` (the parent is ~10 MB,
  all that could count before exec); median time and largest peak of 5 (3 quick) after
  a warm-up.
- **log**: `store.log_touch(no-answer)` on active leads of a scratch copy, 300 calls (200
  quick), one at a time, `perf_counter` around each; the floor is the same touch record as
  one JSON line appended to a file in the same folder with `os.fsync`, as many times.
  Compaction: one `compact()` of the same store (it runs when the journal passes 1/8 of
  the snapshot's first line, the working set, and at least 1 MB; the note says how many
  logs pay for one).
- **first frame (in process)**: a fresh process with Textual and leadtui imported;
  from `open_store` to the first frame (`App.run_test(size=(80, 24))`, headless, each
  update turned into terminal bytes as the driver would) that shows a queue row. Median
  of 5 fresh processes (2 quick): one run is too noisy here to judge a 3x ratio.
- **first frame (new process)**: `python -m leadtui --home DIR --now T` on an 80x24 pty,
  from the fork to the first output that shows one of the queue's first three names.
  Median of 3 processes (1 quick).
- **live tick**: in process, the queue on screen, the real 1 s interval, a clock moving
  in real time: process CPU time (all threads) per wall second over 10 s (4 quick), minus
  the same for an idle headless Textual app. "Driven directly": the interval paused, the
  clock stepped 1 s, `app.live.tick()`, workers awaited, the screen repainted; CPU per tick
  minus the same loop without the tick (median of 20).
- **peak RSS**: the kernel's high-water mark (`VmHWM` in /proc, which starts afresh at
  exec) of the pty workstation (on a copy of the database), read just before it is
  stopped: 2 s after its first frame another process adds a lead with the number of a
  lead in the archive (a repeat inquiry: since issue 17; before, a new number), the
  workstation notices and re-ranks, and 4 s later it is stopped. (Until 2026-11-23 this was wait4's
  `ru_maxrss`, which also counted the fork before exec, when the child still shares the
  benchmark's own memory: it read 186–196 MB at 50k where the workstation peaks at 95.)
- **idle blitz output**: `python -m leadtui --home DIR blitz --minutes 60` on an 80x24
  pty, real clock, nobody typing: after a settle period, bytes read from the master over
  10 s (4 quick), per second.
- **Quiet machine**: before each step the suite waits (up to 60 s) until other processes
  use under 25% of the CPUs; the most it saw is listed under Machine. Timings taken while
  other work runs (this machine is shared) are slower and noisier, the 1k column most.
- **Verdicts** use issue 17's targets at 50,000 leads (or the largest size run below
  200,000) and its 200,000-lead targets in their own column; "50k/1k" is the 50,000-lead
  figure over the smallest size's, held to 3x (2x where issue 17 asks: first frame in
  process, queue --json) for every judged figure except import.
"""


def write_results(
    path: Path,
    machine: Mapping[str, str],
    table: str,
    notes: Sequence[str],
    *,
    sizes: Sequence[int],
    quick: bool,
) -> None:
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if FINDINGS in old:
            kept = old[old.index(FINDINGS) + len(FINDINGS) :].lstrip("\n")
    shown = {k: v for k, v in machine.items() if k != "interpreter"}
    lines = [
        "# leadtui benchmark results",
        "",
        f"`python -m benchmarks --sizes {','.join(map(str, sizes))}"
        f"{' --quick' if quick else ''}` (issues 7, 17). Targets at 50,000 and 200,000 leads.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in shown.items()]
    lines += ["", "## Results", "", table, ""]
    if notes:
        lines += ["### Notes per figure", "", *notes, ""]
    lines += [METHOD, FINDINGS, ""]
    text = "\n".join(lines)
    if kept:
        text += "\n" + kept
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
