"""The report's read of the embedded store's stored figures (issue 17): the `figures`
line decoded straight into structs and summed as `StoredBatch`es must add up exactly like
each lead's `LeadFigures`, refuse any text that is not the stored form, and give the same
report whether the table was still unparsed or already parsed.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from msgspec import UNSET

from leadtui.domain.figures import HOUR_CODES, LeadFact, LeadFigures, rep_key
from leadtui.domain.metrics import counted_median, median
from leadtui.domain.model import Outcome
from leadtui.domain.report_sums import StoredBatch, sum_figures
from leadtui.io.report import build_report
from leadtui.store.figures import FIGURES, encode
from leadtui.store.figures_read import decode_chunk
from leadtui.store.files import StoreDamaged

START = datetime(2029, 8, 20, 6, 30, tzinfo=UTC)
THRESHOLD = timedelta(minutes=7)
SOURCES = ("Expo", "expo", "Cold call", "(no source)", "Ünïcode \"quoted\"")
SPELLINGS = ("Oskar", "oskar ", "Mei", "", "ẞtraße")


def random_fact(rng: random.Random) -> LeadFact:
    calls = rng.randrange(0, 6)
    hours = "".join(rng.choice(HOUR_CODES) for _ in range(calls))
    outcomes = "".join(rng.choice("nhmtcaibdwex") for _ in range(calls + rng.randrange(0, 3)))
    first = None if not calls else rng.choice((0.0, 12.5, 59.999, 60.0, 3600.25, 90000.0))
    return LeadFact(outcomes, first, hours, rng.randrange(0, 9), rng.choice((0, 1, 2, 3, 5)))


def random_lead(rng: random.Random, n: int) -> LeadFigures:
    """One lead's figures in every shape the store writes: no rep, one rep whose fact is
    the lead's, one rep with a fact of its own, several reps; with or without dials."""
    fact = random_fact(rng)
    shape = rng.random()
    reps: dict[str, tuple[str, LeadFact]] = {}
    if shape < 0.5:
        spelling = rng.choice(SPELLINGS).strip()
        reps[rep_key(spelling)] = (spelling, fact)
    elif shape < 0.6:
        spelling = rng.choice(SPELLINGS).strip()
        reps[rep_key(spelling)] = (spelling, random_fact(rng))
    elif shape < 0.85:
        for spelling in rng.sample(SPELLINGS, rng.randint(2, 3)):
            reps.setdefault(rep_key(spelling), (spelling.strip(), random_fact(rng)))
    dials = []
    if rng.random() < 0.2:
        dials = [
            (rng.choice(("bz1", "bz2")), START + timedelta(seconds=rng.randrange(0, 9000)))
            for _ in range(rng.randint(1, 3))
        ]
    received = START + timedelta(minutes=n * 7, microseconds=rng.randrange(0, 10**6))
    return LeadFigures(rng.choice(SOURCES), received, fact, reps, dials)


def as_batches(leads: list[LeadFigures], size: int) -> list[StoredBatch]:
    texts = [encode("", lead)["f"] for lead in leads]
    batches = []
    for start in range(0, len(texts), size):
        rows = decode_chunk(texts[start : start + size])
        assert rows is not None
        batches.append(StoredBatch(rows, UNSET))
    return batches


SCOPES: list[dict[str, Any]] = [
    {},
    {"source": "EXPO"},
    {"since": START + timedelta(minutes=7 * 150)},
    {"rep": "OSKAR"},
    {"rep": "strasse", "source": "cold call"},
    {"rep": ""},
    {"since": START + timedelta(minutes=7 * 40, microseconds=1), "source": "(no source)"},
]


@pytest.mark.parametrize("seed", [4, 77])
def test_stored_batches_add_up_exactly_like_their_leads(seed: int) -> None:
    rng = random.Random(seed)
    leads = [random_lead(rng, n) for n in range(700)]
    for scope in SCOPES:
        one_by_one = sum_figures(leads, THRESHOLD, **scope)
        batched = sum_figures(as_batches(leads, 64), THRESHOLD, **scope)
        assert batched == one_by_one, scope
        mixed = sum_figures([*leads[:90], *as_batches(leads[90:], 300)], THRESHOLD, **scope)
        assert mixed == one_by_one, scope
    whole = sum_figures(leads, THRESHOLD)
    assert len(whole.by_rep) >= 4 and whole.dials  # (the shapes above were all there)


def test_a_counted_median_is_the_median() -> None:
    rng = random.Random(5)
    assert counted_median({}) is None
    for _ in range(300):
        values = [rng.randrange(0, 14) for _ in range(rng.randrange(1, 40))]
        assert counted_median(Counter(values)) == median(values)


