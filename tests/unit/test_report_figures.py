"""The report from each lead's stored figures equals the report streamed from every lead
and its touches, on both backends (issue 17 / 14).

Seeded random walks over touches of every outcome by several reps (spelt with other case
and spaces), blitz dials, undo, notes, repeat inquiries that reopen closed leads and a
reopen of the store; after each stretch the report `build_report` makes from
`report_figures()` must equal the one computed from `leads_with_touches()`, for the whole
pool, a source, a `--since` and a rep. The sums must also equal the older pair-by-pair
computation (`metrics.compute_pairs` over `of_rep`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from store_backends import Backend

from leadtui.domain.figures import NO_REP
from leadtui.domain.metrics import compute_pairs, report_scope
from leadtui.domain.model import Lead, LeadDraft, LeadStatus, Outcome, Touch
from leadtui.io.report import build_report, figures_dict, of_rep
from leadtui.store.index import TOUCHES, touch_doc

START = datetime(2027, 5, 11, 13, 40, tzinfo=UTC)
ZONES = ("America/Denver", "Europe/Lisbon", "Australia/Adelaide", "Asia/Kolkata")
SOURCES = ("Web", "web ", "expo", "", "Referral")
REPS = ("Priya", "priya ", "Tom", "", "Lena")
THRESHOLD = timedelta(minutes=9)


class Streamed:
    """The store seen without its stored figures: the report computes every lead's."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def leads_with_touches(self) -> Iterator[tuple[Lead, list[Touch]]]:
        return self.store.leads_with_touches()

    def blitzes(self) -> list[dict[str, Any]]:
        return self.store.blitzes()

    def leads(self) -> list[Lead]:  # pragma: no cover - the protocol's, unused
        return self.store.leads()

    def touches_by_lead(self) -> Any:  # pragma: no cover
        return self.store.touches_by_lead()


def draft(rng: random.Random, n: int, now: datetime) -> LeadDraft:
    return LeadDraft(
        name=f"Figure {n}",
        phone=f"+1415555{rng.randrange(200, 236):04d}",  # repeats: repeat inquiries
        email="",
        source=rng.choice(SOURCES),
        timezone=rng.choice(ZONES),
        received_at=now - timedelta(minutes=rng.randrange(0, 900)),
    )


def step(rng: random.Random, store: Any, now: datetime, n: int) -> None:
    leads = store.leads()
    roll = rng.random()
    if roll < 0.18 or not leads:
        store.add_leads([draft(rng, n, now) for _ in range(rng.randint(1, 3))], now)
        return
    lead = rng.choice(leads)
    if roll < 0.75:
        outcome = rng.choice(tuple(Outcome))
        when = None
        if outcome in (Outcome.CALLBACK, Outcome.APPOINTMENT):
            when = now + timedelta(minutes=rng.randrange(30, 3000))
        if lead.status is LeadStatus.DNC and outcome is not Outcome.DNC:
            outcome = Outcome.EMAIL
        at = now - timedelta(minutes=rng.randrange(0, 600)) if rng.random() < 0.2 else now
        at = max(at, lead.reopened_at or lead.received_at)
        blitz = rng.random() < 0.3
        store.log_touch(
            lead.id, outcome, at, when=when, rep=rng.choice(REPS),
            blitz_id="bz1" if blitz else None,
            dialed_at=at - timedelta(seconds=rng.randrange(5, 90)) if blitz else None,
        )  # fmt: skip
    elif roll < 0.88:
        store.undo_last_touch(lead.id)
    else:
        store.add_note(lead.id, f"note {n}", now)


