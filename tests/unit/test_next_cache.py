"""The next action kept with each lead (store/next_cache.py) against a full recompute.

Seeded random walks over every write kind (new leads, repeat inquiries, touches of every
outcome, undo, notes, writes from a second store on the same files, a writer that does not
know the cache), with the calling window changed between opens and the program version
changed: after every step `due_queue` must equal a replay of every active lead's touches,
and the queue ranked from it must equal the queue ranked by replaying.
"""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from leadtui.domain.cadence import assess, load_cadence
from leadtui.domain.model import Lead, LeadDraft, NextAction, Outcome
from leadtui.domain.queue import Queued, rank, rank_queued
from leadtui.domain.window import CallingWindow
from leadtui.store import next_cache, snapshot_write
from leadtui.store.index import TOUCHES, touch_doc
from leadtui.store.repository import TinyLeadStore, open_store

CADENCE = load_cadence()
START = datetime(2027, 3, 2, 15, 20, tzinfo=UTC)  # a Tuesday
WINDOWS = (
    CallingWindow(),
    CallingWindow(start=time(9, 30), end=time(17, 0)),
    CallingWindow(start=time(7, 0), end=time(21, 45)),
)
ZONES = ("America/Chicago", "Europe/Berlin", "Asia/Tokyo", "America/Phoenix")
OUTCOMES = tuple(Outcome)
THRESHOLD = timedelta(minutes=7)


def expected(store: TinyLeadStore, window: CallingWindow) -> list[tuple[str, NextAction, int]]:
    """Every active lead's next action by replaying its touches."""
    found = []
    for lead in store.active_leads():
        _, action_fields, calls = assess(lead, store.touches(lead.id), CADENCE, window)
        if action_fields is not None:
            found.append((lead.id, NextAction(*action_fields), calls))
    return sorted(found, key=lambda row: (row[1].due_at, row[0]))


def cached(store: TinyLeadStore, window: CallingWindow, now: datetime) -> list[Queued]:
    return store.due_queue(now, window)


def check(store: TinyLeadStore, window: CallingWindow, now: datetime) -> None:
    queued = cached(store, window, now)
    got = sorted(
        ((q.lead.id, q.action, q.attempts) for q in queued), key=lambda r: (r[1].due_at, r[0])
    )
    assert got == expected(store, window)
    assert [q.action.due_at for q in queued] == sorted(q.action.due_at for q in queued)
    head = len(queued) // 2
    assert store.due_queue(now, window, limit=head) == queued[:head]
    for q in queued:
        assert q.lead == store.get_lead(q.lead.id)
    active = store.active_leads()
    touches = store.touches_of(lead.id for lead in active)
    for include_all in (False, True):
        old = rank(active, touches, now, CADENCE, window, THRESHOLD, include_all=include_all)
        new = rank_queued(
            queued, now, window, THRESHOLD, include_all=include_all, touches_by_lead=touches
        )
        assert new == old


def draft(rng: random.Random, n: int, at: datetime) -> LeadDraft:
    return LeadDraft(
        name=f"Walker {n}",
        phone=f"+1312555{rng.randrange(100, 140):04d}",  # repeats: inquiries
        email=f"w{rng.randrange(60)}@example.org" if rng.random() < 0.3 else "",
        source="walk",
        timezone=rng.choice(ZONES),
        received_at=at - timedelta(minutes=rng.randrange(0, 600)),
    )


