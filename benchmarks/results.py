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
    growth: bool = False  # held to "no more than 3x its 1,000-lead value" (at 50k)
    target_200k: float | None = None  # the figure at 200k must be <= this (issue 17)
    growth_limit: float = 3.0  # 2x where issue 17 asks for it

    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = ">=" if self.higher_better else "<="
        value = f"{self.target:g}"
        return f"{sign} {value} {self.unit}"

    def target_200k_text(self) -> str:
        return "" if self.target_200k is None else f"<= {self.target_200k:g} {self.unit}"

    def meets(self, value: float, target: float | None = None) -> bool:
        target = self.target if target is None else target
        assert target is not None
        return value >= target if self.higher_better else value <= target


METRICS: tuple[Metric, ...] = (
    Metric("generate", "build the database (store API, bulk)", "s"),
    Metric("touches", "touches per lead", ""),
    Metric("import", "leadtui import CSV", "leads/s", higher_better=True),
    Metric("python_floor", "python -c pass (floor)", "s"),
    Metric("cli_floor", "leadtui --version (import floor)", "s"),
    Metric(
        "queue",
        "leadtui queue --json (median)",
        "s",
        0.6,
        growth=True,
        target_200k=1.0,
        growth_limit=2.0,
    ),  # fmt: skip
    Metric("open_store", "open the store (parse the snapshot)", "ms"),
    Metric("log_median", "log an outcome durably, median", "ms", 10.0, growth=True),
    Metric("log_p99", "log an outcome durably, p99", "ms", 50.0, growth=True),
    Metric("fsync_median", "fsynced append of the record, median", "ms"),
    Metric("fsync_p99", "fsynced append of the record, p99", "ms"),
    Metric("compact", "snapshot compaction (paid by a CLI write now and then)", "ms", 100.0),
    Metric(
        "first_frame", "first frame 80x24 (in process)", "s", 0.3, growth=True, growth_limit=2.0
    ),  # fmt: skip
    Metric(
        "first_frame_proc",
        "first frame 80x24 (new process, pty)",
        "s",
        0.8,
        growth=True,
        target_200k=1.0,
    ),  # fmt: skip
    Metric("tick", "live tick, CPU per wall second", "ms/s", 5.0, growth=True),
    Metric("tick_direct", "one tick driven directly (CPU)", "ms", 5.0, growth=True),
    Metric(
        "rss",
        "workstation peak RSS (a repeat inquiry on an archived lead arrives)",
        "MB",
        150.0,
        growth=True,
        target_200k=200.0,
    ),  # fmt: skip
    Metric("show", "leadtui show of an archived lead (median)", "s", 0.5, growth=True),
    Metric("show_mb", "leadtui show of an archived lead, peak RSS", "MB", 80.0, growth=True),
    Metric("report", "leadtui report --json (median)", "s", 1.0, growth=True, target_200k=3.0),
    Metric("report_mb", "leadtui report --json, peak RSS", "MB", 150.0, growth=True),
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


GROWTH_SIZE = 50_000  # the size the growth rule compares with the smallest
BIG = 200_000


def verdicts(
    figures: Mapping[int, Mapping[str, Figure]], sizes: Sequence[int]
) -> dict[str, tuple[str, str, str]]:
    """Per metric: (target verdict at 50k or else the largest size, at 200k, growth of the
    50k figure, or else the largest, over the smallest size's)."""
    out: dict[str, tuple[str, str, str]] = {}
    if not sizes:
        return out
    judged = (
        GROWTH_SIZE
        if GROWTH_SIZE in sizes
        else max(s for s in sizes if s != BIG or len(sizes) == 1)
    )
    small = min(sizes)
    for metric in METRICS:
        fig = figures.get(judged, {}).get(metric.key)
        target = big = ""
        if metric.target is not None:
            if fig is None or fig.value is None:
                target = "n/a"
            else:
                target = "PASS" if metric.meets(fig.value) else "FAIL"
        if metric.target_200k is not None and BIG in sizes:
            fig200 = figures.get(BIG, {}).get(metric.key)
            if fig200 is None or fig200.value is None:
                big = "n/a"
            else:
                big = "PASS" if metric.meets(fig200.value, metric.target_200k) else "FAIL"
        growth = ""
        base = figures.get(small, {}).get(metric.key)
        if judged != small and fig and base and fig.value is not None and base.value:
            ratio = fig.value / base.value
            growth = f"{ratio:.1f}x"
            if metric.growth:
                growth += f" {'PASS' if ratio <= metric.growth_limit else 'FAIL'}"
                if metric.growth_limit != GROWTH_LIMIT:
                    growth += f" (<= {metric.growth_limit:g}x)"
        out[metric.key] = (target, big, growth)
    return out


def table_rows(
    figures: Mapping[int, Mapping[str, Figure]], sizes: Sequence[int]
) -> tuple[list[str], list[list[str]]]:
    small = min(sizes)
    judged = (
        GROWTH_SIZE
        if GROWTH_SIZE in sizes
        else max(s for s in sizes if s != BIG or len(sizes) == 1)
    )
    header = ["measurement", *[size_label(s) for s in sizes], "target", f"@{size_label(judged)}"]
    with_big = BIG in sizes and judged != BIG
    if with_big:
        header += ["target 200k", "@200k"]
    if judged != small:
        header.append(f"{size_label(judged)}/{size_label(small)}")
    judged_by = verdicts(figures, sizes)
    rows = []
    for metric in METRICS:
        cells = [f"{metric.label}" + (f" ({metric.unit})" if metric.unit else "")]
        for size in sizes:
            fig = figures.get(size, {}).get(metric.key)
            cells.append(fig.text if fig else "")
        target, big, growth = judged_by.get(metric.key, ("", "", ""))
        cells += [metric.target_text(), target]
        if with_big:
            cells += [metric.target_200k_text(), big]
        if judged != small:
            cells.append(growth)
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
