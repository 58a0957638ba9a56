"""Store contract (both backends): the queue page is the whole ranked queue's head.

`LeadStore.queue_page` (through `service.queue.queue_page`, which marks claims) must give
exactly the first N entries that ranking the whole queue gives (`rank_queued` over
`due_queue`, as the workstation ranked before), in both modes, with filters, claims, zone
doubt, a closed zone, callbacks inside and past their grace, a reopened lead; and the
counts of the whole queue. `arrivals` must name new and reopened leads once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from store_backends import Backend

from leadtui.config import Settings
from leadtui.domain.model import LeadDraft, Outcome
from leadtui.domain.queue import rank_queued
from leadtui.domain.queue_page import lead_matches
from leadtui.domain.window import CallingWindow
from leadtui.service import queue

T0 = datetime(2026, 3, 3, 16, 10, tzinfo=UTC)  # a Tuesday: 10:10 in Chicago, 01:10 in Tokyo
WINDOW = CallingWindow()
SETTINGS = Settings(window=WINDOW, default_region="US", speed_to_lead_minutes=7)


def draft(n: int, **changes) -> LeadDraft:
    values = dict(
        name=f"Pat Quill {n}",
        phone=f"+1773555{n:04d}",
        email=f"pq{n}@example.net",
        source="expo" if n % 3 else "radio",
        timezone="America/Chicago",
        received_at=T0 - timedelta(minutes=11 * n + 1),
    )
    values.update(changes)
    return LeadDraft(**values)


@pytest.fixture
def store(backend: Backend):
    return backend.open()


def _pool(store, other) -> list:
    leads = [r.lead for r in store.add_leads([draft(n) for n in range(1, 19)], T0)]
    store.add_leads([draft(60, timezone="Asia/Tokyo"), draft(61, timezone="Asia/Tokyo")], T0)
    store.add_leads(
        [
            draft(62, zone_candidates=("America/Chicago", "Pacific/Honolulu")),
            draft(63, zone_candidates=("America/Chicago", "America/New_York")),
        ],
        T0,
    )
    store.log_touch(leads[0].id, Outcome.NO_ANSWER, T0 - timedelta(hours=4))
    store.log_touch(
        leads[1].id, Outcome.CALLBACK, T0 - timedelta(hours=3), when=T0 - timedelta(minutes=4)
    )  # in its grace
    store.log_touch(
        leads[2].id, Outcome.CALLBACK, T0 - timedelta(days=1), when=T0 - timedelta(hours=20)
    )  # long past its grace: the window decides
    store.log_touch(leads[3].id, Outcome.WON, T0 - timedelta(hours=1))
    store.log_touch(leads[4].id, Outcome.DNC, T0 - timedelta(hours=1))
    store.log_touch(leads[5].id, Outcome.TALKED, T0 - timedelta(days=2))
    store.log_touch(leads[6].id, Outcome.VM_MESSAGE, T0 - timedelta(days=1))
    store.log_touch(
        leads[7].id, Outcome.APPOINTMENT, T0 - timedelta(hours=2), when=T0 + timedelta(hours=3)
    )
    store.log_touch(leads[8].id, Outcome.NOT_INTERESTED, T0 - timedelta(minutes=30))
    store.add_leads([draft(9, received_at=T0 - timedelta(minutes=1))], T0)  # reopens it
    for n in (10, 11, 12):
        store.log_touch(leads[n].id, Outcome.NO_ANSWER, T0 - timedelta(hours=n))
    other.claim(leads[13].id, "Rae", "rae-screen", T0, 3600)
    other.claim(leads[0].id, "Rae", "rae-other", T0, 3600)
    store.claim(leads[14].id, "Me", "my-screen", T0, 3600)
    return leads


def _expected(store, now: datetime, session: str | None) -> list:
    claims = {k: c.rep for k, c in store.claims(now).items() if c.session != session}
    return rank_queued(store.due_queue(now, WINDOW), now, WINDOW, SETTINGS.threshold,
                       include_all=True, claims=claims)  # fmt: skip


def _view(entries) -> list[tuple]:
    return [(e.lead.id, e.next_action, e.attempts, e.age_seconds, e.aging, e.due, e.claimed_by)
            for e in entries]  # fmt: skip


@pytest.mark.parametrize("hours", [0, 2.5, 11, 15])  # morning, midday, evening, night
def test_the_page_is_the_head_of_the_whole_ranked_queue(store, backend: Backend, hours) -> None:
    _pool(store, backend.open())
    now = T0 + timedelta(hours=hours)
    for session in (None, "my-screen"):
        whole = _expected(store, now, session)
        due = [e for e in whole if e.due]
        assert len(whole) == 20
        for limit in (1, 4, len(due) or 1, 30):
            for due_only, expected in ((False, whole), (True, due)):
                page = queue.queue_page(store, now, SETTINGS, limit=limit, due_only=due_only,
                                        session=session)  # fmt: skip
                assert _view(page.entries) == _view(expected[:limit]), (limit, due_only)
                assert (page.total, page.due, page.active) == (len(expected), len(due), 20)
                assert set(page.touches) == {e.lead.id for e in page.entries}
                for e in page.entries:
                    assert list(page.touches[e.lead.id]) == store.touches(e.lead.id)
        for needle in ("QUILL 1", "773555000", "expo", "pq6@", "radio", "nobody"):
            folded = needle.casefold()
            matching = [e for e in whole if lead_matches(e.lead, folded)]
            page = queue.queue_page(store, now, SETTINGS, limit=5, needle=needle, session=session)
            assert _view(page.entries) == _view(matching[:5]), needle
            assert page.total == len(matching)


def test_aging_counts_and_when_they_change(store, backend: Backend) -> None:
    _pool(store, backend.open())
    now = T0 + timedelta(minutes=2)
    whole = _expected(store, now, None)
    never = sorted(e.lead.started_at for e in whole if e.attempts == 0)
    page = queue.queue_page(store, now, SETTINGS, limit=3)
    for later in (0, 60, 300, 900, 3600):
        at = now + timedelta(seconds=later)
        aging = [s for s in never if s <= at - SETTINGS.threshold]
        oldest = int((at - never[0]).total_seconds()) if aging else 0
        assert page.aging_at(at) == (len(aging), oldest)
    # the first moment the due set changes by time alone: the appointment ahead at the
    # latest; nothing changes before it
    assert page.changes_at is not None and now < page.changes_at <= T0 + timedelta(hours=3)
    before = page.changes_at - timedelta(seconds=1)
    assert [e.due for e in _expected(store, before, None)] == [e.due for e in whole]


def test_arrivals_name_new_and_reopened_leads_once(store, backend: Backend) -> None:
    other = backend.open()
    first = store.add_leads([draft(1), draft(2)], T0)
    start = store.arrivals(None, 10)
    assert (start.leads, start.count) == ((), 0)
    fresh = other.add_leads([draft(3), draft(4), draft(5)], T0)
    got = store.arrivals(start.mark, 2)
    assert [lead.id for lead in got.leads] == [r.lead.id for r in fresh[:2]] and got.count == 3
    assert store.arrivals(got.mark, 10).count == 0
    other.add_leads([draft(1, received_at=T0)], T0)  # a repeat inquiry, still open: not new
    other.log_touch(first[1].lead.id, Outcome.NOT_INTERESTED, T0)
    quiet = store.arrivals(got.mark, 10)
    assert quiet.count == 0
    other.add_leads([draft(2, received_at=T0 + timedelta(minutes=1))], T0 + timedelta(minutes=1))
    reopened = store.arrivals(quiet.mark, 10)
    assert [lead.id for lead in reopened.leads] == [first[1].lead.id]
    assert reopened.leads[0].reopened_at is not None
