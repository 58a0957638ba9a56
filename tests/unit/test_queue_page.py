"""domain.queue_page: a page is the head of `rank_queued`, exactly, on random queues.

Seeded random queues with ties everywhere (equal start times, equal due times), zone
doubt, closed zones, asked-for times inside and past their grace, never-called and
called leads: `page_of` must give `rank_queued`'s first N entries in both modes and with
filters, the whole queue's counts, aging counts at later moments, and the first moment
time alone changes the due set.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from leadtui.domain.model import Channel, Lead, Message, NextAction
from leadtui.domain.queue import Queued, rank_queued
from leadtui.domain.queue_page import COMING_LIMIT, lead_matches, page_of
from leadtui.domain.window import CallingWindow, closes_at_in, next_opening_in

NOW = datetime(2025, 11, 4, 13, 45, tzinfo=UTC)  # 07:45 in Chicago: its window opens at 08:00
WINDOW = CallingWindow()
THRESHOLD = timedelta(minutes=5)
ZONES = ["America/Chicago", "America/New_York", "Asia/Tokyo", "Europe/Lisbon"]


def _queue(rng: random.Random, size: int) -> list[Queued]:
    starts = [NOW - timedelta(minutes=rng.choice((1, 3, 4, 6, 30, 600))) for _ in range(4)]
    dues = [NOW + timedelta(minutes=m) for m in (-90, -20, -1, 0, 2, 45, 600)]
    items = []
    for n in range(size):
        tz = rng.choice(ZONES)
        doubt = ("America/Chicago", "America/Denver") if rng.random() < 0.15 else ()
        lead = Lead(
            id=f"L{n:03d}", name=rng.choice(["Ana Rey", "Bo Strand", "Cy Ames"]),
            phone=f"+1312555{rng.randrange(10000):04d}", email="", source=rng.choice(["a", "b"]),
            timezone="America/Chicago" if doubt else tz, received_at=rng.choice(starts),
            zone_candidates=doubt,
        )  # fmt: skip
        asked = rng.random() < 0.25
        due = rng.choice(dues)
        action = NextAction(
            Channel.CALL, "callback" if asked else rng.choice(["first-call", "cadence"]),
            Message.NONE, due, "x", late_at=due + timedelta(minutes=30) if asked else None,
            ignores_window=asked,
        )  # fmt: skip
        calls = rng.choice((1, 2)) if asked else rng.choice((0, 0, 1, 3))
        items.append(Queued(lead, action, calls))
    items.sort(key=lambda q: q.action.due_at)  # as due_queue gives them
    return items


def _key(entries) -> list[tuple]:
    return [(e.lead.id, e.attempts, e.age_seconds, e.aging, e.due) for e in entries]


@pytest.mark.parametrize("seed", range(12))
def test_a_page_is_the_head_of_the_ranked_queue(seed: int) -> None:
    rng = random.Random(seed)
    queued = _queue(rng, rng.choice((5, 40, 120)))
    at = NOW + timedelta(minutes=rng.choice((0, 20, 600)))
    whole = rank_queued(queued, at, WINDOW, THRESHOLD, include_all=True)
    due = [e for e in whole if e.due]
    for limit in (1, 7, len(whole) + 3):
        page = page_of(queued, at, WINDOW, THRESHOLD, limit=limit)
        assert _key(page.entries) == _key(whole[:limit])
        assert (page.total, page.due, page.active) == (len(whole), len(due), len(whole))
        only = page_of(queued, at, WINDOW, THRESHOLD, limit=limit, due_only=True)
        assert _key(only.entries) == _key(due[:limit]) and only.total == len(due)
        for needle in ("bo", "ames", "b", "zz"):
            found = page_of(queued, at, WINDOW, THRESHOLD, limit=limit, needle=needle)
            matching = [e for e in whole if lead_matches(e.lead, needle)]
            assert _key(found.entries) == _key(matching[:limit]) and found.total == len(matching)
    page = page_of(queued, at, WINDOW, THRESHOLD, limit=3)
    never = sorted(e.lead.started_at for e in whole if e.attempts == 0)
    for later in (0, 30, 119, 240, 400):
        moment = at + timedelta(seconds=later)
        count = sum(1 for s in never if s <= moment - THRESHOLD)
        assert page.aging_at(moment) == (
            (count, int((moment - never[0]).total_seconds())) if count else (0, 0)
        )
    assert page.changes_at == _first_edge(whole, at)
    if page.changes_at is not None:
        before = page.changes_at - timedelta(seconds=1)
        if before > at:  # nothing changes before it
            same = rank_queued(queued, before, WINDOW, THRESHOLD, include_all=True)
            assert {e.lead.id for e in same if e.due} == {e.lead.id for e in due}


def _first_edge(entries, now: datetime) -> datetime | None:
    """The workstation's earlier rule, entry by entry: a due time ahead, a grace's end,
    the window shutting for a due lead or opening for a waiting one."""
    soonest = None
    for entry in entries:
        action, zones = entry.next_action, entry.lead.zones
        grace = action.ignores_window and (action.late_at is None or now <= action.late_at)
        if action.due_at > now:
            edge = action.due_at
        elif grace:
            if action.late_at is None:
                continue
            edge = action.late_at + timedelta(seconds=1)
        elif entry.due:
            edge = closes_at_in(WINDOW, zones, now)
        else:
            edge = next_opening_in(WINDOW, zones, now)
        if now < edge and (soonest is None or edge < soonest):
            soonest = edge
    return soonest


def test_a_long_list_of_coming_starts_is_cut_and_says_until_when() -> None:
    fresh = [
        Queued(
            Lead(
                f"F{n}",
                "New",
                "+13125550000",
                "",
                "",
                "America/Chicago",
                NOW - timedelta(milliseconds=n),
            ),
            NextAction(Channel.CALL, "first-call", Message.NONE, NOW, "day-0"),
            0,
        )  # fmt: skip
        for n in range(COMING_LIMIT + 50)
    ]
    page = page_of(fresh, NOW, WINDOW, THRESHOLD, limit=10)
    assert len(page.coming) == COMING_LIMIT and page.aging == 0
    assert page.coming_until == page.coming[-1] + THRESHOLD
