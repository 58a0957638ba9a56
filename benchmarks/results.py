"""The figures the suite measures, their targets, and the table they are printed in."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NOT_BUILT = "n/a (not built yet)"


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured value (None when it could not be measured) and how to show it."""

    value: float | None
    text: str
    note: str = ""

    @staticmethod
    def missing(why: str = NOT_BUILT) -> Figure:
        """Not measured: "n/a (...)" is shown as is; anything else is an error, shown as
        "error" in the table with the reason in the notes."""
        if why.startswith("n/a"):
            short = NOT_BUILT if why.startswith(NOT_BUILT) else why
            return Figure(None, short[:40], why if len(why) > 40 or short != why else "")
        return Figure(None, "error (see notes)", why.removeprefix("error: "))


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str
    unit: str
    target: float | None = None  # the figure at 50k must be <= this (>= when higher_better)
    higher_better: bool = False
    growth: bool = False  # held to "no more than 3x its 1,000-lead value"

    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = ">=" if self.higher_better else "<="
        value = f"{self.target:g}"
        return f"{sign} {value} {self.unit}"

    def meets(self, value: float) -> bool:
        assert self.target is not None
        return value >= self.target if self.higher_better else value <= self.target


METRICS: tuple[Metric, ...] = (
    Metric("generate", "build the database (store API, bulk)", "s"),
    Metric("touches", "touches per lead", ""),
    Metric("import", "leadtui import CSV", "leads/s", higher_better=True),
    Metric("python_floor", "python -c pass (floor)", "s"),
    Metric("cli_floor", "leadtui --version (import floor)", "s"),
    Metric("queue", "leadtui queue --json (median)", "s", 1.0, growth=True),
    Metric("open_store", "open the store (parse the snapshot)", "ms"),
    Metric("log_median", "log an outcome durably, median", "ms", 10.0, growth=True),
    Metric("log_p99", "log an outcome durably, p99", "ms", 50.0, growth=True),
    Metric("fsync_median", "fsynced append of the record, median", "ms"),
    Metric("fsync_p99", "fsynced append of the record, p99", "ms"),
    Metric("compact", "snapshot compaction (now and then)", "ms"),
    Metric("first_frame", "first frame 80x24 (in process)", "s", 1.0, growth=True),
    Metric("first_frame_proc", "first frame 80x24 (new process, pty)", "s", 1.0, growth=True),
    Metric("tick", "live tick, CPU per wall second", "ms/s", 5.0, growth=True),
    Metric("tick_direct", "one tick driven directly (CPU)", "ms", 5.0, growth=True),
    Metric("rss", "workstation peak RSS", "MB", 250.0, growth=True),
    Metric("blitz_bytes", "idle blitz output to an 80x24 pty", "B/s", 1024.0, growth=True),
)
BY_KEY = {m.key: m for m in METRICS}
GROWTH_LIMIT = 3.0


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 300 values is the 3rd largest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def size_label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def verdicts(
    figures: Mapping[int, Mapping[str, Figure]], sizes: Sequence[int]
) -> dict[str, tuple[str, str]]:
    """Per metric: (target verdict at the largest size, growth vs the smallest size)."""
    out: dict[str, tuple[str, str]] = {}
    if not sizes:
        return out
    big, small = max(sizes), min(sizes)
    for metric in METRICS:
        fig = figures.get(big, {}).get(metric.key)
        target = ""
        if metric.target is not None:
            if fig is None or fig.value is None:
                target = "n/a"
            else:
                target = "PASS" if metric.meets(fig.value) else "FAIL"
        growth = ""
        base = figures.get(small, {}).get(metric.key)
        if big != small and fig and base and fig.value is not None and base.value:
            ratio = fig.value / base.value
            growth = f"{ratio:.1f}x"
            if metric.growth:
                growth += " PASS" if ratio <= GROWTH_LIMIT else " FAIL"
        out[metric.key] = (target, growth)
    return out


def table_rows(
    figures: Mapping[int, Mapping[str, Figure]], sizes: Sequence[int]
) -> tuple[list[str], list[list[str]]]:
    big, small = max(sizes), min(sizes)
    header = ["measurement", *[size_label(s) for s in sizes], "target", f"@{size_label(big)}"]
    if big != small:
        header.append(f"{size_label(big)}/{size_label(small)}")
    judged = verdicts(figures, sizes)
    rows = []
    for metric in METRICS:
        cells = [f"{metric.label}" + (f" ({metric.unit})" if metric.unit else "")]
        for size in sizes:
            fig = figures.get(size, {}).get(metric.key)
            cells.append(fig.text if fig else "")
        target, growth = judged.get(metric.key, ("", ""))
        cells += [metric.target_text(), target] + ([growth] if big != small else [])
        rows.append(cells)
    return header, rows


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    out = [
        "| " + " | ".join(esc(c) for c in header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def fmt(value: float, unit: str) -> str:
    """A figure with sensible precision."""
    if unit in ("B/s", "leads/s"):
        return f"{value:,.0f}"
    if unit == "MB":
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def figure(key: str, value: float, note: str = "") -> Figure:
    return Figure(value, fmt(value, BY_KEY[key].unit), note)