def reports(store: Any, now: datetime, **scope: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    fast = build_report(store, now=now, threshold=THRESHOLD, **scope)
    slow = build_report(Streamed(store), now=now, threshold=THRESHOLD, **scope)
    return fast, slow


def check(store: Any, now: datetime) -> None:
    scopes: list[dict[str, Any]] = [
        {},
        {"source": "web"},
        {"since": now - timedelta(hours=20)},
        {"rep": "PRIYA"},
        {"rep": "tom", "source": "expo"},
    ]
    for scope in scopes:
        fast, slow = reports(store, now, **scope)
        assert fast == slow, scope
        # the sums equal the older pair-by-pair computation
        covered = report_scope(since=scope.get("since"), source=scope.get("source"))
        pairs = [(lead, t) for lead, t in store.leads_with_touches() if covered(lead)]
        rep = scope.get("rep")
        overall, groups = compute_pairs(of_rep(pairs, rep) if rep else pairs, THRESHOLD)
        assert fast["overall"] == figures_dict(overall)
        assert fast["by_source"] == {name: figures_dict(g) for name, g in groups.items()}
    whole = build_report(store, now=now, threshold=THRESHOLD)
    for name, figures in whole["by_rep"].items():
        if name == NO_REP:  # touches logged without a rep name
            continue
        alone = build_report(store, now=now, threshold=THRESHOLD, rep=name)
        assert alone["overall"] == figures
        assert alone["by_rep"] == {name: figures}


@pytest.mark.parametrize("seed", [5, 1999])
def test_stored_figures_report_equals_the_streamed_report(backend: Backend, seed: int) -> None:
    rng = random.Random(seed)
    now = START
    store = backend.open()
    for n in range(70):
        now += timedelta(minutes=rng.randrange(1, 200))
        step(rng, store, now, n)
        if n % 14 == 13:
            check(store, now)
    whole = build_report(store, now=now, threshold=THRESHOLD)
    assert whole["overall"]["contact"]["dials"] > 10
    assert len(whole["by_rep"]) >= 3
    store.close()
    store = backend.open()  # reopened: the stored figures read back
    check(store, now)
    store.close()


def test_a_stale_figure_is_never_used(backend: Backend) -> None:
    """A writer that knows nothing of the figures (a raw touch, a raw row change) leaves
    stored figures that no longer match: they are computed again."""
    rng = random.Random(8)
    now = START
    store = backend.open()
    for n in range(30):
        now += timedelta(minutes=37)
        step(rng, store, now, n)
    lead = store.leads()[0]
    before = build_report(store, now=now, threshold=THRESHOLD)
    touch = Touch(id="rawtouch", lead_id=lead.id, outcome=Outcome.TALKED, at=now, rep="Raw")
    if backend.kind == "tinydb":
        with store.batch():
            storage = store._storage
            storage.put(TOUCHES, storage.next_id(TOUCHES), touch_doc(touch))
    else:
        backend.sql(
            "INSERT INTO touches (id, lead_id, outcome, at, rep) VALUES (%s, %s, %s, %s, %s)",
            touch.id, lead.id, touch.outcome.value, touch.at, touch.rep,
        )  # fmt: skip
        backend.sql("UPDATE leads SET changed_at = now() WHERE id = %s", lead.id)
    after, slow = reports(store, now)
    assert after == slow
    assert after["overall"]["outcomes"]["talked"] == before["overall"]["outcomes"]["talked"] + 1
    assert "Raw" in after["by_rep"]
    store.close()


def archived_pool(tmp_path: Path) -> tuple[Path, Any]:
    from test_store_archive import CADENCE, Clock

    from leadtui.store.repository import open_store

    clock = Clock(START)
    path = tmp_path / "data" / "leads.json"
    rng = random.Random(77)
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        drafts = [draft(rng, n, START) for n in range(30)]
        ids = [r.lead.id for r in store.add_leads(drafts, START)]
        for n, lead_id in enumerate(dict.fromkeys(ids)):
            at = START + timedelta(minutes=n + 1)
            store.log_touch(lead_id, Outcome.NO_ANSWER, at, rep=REPS[n % len(REPS)])
            if n % 3:
                store.log_touch(lead_id, Outcome.WON, at + timedelta(minutes=30), rep="Tom")
    clock.at = START + timedelta(days=9)
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        store.compact()
    return path, clock


def test_archived_figures_are_read_without_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_store_archive import CADENCE

    from leadtui.store.figures import FIGURES
    from leadtui.store.repository import open_store

    path, clock = archived_pool(tmp_path)
    now = clock.at
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        assert store._storage.archive_count("lead_ids") > 10
        slow = build_report(Streamed(store), now=now, threshold=THRESHOLD)
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        storage = store._storage

        def refuse() -> Any:
            raise AssertionError("the archive was read")

        with monkeypatch.context() as patch:
            patch.setattr(storage, "archive_segments", refuse)
            patch.setattr(storage, "load_archive", refuse)
            fast = build_report(store, now=now, threshold=THRESHOLD)
        assert fast == slow
        assert not storage.archive_loaded
        # an archived lead's figures gone (a writer that knew nothing of them): the
        # archive's summary no longer matches, so the archive is streamed instead
        archived = [k for k in storage.table(FIGURES) if k not in storage.table("leads")]
        with store.batch():
            storage.delete(FIGURES, int(archived[0]))
        assert build_report(store, now=now, threshold=THRESHOLD) == slow
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        # a repeat inquiry brings an archived lead back and writes its figures again
        lead = next(iter(store.leads_with_touches()))[0]
        later = now + timedelta(hours=1)
        again = LeadDraft(
            name="Again", phone=lead.phone, email="", source="expo", timezone=lead.timezone,
            received_at=later,
        )  # fmt: skip
        store.add_leads([again], later)
        fast, slow = reports(store, later)
        assert fast == slow


def test_the_report_sums_stored_figures_without_computing_any(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import leadtui.store.figures_read as tiny_figures
    import leadtui.store.postgres.figures as pg_figures

    rng = random.Random(31)
    now = START
    store = backend.open()
    for n in range(40):
        now += timedelta(minutes=23)
        if rng.random() < 0.9:  # (a note makes PostgreSQL's stored figures unmatched)
            step(rng, store, now, n)
    store.close()
    store = backend.open()
    slow = build_report(Streamed(store), now=now, threshold=THRESHOLD)

    def refuse(*_: Any) -> Any:
        raise AssertionError("a lead's figures were computed, not read")

    notes = [lead for lead in store.leads() if lead.notes]
    if backend.kind == "postgres" and notes:
        for lead in notes:  # stored again by a touch and its undo
            store.log_touch(lead.id, Outcome.EMAIL, now, rep="Tom")
            store.undo_last_touch(lead.id)
    monkeypatch.setattr(tiny_figures, "lead_figures", refuse)
    monkeypatch.setattr(pg_figures, "lead_figures", refuse)
    assert build_report(store, now=now, threshold=THRESHOLD) == slow
    store.close()


def test_every_outcome_and_hour_has_its_own_code() -> None:
    import json

    from leadtui.domain.figures import HOUR_CODES, OUTCOME_CODES

    assert set(OUTCOME_CODES) == set(Outcome)
    assert len(set(OUTCOME_CODES.values())) == len(OUTCOME_CODES)
    assert len(set(HOUR_CODES)) == 48
    assert json.dumps(HOUR_CODES) == f'"{HOUR_CODES}"'  # nothing JSON escapes


def test_stored_texts_that_do_not_parse_are_never_believed() -> None:
    from leadtui.domain.figures import lead_figures
    from leadtui.store.figures import decode_many, encode, fingerprint, touch_total

    lead = Lead(id="fig1", name="F", phone="+14155550200", email="", source="expo",
                timezone="Asia/Kolkata", received_at=START)  # fmt: skip
    touches = [
        Touch(id="a1", lead_id=lead.id, outcome=Outcome.NO_ANSWER, at=START + timedelta(hours=1),
              rep="Lena"),
        Touch(id="a2", lead_id=lead.id, outcome=Outcome.TALKED, at=START + timedelta(hours=5),
              rep="tom", blitz_id="b7", dialed_at=START + timedelta(hours=5, seconds=-20)),
    ]  # fmt: skip
    figures = lead_figures(lead, touches)
    good = encode(fingerprint({"status": "new"}, ["3", "9"], "a2"), figures)
    assert decode_many([good["f"], good["f"]]) == [figures, figures]
    bad = [good["f"], '["expo",1,["n",null,"0",1,0]]', "[1,", '["x","1",["n",1.5,"0",1,0],[]]']
    assert decode_many(bad) == [figures, None, None, None]
    assert touch_total([good["fp"], good["fp"]]) == 4
    assert touch_total([good["fp"], "1:2:3:x:y"]) is None  # another version's
    assert touch_total([good["fp"], None]) is None


def test_a_stored_figure_that_does_not_parse_is_computed_again(backend: Backend) -> None:
    rng = random.Random(12)
    now = START
    store = backend.open()
    for n in range(25):
        now += timedelta(minutes=41)
        step(rng, store, now, n)
    lead = next(lead for lead in store.leads() if store.touches(lead.id))
    if backend.kind == "tinydb":
        from leadtui.store.figures import FIGURES

        storage = store._storage
        key, _ = store._index.leads[lead.id]
        with store.batch():
            storage.put(FIGURES, int(key), {**storage.table(FIGURES)[key], "f": "[1,"})
    else:
        backend.sql("UPDATE lead_figures SET data = '[1,' WHERE lead_id = %s", lead.id)
    fast, slow = reports(store, now)
    assert fast == slow
    store.close()
