"""The report: figures from `domain.metrics` assembled into one dict, and a plain-text view.

`build_report` reads a `LeadStore` and returns a dict with stable keys (documented in the
README, "Report JSON"); `leadtui report --json` prints it as is and the TUI's report screen
draws from it, so both always show the same figures. `render_text` is the plain view of
the same dict for `leadtui report`, 80 columns wide, no colour, text bars for histograms.

Rounding: shares (0..1) to 4 decimals, seconds to 0.1, attempts and rates to 0.01.
A figure that cannot be computed (nothing to divide) is `null`.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from leadtui.domain.blitz import Tallies
from leadtui.domain.dial import median_gap
from leadtui.domain.figures import LeadFigures
from leadtui.domain.metrics import (
    PERSISTENT_ATTEMPTS,
    BlitzSummary,
    Figures,
    blitz_history,
    share,
)
from leadtui.domain.model import Lead, Touch
from leadtui.domain.report_sums import FactGroup, figures_of, sum_figures
from leadtui.domain.text import plain_line

__all__ = [
    "REPORT_VERSION",
    "ReportSource",
    "bar",
    "build_report",
    "format_duration",
    "format_share",
    "render_text",
]

REPORT_VERSION = 1


class ReportSource(Protocol):
    """The part of `LeadStore` a report reads."""

    def leads(self) -> list[Lead]: ...

    def touches_by_lead(self) -> Mapping[str, Sequence[Touch]]: ...

    def blitzes(self) -> list[dict[str, Any]]: ...


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def figures_dict(figures: Figures) -> dict[str, Any]:
    """One group's figures with the documented keys."""
    speed, contact, persist = figures.speed, figures.contact, figures.persistency
    return {
        "leads": figures.leads,
        "speed_to_lead": {
            "called": speed.called,
            "median_seconds": _round(speed.median_seconds, 1),
            "p90_seconds": _round(speed.p90_seconds, 1),
            "within_threshold": speed.within_threshold,
            "within_threshold_share": _round(share(speed.within_threshold, speed.leads), 4),
            "never_called": speed.never_called,
            "never_called_share": _round(share(speed.never_called, speed.leads), 4),
            "histogram": [{"bucket": label, "leads": n} for label, n in speed.histogram],
        },
        "contact": {
            "dials": contact.dials,
            "contacts": contact.contacts,
            "rate_per_dial": _round(contact.per_dial, 4),
            "leads_reached": contact.leads_reached,
            "rate_per_lead": _round(contact.per_lead, 4),
        },
        "persistency": {
            "mean_attempts": _round(persist.mean_attempts, 2),
            "median_attempts": _round(persist.median_attempts, 2),
            "attempts_histogram": [{"attempts": k, "leads": n} for k, n in persist.attempts],
            "unreached": persist.unreached,
            "unreached_6_plus": persist.unreached_persistent,
            "unreached_6_plus_share": _round(
                share(persist.unreached_persistent, persist.unreached), 4
            ),
            "unreached_median_attempts": _round(persist.unreached_median_attempts, 2),
            "exhausted": persist.exhausted,
            "follow_ups_exhausted": persist.follow_ups_exhausted,
        },
        "outcomes": dict(figures.outcomes),
        "contact_by_local_hour": [
            {"hour": h.hour, "dials": h.dials, "contacts": h.contacts, "rate": _round(h.rate, 4)}
            for h in figures.by_hour
        ],
    }


def blitz_dict(summary: BlitzSummary, dialed: Sequence[datetime] = ()) -> dict[str, Any]:
    """One blitz session as history shows it; `dialed`: when its dials (`g`) started."""
    dialed_count = len(dialed)
    minutes = summary.minutes_used
    return {
        "id": summary.id,
        "start": _iso(summary.start),
        "end": _iso(summary.end),
        "planned_minutes": summary.planned_minutes,
        "goal": summary.goal,
        "status": summary.state.value,
        "ended_early": summary.ended_early,
        "minutes_used": round(summary.minutes_used, 2),
        "dials_per_hour": _round(summary.dials_per_hour, 2),
        "tallies": summary.tallies.as_dict(),
        "dialed": dialed_count,
        "dialed_per_hour": _round(dialed_count * 60.0 / minutes if minutes > 0 else None, 2),
        "median_seconds_between_dials": _round(median_gap(dialed), 1),
    }