def step(rng: random.Random, store: TinyLeadStore, now: datetime, n: int) -> None:
    leads = store.leads()
    roll = rng.random()
    if roll < 0.2 or not leads:
        store.add_leads([draft(rng, n, now) for _ in range(rng.randint(1, 3))], now)
        return
    lead = rng.choice(leads)
    if roll < 0.7:
        outcome = rng.choice(OUTCOMES)
        when = None
        if outcome in (Outcome.CALLBACK, Outcome.APPOINTMENT) or rng.random() < 0.1:
            when = now + timedelta(minutes=rng.randrange(-60, 4000))
        if lead.status.value == "dnc" and outcome.is_call and outcome is not Outcome.DNC:
            outcome = Outcome.EMAIL
        # now and then a touch back in time (logged late), which sorts before others
        at = now - timedelta(minutes=rng.randrange(0, 3000)) if rng.random() < 0.15 else now
        store.log_touch(lead.id, outcome, at, when=when)
    elif roll < 0.82:
        store.undo_last_touch(lead.id)
    elif roll < 0.9:
        store.add_note(lead.id, f"note {n}", now)
    else:  # a writer that knows nothing of the cache: a touch, and no next document
        with store.batch():
            storage = store._storage
            key = storage.next_id(TOUCHES)
            touch = touch_doc_for(lead, n, now)
            storage.put(TOUCHES, key, touch)


def touch_doc_for(lead: Lead, n: int, now: datetime) -> dict[str, object]:
    from leadtui.domain.model import Touch

    return touch_doc(Touch(id=f"old{n:05d}", lead_id=lead.id, outcome=Outcome.NO_ANSWER, at=now))


