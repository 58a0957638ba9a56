"""The report screen: the figures of `leadtui report`, plus charts a rep would rather see.

One tab at a time, so each fits 80x24: the summary, the figures by source, speed to lead
(histogram), contact rate by the lead's local hour, attempts per lead, blitz history, and
the figures by rep (issue 14: who logged the touches).
The report is the same dict as `leadtui report --json` (`service.reports.report`), built
in a thread worker; `f` narrows it to one source, `s` to leads received since a date.
Source names are untrusted text and reach the screen as plain `Text`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from leadtui.domain.figures import NO_REP
from leadtui.io.report import (
    attempt_rows,
    blitz_line,
    plain,
    speed_rows,
    summary_lines,
    table_lines,
)
from leadtui.tui.guard import Guarded, guarded
from leadtui.tui.keys import REPORT_BINDINGS, REPORT_TABS
from leadtui.tui.screens.text_prompt import TextPrompt

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp

TABS = REPORT_TABS
FEW_DIALS = 5  # an hour with fewer dials gets a * (one lucky call is not a pattern)
REPORT_MODE = "report"  # the screen mode the report runs in (see tui/modes.py)


def parse_since(text: str) -> datetime:
    """`2024-05-01` (midnight UTC) or a full ISO time (naive = UTC); ValueError if neither."""
    raw = text.strip()
    if raw[-1:] in "zZ":
        raw = raw[:-1] + "+00:00"
    parsed = datetime.fromisoformat(raw)
    if len(raw) == 10:  # a date alone
        parsed = datetime.combine(parsed.date(), time(0, 0))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def summary_text(report: dict[str, Any]) -> Text:
    """The headline figures and the outcomes, plain."""
    text = Text()
    for line in summary_lines(report):
        text.append(line + "\n\n")
    outcomes = [f"{name} {n}" for name, n in report["overall"]["outcomes"].items() if n]
    text.append("Outcomes: " + (", ".join(outcomes) if outcomes else "none yet"))
    return text


def sources_text(report: dict[str, Any]) -> Text:
    """The figures split by source as a fixed-width table (plain text)."""
    lines = table_lines(report)
    lines += [
        "",
        "MEDIAN/P90: time to first call · <=THR: first called within the threshold",
        "NEVER: never called · CONTACT: contacts per dial · REACHED: leads reached",
        "ATT: median attempts per lead · 6+: unreached leads that got 6+ attempts",
    ]
    return Text("\n".join(line[2:] if line.startswith("  ") else line for line in lines))


def reps_text(report: dict[str, Any]) -> Text:
    """The figures split by rep (who logged the touches) as a fixed-width table."""
    if not report.get("by_rep"):
        return Text("No touches logged yet, so nothing to split by rep.")
    lines = table_lines(report, "by_rep", "REP")
    lines += [
        "",
        "Each rep's row counts only the touches that rep logged, on the leads they",
        f"touched; {NO_REP}: touches logged without a rep name (config rep_name).",
    ]
    return Text("\n".join(line[2:] if line.startswith("  ") else line for line in lines))


def blitzes_text(report: dict[str, Any]) -> Text:
    """Blitz history, one line each (start in this machine's local time)."""
    sessions = report["blitzes"]
    if not sessions:
        return Text("No blitz sessions yet. Start one with B on the workstation.")
    lines = [blitz_line(s)[2:] for s in reversed(sessions)]  # newest first
    if report.get("blitzes_unreadable"):
        lines.append(f"({report['blitzes_unreadable']} unreadable session record(s) skipped)")
    return Text("\n".join(lines))


class ReportScreen(Guarded, Screen[None]):
    """What speed and persistence earn, on screen."""

    app: LeadApp
    BINDINGS: ClassVar[list[BindingType]] = [*REPORT_BINDINGS]
    DEFAULT_CSS = """
    ReportScreen {
        & > #report-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
        & > #report-tabs { height: 1fr; }
        & TabPane { padding: 0 1; height: 1fr; }
        & TabPane > VerticalScroll { height: 1fr; }
        & #report-hour-note { height: 1; color: $text-muted; }
    }
    """

    def __init__(self, *, source: str | None = None, since: datetime | None = None) -> None:
        super().__init__(id="report")
        self.source = source
        self.since = since
        self.report: dict[str, Any] | None = None
        self.known_sources: list[str] = []  # every lead's source, for the source prompt

    def compose(self) -> ComposeResult:
        # plotext takes ~170 ms to import: only when the report is opened, not at start
        from leadtui.tui.widgets.bar_plot import BarPlot

        yield Static(Text("REPORT · computing…"), id="report-title")
        with TabbedContent(id="report-tabs"):
            with TabPane("1 Summary", id="summary"):
                yield VerticalScroll(Static(id="report-summary"))
            with TabPane("2 Sources", id="sources"):
                yield VerticalScroll(Static(id="report-sources"))
            with TabPane("3 Speed", id="speed"):
                yield BarPlot(id="plot-speed")
            with TabPane("4 By hour", id="hours"):
                yield BarPlot(id="plot-hours")
                yield Static(id="report-hour-note")
            with TabPane("5 Attempts", id="attempts"):
                yield BarPlot(id="plot-attempts")
            with TabPane("6 Blitzes", id="blitzes"):
                yield VerticalScroll(Static(id="report-blitzes"))
            with TabPane("7 Reps", id="reps"):
                yield VerticalScroll(Static(id="report-reps"))
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    # --- computing ---
    def action_reload(self) -> None:
        self._build(self.app.clock.now(), self.source, self.since)

    @work(thread=True, group="report", exit_on_error=False, description="compute the report")
    def _build(self, now: datetime, source: str | None, since: datetime | None) -> None:
        app = self.app
        try:
            seen: set[str] = set()  # every lead's source, noted in the report's one pass
            report = app.gateway.report(now, since=since, source=source, sources=seen)
            sources = sorted(seen, key=str.casefold)
        except Exception as exc:
            app.call_from_thread(
                self.notify, f"Could not compute the report: {exc}", title="Report",
                severity="error", markup=False,
            )  # fmt: skip
            return
        app.call_from_thread(self._got, report, sources)

    def _got(self, report: dict[str, Any], sources: list[str]) -> None:
        self.known_sources = sources
        self.show_report(report)

    @guarded
    def show_report(self, report: dict[str, Any]) -> None:
        """Fill every tab from a report dict."""
        self.report = report
        overall = report["overall"]
        scope = report["scope"]
        what = f"source {plain(scope['source'], 24)}" if scope["source"] else "all sources"
        since = f" · since {scope['since'][:10]}" if scope["since"] else ""
        self.query_one("#report-title", Static).update(
            Text(f"REPORT · {overall['leads']} leads · {what}{since}")
        )
        self.query_one("#report-summary", Static).update(summary_text(report))
        self.query_one("#report-sources", Static).update(sources_text(report))
        self.query_one("#report-blitzes", Static).update(blitzes_text(report))
        self.query_one("#report-reps", Static).update(reps_text(report))
        from leadtui.tui.widgets.bar_plot import BarPlot

        speed = speed_rows(overall)
        self.query_one("#plot-speed", BarPlot).set_bars(
            [r[0] for r in speed], [r[1] for r in speed],
            title="Speed to lead: leads by time to first call",
        )  # fmt: skip
        by_hour = {row["hour"]: row for row in overall["contact_by_local_hour"] if row["dials"]}
        shown = range(min(by_hour, default=8), max(by_hour, default=20) + 1)
        labels, rates = [], []
        for hour in shown:
            row = by_hour.get(hour)
            thin = row is not None and row["dials"] < FEW_DIALS
            labels.append(f"{hour:02d}" + ("*" if thin else ""))
            rates.append(round((row["rate"] or 0) * 100) if row else 0)
        self.query_one("#plot-hours", BarPlot).set_bars(
            labels, rates, title="Contact rate by the lead's local hour", percent=True
        )
        dialed = sum(row["dials"] for row in by_hour.values())
        self.query_one("#report-hour-note", Static).update(
            Text(f"contacts per dial ({dialed} dials) · * under {FEW_DIALS} dials: weak evidence")
        )
        attempts = attempt_rows(overall)
        self.query_one("#plot-attempts", BarPlot).set_bars(
            [r[0] for r in attempts], [r[1] for r in attempts],
            title="Attempts per lead before contact or giving up",
        )  # fmt: skip

    # --- keys ---
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_close(self) -> None:
        app = self.app
        if app.current_mode == REPORT_MODE:
            app.switch_mode(app.DEFAULT_MODE)
            app.remove_mode(REPORT_MODE)
        else:
            app.pop_screen()

    def action_source(self) -> None:
        known = sorted(self.known_sources, key=str.casefold)
        by_case = {name.casefold(): name for name in known}

        def check(value: str) -> str:
            if value.casefold() in by_case:
                return ""
            return f"No leads from {value!r}. Sources: {', '.join(known) or 'none yet'}"

        def chosen(value: str | None) -> None:
            self.source = by_case.get(value.casefold(), value) if value else None
            self.action_reload()

        listed = ", ".join(known) if known else "none yet"
        self.app.push_screen(
            TextPrompt("Report on one source", f"Sources: {listed} · empty: all sources",
                       value=self.source or "", check=check),
            chosen,
        )  # fmt: skip

    def action_since(self) -> None:
        example = (self.app.clock.now() - timedelta(days=30)).date().isoformat()

        def check(value: str) -> str:
            try:
                parse_since(value)
            except ValueError:
                return f"Not a date: {value!r} (e.g. {example})"
            return ""

        def chosen(value: str | None) -> None:
            self.since = parse_since(value) if value else None
            self.action_reload()

        current = self.since.date().isoformat() if self.since else ""
        self.app.push_screen(
            TextPrompt("Report on leads received since", f"A date ({example}) or ISO time · "
                       "empty: all", value=current, check=check),
            chosen,
        )  # fmt: skip
