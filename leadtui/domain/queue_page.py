"""The head of the call queue and the counts around it: what a screen shows, not the pool.

`QueuePage` is what `LeadStore.queue_page` answers: the first `limit` entries of the whole
queue in rank order (domain.queue: the due ones first, callbacks and appointments, then
never-called leads freshest first, then the rest most overdue first; after them the leads
not due now by due time), optionally only those matching a filter text, plus the counts
the status line needs (due, active, aging) and the first moment time alone changes them.

`page_of` builds a page from every queued lead (`LeadStore.due_queue`), as the embedded
store and any backend without an indexed path do; `edge_for` and `lead_matches` are the
rules a backend with its own query shares.
"""

from __future__ import annotations

import gc
import heapq
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadtui.domain.model import Lead, LeadStatus, QueueEntry, Touch
from leadtui.domain.queue import _ASKED, Queued, may_call_due
from leadtui.domain.window import CallingWindow, closes_at_in, next_opening_in

_TICK = timedelta(seconds=1)
#: Start times of never-called leads not aging yet that a page carries at most (the
#: status line's aging count ticks from them; `changes_at` comes before they run out).
COMING_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class QueuePage:
    """The first entries of the queue and the counts of the whole queue at `now`."""

    entries: tuple[QueueEntry, ...]  # in rank order; claimed_by unset, touches empty
    total: int  # entries matching the page's filter (and mode) without the limit
    due: int  # due now and callable now, in the whole queue (filter ignored)
    active: int  # every active lead with a next action (the whole queue)
    aging: int  # never-called leads whose round started at or before now - threshold
    oldest_start: datetime | None  # the earliest start among never-called leads
    coming: tuple[datetime, ...]  # starts of the other never-called leads, earliest first
    changes_at: datetime | None  # the first moment after now that time alone changes `due`
    now: datetime
    threshold: timedelta
    # the entries' leads' touches, oldest first (a backend may convert them when looked up)
    touches: Mapping[str, Sequence[Touch]] = field(default_factory=dict)

    def aging_at(self, at: datetime) -> tuple[int, int]:
        """How many never-called leads are past the threshold at `at` (not before the
        page's moment), and the oldest one's age in seconds (0, 0 when none is)."""
        count = self.aging + bisect_right(self.coming, at - self.threshold)
        if not count or self.oldest_start is None:
            return 0, 0
        return count, int((at - self.oldest_start).total_seconds())

    @property
    def coming_until(self) -> datetime | None:
        """When `coming` is cut short, the moment its aging count stops being exact."""
        if len(self.coming) < COMING_LIMIT:
            return None
        return self.coming[-1] + self.threshold


def lead_matches(lead: Lead, needle: str) -> bool:
    """Does the filter text (already casefolded) occur in the lead's name, email or
    source, or its digits (3 or more) in the lead's phone?"""
    if needle in lead.name.casefold() or needle in lead.email.casefold():
        return True
    if needle in lead.source.casefold():
        return True
    digits = filter_digits(needle)
    return bool(digits) and digits in lead.phone


def filter_digits(needle: str) -> str:
    """The digits of a filter text when there are 3 or more (a phone number typed), else ""."""
    digits = "".join(ch for ch in needle if ch.isdigit())
    return digits if len(digits) >= 3 else ""


def in_grace(asked: bool | None, late_at: datetime | None, now: datetime) -> bool:
    """A time the lead asked for, still inside its grace: callable whatever the window."""
    return bool(asked) and (late_at is None or now <= late_at)


def edge_for(
    zones: tuple[str, ...],
    due_at: datetime,
    asked: bool | None,
    late_at: datetime | None,
    window_open: bool,
    now: datetime,
    window: CallingWindow,
) -> datetime | None:
    """The first moment after `now` that this lead's due flag can change by time alone:
    its due time, the end of its grace, or its calling window opening or shutting."""
    if due_at > now:
        return due_at
    if in_grace(asked, late_at, now):
        return None if late_at is None else late_at + _TICK
    return closes_at_in(window, zones, now) if window_open else next_opening_in(window, zones, now)