def build_report(
    store: ReportSource,
    *,
    now: datetime,
    threshold: timedelta,
    since: datetime | None = None,
    source: str | None = None,
    rep: str | None = None,
    sources: set[str] | None = None,
) -> dict[str, Any]:
    """Every report figure for the leads received since `since` from `source`; with `rep`,
    only that rep's touches (any case) and the leads they touched (streamed as without).
    `sources`, when given, gets every lead's source as the report names it (all leads, not
    only those in scope), noted in the same pass."""
    sessions, unreadable = blitz_history(store.blitzes(), now, since=since)
    with _gc_paused():  # (tens of thousands of small objects: collections would cost more)
        rows = _figures(store, since)
        sums = sum_figures(rows, threshold, since=since, source=source, rep=rep)
    if sources is not None:
        sources.update(sums.sources)
    return {
        "report_version": REPORT_VERSION,
        "generated_at": _iso(now),
        "scope": {
            "since": _iso(since),
            "source": source,
            "rep": rep,
            "threshold_seconds": threshold.total_seconds(),
            "persistent_attempts": PERSISTENT_ATTEMPTS,
        },
        "overall": figures_dict(sums.overall),
        "by_source": {name: figures_dict(group) for name, group in sums.by_source.items()},
        "by_rep": {name: figures_dict(group) for name, group in sums.by_rep.items()},
        "blitzes": [blitz_dict(summary, sums.dials.get(summary.id, ())) for summary in sessions],
        "blitzes_unreadable": unreadable,
    }


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside (as it was before, after): the report's
    objects form no cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _figures(store: ReportSource, since: datetime | None) -> Iterable[LeadFigures | FactGroup]:
    """Every lead's report figures: added up by the database server where it can
    (`report_groups`), else as the store keeps them (`report_figures`), else computed
    here from every lead and its touches."""
    grouped = getattr(store, "report_groups", None)
    if grouped is not None:
        return grouped(since)
    stored = getattr(store, "report_figures", None)
    if stored is not None:
        return stored()
    return figures_of(_pairs(store))


def _pairs(store: ReportSource) -> Iterable[tuple[Lead, Sequence[Touch]]]:
    """Every lead with its touches: streamed when the store can (`leads_with_touches`:
    the embedded store then reads its archive a segment at a time), else from `leads()`
    and `touches_by_lead()`."""
    stream = getattr(store, "leads_with_touches", None)
    if stream is not None:
        return stream()
    touches = store.touches_by_lead()
    return ((lead, touches.get(lead.id, ())) for lead in store.leads())


def of_rep(
    pairs: Iterable[tuple[Lead, Sequence[Touch]]], rep: str
) -> Iterator[tuple[Lead, Sequence[Touch]]]:
    """Each lead with only the touches `rep` logged (names compared without case or outer
    spaces); leads the rep never touched are left out."""
    wanted = rep.strip().casefold()
    for lead, touches in pairs:
        mine = [t for t in touches if t.rep.strip().casefold() == wanted]
        if mine:
            yield lead, mine


# --- plain text ---------------------------------------------------------------------------
def plain(value: object, width: int | None = None) -> str:
    """Visible text on one line (control and bidi characters dropped), cut to `width`."""
    return plain_line(value, width, cut="~")


def format_duration(seconds: float | None) -> str:
    """`45s`, `4m30s`, `1h02m`, `2d3h`; `-` for none."""
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    if whole < 86400:
        hours, rest = divmod(whole, 3600)
        return f"{hours}h{rest // 60:02d}m" if rest >= 60 else f"{hours}h"
    days, rest = divmod(whole, 86400)
    return f"{days}d{rest // 3600}h" if rest >= 3600 else f"{days}d"