def test_a_chunk_that_is_not_the_stored_form_is_refused() -> None:
    good = '["Expo",1,["nt",12.5,"GH",2,1],[["Mei"]]]'
    assert decode_chunk([good, good]) is not None
    whole = decode_chunk(['["Expo",7,["n",3,"G",1,0],[["Mei"],["Oskar","n",null,"",0,0]],'
                          '[["bz1",99]]]'])  # fmt: skip
    assert whole is not None
    (row,) = whole
    assert row.fact.first_call == 3.0 and type(row.fact.first_call) is float
    assert row.reps[0].outcomes is UNSET and row.reps[1].flags == 0
    assert row.dials == (("bz1", 99),)
    for bad in [
        '["Expo",1,["nt",12.5,"GH",2,1],[["Mei","nt"]]]',  # a rep's fact cut short
        '["Expo",1,["nt",12.5,"GH",2,1],[["Mei"]],[],9]',  # one value too many
        '["Expo",1,["nt",12.5,"GH",2,1]]',  # no reps
        '["Expo",1.5,["nt",12.5,"GH",2,1],[]]',  # a stamp that is not a whole number
        '["Expo",1,["nt",12.5,"GH",true,1],[]]',  # attempts that are not a number
        '["Expo",1,["nt","12","GH",2,1],[]]',
        '["Expo",1,["nt",12.5,"GH",2,1],[[]]]',  # a rep without a name
        '["Expo",1,["nt",12.5,"GH",2,1],[[null]]]',
        '["Expo",1,["nt",12.5,"GH",2,1],[["Mei",null,null,"",0,0]]]',
        '["Expo",1,["nt",12.5,"GH",2,1],[]],["Expo",1,["n",1,"G",1,1],[]]',  # two in one
        '["Expo",1,',
        "",
    ]:
        assert decode_chunk([good, bad]) is None, bad


# --- the store ----------------------------------------------------------------------------


def test_the_unparsed_and_the_parsed_table_give_the_same_report(tmp_path: Path) -> None:
    from test_report_figures import Streamed, archived_pool
    from test_store_archive import CADENCE

    from leadtui.store.repository import open_store

    path, clock = archived_pool(tmp_path)
    now = clock.at
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        lead_id = next(iter(store._index.leads))  # (a working-set lead)
        store.log_touch(lead_id, Outcome.TALKED, now, rep="Mei")
        store.compact()
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        slow = build_report(Streamed(store), now=now, threshold=THRESHOLD)
    for scope in SCOPES[:4]:
        with open_store(path, cadence=CADENCE, clock=clock) as store:
            tree = store._storage.read()
            assert not tree.loaded(FIGURES)
            fast = build_report(store, now=now, threshold=THRESHOLD, **scope)
            assert not tree.loaded(FIGURES)  # read from the line, never parsed
            assert store._storage.archive_count("lead_ids") > 10
            store._storage.table(FIGURES)  # parsed now: the other way
            assert tree.loaded(FIGURES)
            assert build_report(store, now=now, threshold=THRESHOLD, **scope) == fast
        if not scope:
            assert fast == slow


@pytest.mark.parametrize("parsed", [False, True])
def test_unreadable_stored_figures(tmp_path: Path, parsed: bool) -> None:
    """A working-set lead's stored text that is not text is computed again; an archived
    lead's is damage (it cannot be computed without the archive)."""
    from test_report_figures import Streamed, archived_pool
    from test_store_archive import CADENCE

    from leadtui.store.repository import open_store

    path, clock = archived_pool(tmp_path)
    now = clock.at
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        slow = build_report(Streamed(store), now=now, threshold=THRESHOLD)
        storage = store._storage
        working = next(iter(store._index.leads.values()))[0]
        with store.batch():
            stored = storage.table(FIGURES)[working]
            storage.put(FIGURES, int(working), {**stored, "f": ["not", "text"]})
        store.compact()
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        if parsed:
            store._storage.table(FIGURES)
        assert build_report(store, now=now, threshold=THRESHOLD) == slow
        storage = store._storage
        archived = next(k for k in storage.table(FIGURES) if k not in storage.table("leads"))
        with store.batch():
            stored = storage.table(FIGURES)[archived]
            storage.put(FIGURES, int(archived), {**stored, "f": 404})
        store.compact()
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        if parsed:
            store._storage.table(FIGURES)
        with pytest.raises(StoreDamaged, match="report figures of an archived lead"):
            build_report(store, now=now, threshold=THRESHOLD)


# --- the snapshot vouches for the table ---------------------------------------------------