def page_of(
    queued: Iterable[Queued],
    now: datetime,
    window: CallingWindow,
    threshold: timedelta,
    *,
    limit: int,
    due_only: bool = False,
    needle: str = "",
    materialize: Callable[[Queued], Queued] | None = None,
) -> QueuePage:
    """The page of the queue from every queued lead (`LeadStore.due_queue` order: earliest
    due first; ties keep that order, as `domain.queue.rank_queued` does). `materialize`:
    turns the items the page keeps into the real Queued, when `queued` holds stand-ins
    that only have the attributes ranking reads (a store's rows)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _page_of(queued, now, window, threshold, limit, due_only, needle, materialize)
    finally:
        if collecting:
            gc.enable()


def _page_of(
    queued: Iterable[Queued], now: datetime, window: CallingWindow, threshold: timedelta,
    limit: int, due_only: bool, needle: str, materialize: Callable[[Queued], Queued] | None,
) -> QueuePage:  # fmt: skip
    open_now: dict[tuple[str, ...], bool] = {}
    edges: dict[tuple[str, ...], datetime | None] = {}  # zone set -> its window's next edge
    ranked: list[tuple[int, float, int, Queued, bool]] = []
    later: list[tuple[float, int, Queued, bool]] = []
    active = due_count = aging = 0
    oldest: datetime | None = None
    coming: list[datetime] = []
    soonest: datetime | None = None
    aging_from = now - threshold
    for n, item in enumerate(queued):
        lead, action, calls = item
        if lead.status is LeadStatus.DNC:
            continue
        active += 1
        due_at = action.due_at
        grace = action.ignores_window and (action.late_at is None or now <= action.late_at)
        due = due_at <= now and (grace or may_call_due(lead, False, None, now, window, open_now))
        due_count += due
        started = lead.received_at if lead.reopened_at is None else lead.reopened_at
        if calls == 0:
            if started <= aging_from:
                aging += 1
            else:
                coming.append(started)
            if oldest is None or started < oldest:
                oldest = started
        if due_at > now:
            edge: datetime | None = due_at
        elif grace:
            edge = None if action.late_at is None else action.late_at + _TICK
        else:
            zones = lead.zones
            if zones in edges:
                edge = edges[zones]
            else:
                edge = edges[zones] = edge_for(zones, due_at, False, None, open_now[zones],
                                               now, window)  # fmt: skip
        if edge is not None and edge > now and (soonest is None or edge < soonest):
            soonest = edge
        if needle and not lead_matches(lead, needle):
            continue
        if not due:
            if not due_only:
                later.append((due_at.timestamp(), n, item, due))
        elif action.kind in _ASKED:
            ranked.append((0, due_at.timestamp(), n, item, due))
        elif calls == 0:
            ranked.append((1, -started.timestamp(), n, item, due))
        else:
            ranked.append((2, due_at.timestamp(), n, item, due))
    head = heapq.nsmallest(limit, ranked, key=_ranked_key)
    if len(head) < limit and later:
        rest = heapq.nsmallest(limit - len(head), later, key=_later_key)
        picked = [(row[3], row[4]) for row in head] + [(row[2], row[3]) for row in rest]
    else:
        picked = [(row[3], row[4]) for row in head]
    if materialize is not None:
        picked = [(materialize(item), due) for item, due in picked]
    entries = tuple(entry_for(item, due, now, threshold) for item, due in picked)
    coming.sort()
    return QueuePage(
        entries=entries, total=len(ranked) + len(later), due=due_count, active=active,
        aging=aging, oldest_start=oldest, coming=tuple(coming[:COMING_LIMIT]),
        changes_at=soonest, now=now, threshold=threshold,
    )  # fmt: skip


def entry_for(item: Queued, due: bool, now: datetime, threshold: timedelta) -> QueueEntry:
    """The queue entry of a queued lead (no claim, no touches), as domain.queue makes it."""
    lead, action, calls = item
    age = now - (lead.received_at if lead.reopened_at is None else lead.reopened_at)
    return QueueEntry(lead, action, calls, int(age.total_seconds()),
                      calls == 0 and age > threshold, due)  # fmt: skip


def _ranked_key(row: tuple[int, float, int, Queued, bool]) -> tuple[int, float, int]:
    return row[0], row[1], row[2]


def _later_key(row: tuple[float, int, Queued, bool]) -> tuple[float, int]:
    return row[0], row[1]