def format_share(value: float | None) -> str:
    """A 0..1 share as a whole percentage; `-` for none."""
    return "-" if value is None else f"{math.floor(value * 100 + 0.5)}%"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar(value: int, top: int, width: int) -> str:
    """A text bar of `#` scaled so `top` fills `width`; any value above 0 shows at least one."""
    if top <= 0 or value <= 0:
        return ""
    return "#" * max(1, round(value * width / top))


def _bars(
    rows: Sequence[tuple[str, int, str]], width: int = 80, top: int | None = None
) -> list[str]:
    """label | bar | value lines; the axis is the `|` after the label. `top` fills the bar."""
    label_width = max((len(label) for label, _, _ in rows), default=0)
    note_width = max((len(note) for _, _, note in rows), default=0)
    room = min(50, max(10, width - label_width - note_width - 6))
    if top is None:
        top = max((value for _, value, _ in rows), default=0)
    return [
        f"  {label:>{label_width}} |{bar(value, top, room):<{room}} {note}".rstrip()
        for label, value, note in rows
    ]


_TABLE = "  {:<16} {:>5} {:>7} {:>7} {:>5} {:>5} {:>7} {:>7} {:>5} {:>5}"


def _table_row(name: str, fig: Mapping[str, Any]) -> str:
    speed, contact, persist = fig["speed_to_lead"], fig["contact"], fig["persistency"]
    return _TABLE.format(
        plain(name, 16),
        fig["leads"],
        format_duration(speed["median_seconds"]),
        format_duration(speed["p90_seconds"]),
        format_share(speed["within_threshold_share"]),
        format_share(speed["never_called_share"]),
        format_share(contact["rate_per_dial"]),
        format_share(contact["rate_per_lead"]),
        _number(persist["median_attempts"]),
        format_share(persist["unreached_6_plus_share"]),
    )


def table_lines(
    report: Mapping[str, Any], group: str = "by_source", title: str = "SOURCE"
) -> list[str]:
    """The figures by source (or by rep: `group` "by_rep", `title` "REP") as a
    fixed-width table: header, all leads, each source (rep)."""
    header = _TABLE.format(title, "LEADS", "MEDIAN", "P90", "<=THR", "NEVER", "CONTACT",
                           "REACHED", "ATT", "6+")  # fmt: skip
    lines = [header, _table_row("(all)", report["overall"])]
    lines.extend(_table_row(name, fig) for name, fig in report.get(group, {}).items())
    return lines


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """The headline figures of the whole scope, a few lines."""
    fig = report["overall"]
    speed, contact, persist = fig["speed_to_lead"], fig["contact"], fig["persistency"]
    threshold = format_duration(report["scope"]["threshold_seconds"])
    return [
        f"Speed to lead: median {format_duration(speed['median_seconds'])}, "
        f"90th percentile {format_duration(speed['p90_seconds'])}; "
        f"first call within {threshold}: {speed['within_threshold']} of {fig['leads']} "
        f"({format_share(speed['within_threshold_share'])}); "
        f"never called: {speed['never_called']} ({format_share(speed['never_called_share'])})",
        f"Contact rate: {contact['contacts']} contacts in {contact['dials']} dials "
        f"({format_share(contact['rate_per_dial'])}); {contact['leads_reached']} of "
        f"{fig['leads']} leads reached ({format_share(contact['rate_per_lead'])})",
        f"Persistency: {_number(persist['median_attempts'])} attempts per lead (median), "
        f"{_number(persist['mean_attempts'])} on average; of {persist['unreached']} unreached "
        f"leads {persist['unreached_6_plus']} got {PERSISTENT_ATTEMPTS}+ attempts "
        f"({format_share(persist['unreached_6_plus_share'])}), and a typical unreached lead "
        f"got {_number(persist['unreached_median_attempts'])}; exhausted: {persist['exhausted']}; "
        f"reached, follow-ups ran out: {persist['follow_ups_exhausted']}",
    ]


def _wrap(line: str, width: int) -> list[str]:
    indent = line[: len(line) - len(line.lstrip(" "))]
    words, out, current = line.split(), [], indent
    for word in words:
        if current.strip() and len(current) + 1 + len(word) > width:
            out.append(current)
            current = indent + "    " + word
        else:
            current = f"{current} {word}" if current.strip() else current + word
    return [*out, current] if current else out