@pytest.mark.parametrize("vouching", [False, True])
@pytest.mark.parametrize("seed", [3, 17, 2027, 40961])
def test_random_walk_cached_queue_equals_full_recompute(
    tmp_path: Path, seed: int, vouching: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vouching`: every compaction writes format 3, whose header vouches for the `next`
    table (trusted without the touches, but for the leads a foreign write touched)."""
    if vouching:
        monkeypatch.setattr(snapshot_write, "SMALL_SNAPSHOT", 0)
    vouched_reads = 0
    rng = random.Random(seed)
    path = tmp_path / "leads.json"
    now = START
    window = WINDOWS[0]
    store = open_store(path, cadence=CADENCE, window=window, clock=lambda: now)  # noqa: B023 (the walk's clock)
    other = open_store(path, cadence=CADENCE, window=WINDOWS[1], clock=lambda: now)
    try:
        for n in range(160):
            now += timedelta(minutes=rng.choice((1, 7, 45, 180, 1440)))
            writer = other if rng.random() < 0.25 else store
            step(rng, writer, now, n)
            for reader in (store, other):
                vouched_reads += reader._storage.vouched(next_cache.NEXT) is not None
                check(reader, rng.choice(WINDOWS), now)
            if rng.random() < 0.05:  # settings change: reopen with another window
                store.close()
                window = rng.choice(WINDOWS)
                store = open_store(path, cadence=CADENCE, window=window, clock=lambda: now)  # noqa: B023 (the walk's clock)
            if rng.random() < 0.03:  # another leadtui version
                monkeypatch.setattr(next_cache, "VERSION", f"9.{n}")
            if rng.random() < (0.15 if vouching else 0.05):
                store.compact()
        check(store, window, now)
        assert vouched_reads > 50 or not vouching
    finally:
        store.close()
        other.close()


def test_a_stored_action_is_used_only_while_its_fingerprint_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "leads.json"
    window = WINDOWS[2]
    with open_store(path, cadence=CADENCE, window=window) as store:
        [added] = store.add_leads([draft(random.Random(1), 1, START)], START)
        lead = added.lead
        store.log_touch(lead.id, Outcome.NO_ANSWER, START)
        key = store._index.leads[lead.id][0]
        stored = dict(store._storage.table(next_cache.NEXT)[key])
        assert stored["lead_id"] == lead.id
        # plant an action nobody computed, under the right fingerprint: it is believed
        bogus = list(stored["a"])
        bogus[5] += 3_600_000_000  # an hour later
        with store.batch():
            store._storage.put(next_cache.NEXT, int(key), {**stored, "a": bogus})
        [q] = store.due_queue(START, window)
        assert q.action.due_at == expected(store, window)[0][1].due_at + timedelta(hours=1)
        # ... until anything it was computed from changes: the version,
        monkeypatch.setattr(next_cache, "VERSION", "99.0")
        assert [(q.lead.id, q.action, q.attempts) for q in store.due_queue(START, window)] == (
            expected(store, window)
        )
        monkeypatch.undo()
        # the window asked for,
        other = WINDOWS[1]
        got = [(q.lead.id, q.action, q.attempts) for q in store.due_queue(START, other)]
        assert got == expected(store, other)
        # the cadence,
        changed = type(CADENCE)(CADENCE.steps[:-1], CADENCE.follow_up)
        assert next_cache.settings_part(changed, window) != next_cache.settings_part(
            CADENCE, window
        )


def test_every_lead_field_is_classified_for_the_fingerprint() -> None:
    """A new Lead field must be declared irrelevant to the next action or join the
    fingerprint (next_cache.LEAD_PART)."""
    names = {f.name for f in fields(Lead)}
    assert names == set(next_cache.IRRELEVANT_LEAD_FIELDS) | set(next_cache.LEAD_PART)


def test_the_fast_next_action_builder_knows_every_field() -> None:
    assert tuple(f.name for f in fields(NextAction)) == next_cache.ACTION_FIELDS
    assert not hasattr(NextAction, "__post_init__")


def test_a_closed_lead_keeps_no_next_document(tmp_path: Path) -> None:
    with open_store(tmp_path / "leads.json", cadence=CADENCE) as store:
        [added] = store.add_leads([draft(random.Random(2), 2, START)], START)
        key = store._index.leads[added.lead.id][0]
        assert key in store._storage.table(next_cache.NEXT)
        store.log_touch(added.lead.id, Outcome.WON, START)
        assert key not in store._storage.table(next_cache.NEXT)
        store.undo_last_touch(added.lead.id)
        assert key in store._storage.table(next_cache.NEXT)
        assert store.due_queue(START, CallingWindow(), limit=0) == []


def test_a_vouched_table_still_catches_a_writer_that_skips_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot vouches for `next`; a touch written without its lead's `next`
    document makes that lead (only) checked against its touches, in this process and in
    any process that reads the journal; the next snapshot vouches again only once the
    table agrees with the touches."""
    monkeypatch.setattr(snapshot_write, "SMALL_SNAPSHOT", 0)
    path = tmp_path / "leads.json"
    window = WINDOWS[0]
    now = START
    with open_store(path, cadence=CADENCE, window=window, clock=lambda: now) as store:
        added = store.add_leads([draft(random.Random(n), n, now) for n in range(6)], now)
        for result in added:
            store.log_touch(result.lead.id, Outcome.NO_ANSWER, now)
        store.compact()
    store = open_store(path, cadence=CADENCE, window=window, clock=lambda: now)
    try:
        assert store._storage.vouched(next_cache.NEXT) == set()
        lead = added[2].lead
        with store.batch():  # a writer that knows nothing of the cache
            store._storage.put(TOUCHES, store._storage.next_id(TOUCHES),
                               touch_doc_for(lead, 1, now + timedelta(minutes=5)))  # fmt: skip
        assert store._storage.vouched(next_cache.NEXT) == {lead.id}
        check(store, window, now + timedelta(hours=1))
        with open_store(path, cadence=CADENCE, window=window) as reader:  # from the journal
            assert reader._storage.vouched(next_cache.NEXT) == {lead.id}
            check(reader, window, now + timedelta(hours=1))
        store.compact()  # the table disagrees with that lead's touches: no longer vouched
        assert store._storage.vouched(next_cache.NEXT) is None
        with open_store(path, cadence=CADENCE, window=window) as reader:
            assert reader._storage.vouched(next_cache.NEXT) is None
            check(reader, window, now + timedelta(hours=1))
        store.log_touch(lead.id, Outcome.NO_ANSWER, now + timedelta(minutes=9))  # rewritten
        store.compact()
        assert store._storage.vouched(next_cache.NEXT) == set()
        check(store, window, now + timedelta(hours=2))
    finally:
        store.close()
