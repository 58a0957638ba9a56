"""The lead-detail pane: contact, local time and window, status, history, and what is next.

Built as a `rich.text.Text` from plain strings, so names and notes typed into a web form
show exactly as typed (a note reading "[b]hi[/b]" stays that text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from leadtui.domain.cadence import Cadence
from leadtui.domain.model import Message, NextAction, QueueEntry, Touch
from leadtui.domain.notes import local_stamps
from leadtui.domain.phone import format_phone
from leadtui.domain.plan import plan
from leadtui.domain.queue import format_age
from leadtui.domain.when import relative
from leadtui.domain.window import CallingWindow
from leadtui.tui.formatting import (
    clock_in,
    doubt_phrase,
    next_phrase,
    short_time,
    window_phrase,
    zone_label,
)

HISTORY_SHOWN = 12
PLAN_SHOWN = 4


def _phone(e164: str) -> str:
    try:
        return format_phone(e164)
    except Exception:  # a number the formatter does not know is still worth showing
        return e164


def _step(action: NextAction, tz: str, now: datetime) -> str:
    """'13:30 call + first msg' for the plan line."""
    what = str(action.channel)
    if action.message is not Message.NONE:
        what += f" + {action.message} msg"
    return f"{short_time(action.due_at, tz, now)} {what}"


class LeadDetail(VerticalScroll, can_focus=False):
    """Everything about the lead under the cursor."""

    DEFAULT_CSS = """
    LeadDetail {
        padding: 0 1;
        & > #detail-body { width: 1fr; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("No lead selected."), id="detail-body")

    def show(
        self,
        entry: QueueEntry | None,
        touches: Sequence[Touch],
        now: datetime,
        window: CallingWindow,
        cadence: Cadence,
        empty: str = "",
    ) -> None:
        """Show a lead, or `empty` when there is none. Cheap every tick: redraws on change."""
        minute = now.replace(second=0, microsecond=0)
        key = (id(entry), entry, len(touches), minute, empty)
        if key == self._key:
            return
        self._key = key
        body = self.query_one("#detail-body", Static)
        if entry is None:
            body.update(Text(empty or "No lead here."))
            return
        body.update(self.render_entry(entry, touches, now, window, cadence))

    def render_entry(
        self,
        entry: QueueEntry,
        touches: Sequence[Touch],
        now: datetime,
        window: CallingWindow,
        cadence: Cadence,
    ) -> Text:
        """The pane's text for one lead."""
        lead = entry.lead
        tz = lead.timezone
        text = Text(no_wrap=False, overflow="fold")
        text.append(lead.name or "(no name)", style="bold")
        text.append(f"  {lead.status} · {entry.attempts} call")
        text.append("" if entry.attempts == 1 else "s")
        if entry.claimed_by:
            text.append(f"  taken by {entry.claimed_by}", style="italic")
        text.append(f"  id {lead.id}", style="dim")
        text.append("\n")
        # The number is an OSC 8 tel: link: a click in a terminal that supports links
        # hands it to the rep's own softphone (E.164 in the link, people's format shown).
        text.append(_phone(lead.phone), style=Style(link=f"tel:{lead.phone}", underline=True))
        if lead.email:
            text.append(f" · {lead.email}")
        if lead.source:
            text.append(f" · source {lead.source}")
        text.append("\n")
        earlier = [*map(_phone, lead.other_phones), *lead.other_emails]
        if earlier:
            text.append(f"earlier: {' · '.join(earlier)}\n")
        zones = lead.zones
        text.append(f"{clock_in(tz, now)} {zone_label(tz, now)}")
        if len(zones) > 1:
            text.append(f" · {doubt_phrase(zones, now)}", style="bold")
        text.append(f" · {window_phrase(window, tz, now, zones)}\n")
        started = lead.started_at
        if lead.reopened_at is None:
            received = f"received {format_age(int((now - started).total_seconds()))} ago"
        else:
            received = f"asked again {format_age(int((now - started).total_seconds()))} ago"
        text.append(f"{received} ({short_time(started, tz, now)})")
        if lead.reopened_at is not None:
            text.append(" · reopened, cadence started over")
        elif lead.inquiries:
            text.append(f" · asked again {len(lead.inquiries)}x")
        text.append("\n")
        text.append("Next: ", style="bold")
        text.append(next_phrase(entry.next_action, tz, now))
        text.append(f" [{entry.next_action.stage}]\n")
        steps = plan(lead, touches, cadence, window, now)[1 : 1 + PLAN_SHOWN]
        if steps:
            text.append("Then: ", style="bold")
            text.append(" · ".join(_step(s, tz, now) for s in steps))
            text.append("\n")
        if lead.notes:
            text.append("Notes: ", style="bold")
            text.append(local_stamps(lead.notes.strip(), tz))
            text.append("\n")
        text.append("History: ", style="bold")
        if not touches:
            text.append("none yet")
        for touch in list(touches)[-HISTORY_SHOWN:][::-1]:
            text.append(f"\n {short_time(touch.at, tz, now):>12} {touch.outcome}")
            if touch.when is not None:
                text.append(f" → {short_time(touch.when, tz, now)} ({relative(touch.when, now)})")
            if touch.override_window:
                text.append(" (outside window)")
            if touch.rep:
                text.append(f" · {touch.rep}")
            if touch.note:
                text.append(f" · {touch.note}")
        return text