def test_a_vouched_table_is_read_without_indexing_the_touches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_report_figures import Streamed, archived_pool
    from test_store_archive import CADENCE

    from leadtui.store.repository import open_store

    path, clock = archived_pool(tmp_path)  # (it ends with a compaction)
    now = clock.at
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        slow = build_report(Streamed(store), now=now, threshold=THRESHOLD)
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        assert store._storage.vouched(FIGURES) == set()

        def refuse() -> None:
            raise AssertionError("every touch was indexed")

        monkeypatch.setattr(store._index, "_build_order", refuse)
        assert build_report(store, now=now, threshold=THRESHOLD) == slow


def test_a_touch_written_without_its_figures_is_never_taken_on_trust(tmp_path: Path) -> None:
    """A writer that knows nothing of the derived tables adds a touch: that lead is no
    longer vouched for (its figures are checked against its touches, found stale and
    computed), and the next snapshot vouches for the table no more."""
    from test_report_figures import Streamed, archived_pool
    from test_store_archive import CADENCE

    from leadtui.domain.model import Touch
    from leadtui.store.index import TOUCHES, touch_doc
    from leadtui.store.repository import open_store

    path, clock = archived_pool(tmp_path)
    now = clock.at
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        lead_id = next(iter(store._index.leads))
        before = build_report(store, now=now, threshold=THRESHOLD)
        raw = Touch(id="rawfig01", lead_id=lead_id, outcome=Outcome.WON, at=now, rep="Raw")
        storage = store._storage
        with store.batch():
            storage.put(TOUCHES, storage.next_id(TOUCHES), touch_doc(raw))
        assert storage.vouched(FIGURES) == {lead_id}
    for compacted in (False, True):
        with open_store(path, cadence=CADENCE, clock=clock) as store:
            unvouched = store._storage.vouched(FIGURES)
            assert unvouched == ({lead_id} if not compacted else None)
            fast = build_report(store, now=now, threshold=THRESHOLD)
            assert fast == build_report(Streamed(store), now=now, threshold=THRESHOLD)
            assert fast["overall"]["outcomes"]["won"] == before["overall"]["outcomes"]["won"] + 1
            assert "Raw" in fast["by_rep"]
            store.compact()  # (the stale figures do not agree: not vouched for)


def test_a_vouched_table_is_checked_again_for_the_leads_not_vouched_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_report_figures import archived_pool
    from test_store_archive import CADENCE

    import leadtui.store.figures as stored_figures
    from leadtui.store.repository import open_store

    path, clock = archived_pool(tmp_path)
    checked: list[set[str] | None] = []
    agrees = stored_figures.agrees

    def spy(tree: Any, only: set[str] | None) -> bool:
        checked.append(None if only is None else set(only))
        return agrees(tree, only)

    monkeypatch.setattr(stored_figures, "agrees", spy)
    with open_store(path, cadence=CADENCE, clock=clock) as store:
        store.compact()  # nothing changed since it was vouched for: nothing checked
        assert checked == []
        closed = next(
            lead.id for lead in store.leads()
            if lead.id in store._index.leads and not lead.status.active
        )  # fmt: skip
        store.log_touch(closed, Outcome.EMAIL, clock.at, rep="Mei")  # (a closed lead: no
        store.compact()  # next action is written, so the lead is not vouched for)
        assert checked == [{closed}]
        assert FIGURES in store._storage.read().vouched


def test_puts_kept_for_the_unparsed_table_are_read(tmp_path: Path) -> None:
    """Writes keep their figures puts until the table is parsed (parts.py): the report
    reads the line as stored plus those puts, in the writing process and after a reopen,
    and never parses the table for it."""
    from test_report_figures import Streamed, archived_pool
    from test_store_archive import CADENCE

    from leadtui.store.repository import open_store

    path, clock = archived_pool(tmp_path)
    now = clock.at
    for reopened in (False, True):
        with open_store(path, cadence=CADENCE, clock=clock) as store:
            tree = store._storage.read()
            if not reopened:  # (a lead's status unchanged: only its figures tell)
                for lead_id in list(store._index.leads)[:4]:
                    status = store.get_lead(lead_id).status
                    store.log_touch(lead_id, Outcome.VM_MESSAGE, now, rep="oskar")
                    assert store.get_lead(lead_id).status is status
            assert not tree.loaded(FIGURES) and tree.pending.get(FIGURES)
            fast = build_report(store, now=now, threshold=THRESHOLD)
            assert not tree.loaded(FIGURES)
            assert fast == build_report(Streamed(store), now=now, threshold=THRESHOLD)
            assert fast["by_rep"]["oskar"]["contact"]["dials"] == 4