def speed_rows(fig: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """(bucket, leads, note) rows of the speed-to-lead histogram."""
    return [
        (row["bucket"], row["leads"], str(row["leads"]))
        for row in fig["speed_to_lead"]["histogram"]
    ]


def hour_rows(fig: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """(hour, contact %, note) rows for the local hours that saw dials."""
    rows = []
    for row in fig["contact_by_local_hour"]:
        if row["dials"]:
            pct = round((row["rate"] or 0) * 100)
            note = f"{pct}% ({row['contacts']}/{row['dials']})"
            rows.append((f"{row['hour']:02d}h", pct, note))
    return rows


def attempt_rows(fig: Mapping[str, Any], cap: int = 12) -> list[tuple[str, int, str]]:
    """(attempts, leads, note) rows; counts of `cap` attempts or more share the last row."""
    counts: dict[int, int] = {}
    for row in fig["persistency"]["attempts_histogram"]:
        key = min(row["attempts"], cap)
        counts[key] = counts.get(key, 0) + row["leads"]
    return [(f"{k}+" if k == cap else str(k), n, str(n)) for k, n in sorted(counts.items())]


def _minutes(value: float) -> str:
    """'1.5' under ten minutes, '45' above: a 1.5-minute blitz is not '2'."""
    return f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"


def blitz_line(session: Mapping[str, Any]) -> str:
    """One blitz of history, one line, started in this machine's local time."""
    tallies = Tallies(**session["tallies"])
    start = datetime.fromisoformat(session["start"]).astimezone()
    goal = f"/{session['goal']}" if session["goal"] is not None else ""
    used, planned = _minutes(session["minutes_used"]), _minutes(session["planned_minutes"])
    gap = session.get("median_seconds_between_dials")
    between = f" ({format_duration(gap)} apart)" if gap is not None else ""
    return (
        f"  {start:%Y-%m-%d %H:%M} {start.tzname()} {used}/{planned}m "
        f"dials {tallies.dials}{goal}{between} contacts {tallies.contacts} "
        f"appts {tallies.appointments} msgs {tallies.messages_left}  {session['status']}"
    )


def render_text(report: Mapping[str, Any], width: int = 80) -> str:
    """The report as plain text, `width` columns, no colour."""
    scope = report["scope"]
    what = f"source {plain(scope['source'], 30)}" if scope["source"] else "all sources"
    if scope.get("rep") is not None:
        what += f", rep {plain(scope['rep'], 30)}"
    since = f", received since {scope['since']}" if scope["since"] else ""
    overall = report["overall"]
    lines = [f"leadtui report: {overall['leads']} leads ({what}{since})", ""]
    for line in summary_lines(report):
        lines.extend(_wrap(line, width))
    lines += ["", *table_lines(report)]
    if report.get("by_rep"):
        lines += ["", *table_lines(report, "by_rep", "REP")]
    lines += ["", "Speed to lead (leads by time to first call)"]
    lines += _bars(speed_rows(overall), width)
    hours = hour_rows(overall)
    lines += ["", "Contact rate by the lead's local hour (contacts/dials)"]
    lines += _bars(hours, width, top=100) if hours else ["  no dials yet"]
    lines += ["", "Attempts per lead (calls before contact or giving up)"]
    attempts = attempt_rows(overall)
    lines += _bars(attempts, width) if attempts else ["  no leads"]
    outcomes = [f"{name} {n}" for name, n in overall["outcomes"].items() if n]
    lines += ["", "Outcomes"]
    lines += _wrap("  " + (", ".join(outcomes) if outcomes else "none yet"), width)
    lines += ["", f"Blitz history ({len(report['blitzes'])})"]
    lines += [blitz_line(s) for s in report["blitzes"]] or ["  no blitz sessions yet"]
    if report.get("blitzes_unreadable"):
        lines.append(f"  ({report['blitzes_unreadable']} unreadable session record(s) skipped)")
    return "\n".join(lines) + "\n"
