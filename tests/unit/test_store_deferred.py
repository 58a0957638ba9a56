"""Writes into tables nobody has parsed yet wait for them (parts.py `LazyTree.defer`): a
logged outcome, a repeat inquiry, other processes' journal records, a rollback and a
compaction never parse the touches or the report figures of a format 3 snapshot, and
every reader still sees exactly what a fully parsed store holds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from test_next_cache import CADENCE, START, WINDOWS, check
from test_store_format3 import fill

from leadtui.domain.model import Outcome
from leadtui.store import snapshot_write
from leadtui.store.figures import FIGURES
from leadtui.store.files import parse_snapshot
from leadtui.store.index import TOUCHES
from leadtui.store.repository import TinyLeadStore, open_store

LATER = START + timedelta(days=5)


def setup(path: Path) -> list[str]:
    """`fill`, and five leads closed and idle long enough for the archive (a store with
    an archive never scans its working set for one at its first write)."""
    ids = fill(path)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        for n, lead_id in enumerate(ids[25:30]):
            store.log_touch(lead_id, Outcome.WON, START + timedelta(minutes=n))
        store.compact()
        assert store._storage.archive_count("lead_ids") == 5
    return ids


@pytest.fixture(autouse=True)
def always3(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    monkeypatch.setattr(snapshot_write, "SMALL_SNAPSHOT", 0)
    if "policy" not in request.node.name:  # (the kept-writes mechanism, not the policy)
        from leadtui.store.index import Index

        monkeypatch.setattr(Index, "writing_touches", lambda self: None)


def test_the_index_policy_first_log_peeks_the_second_indexes_every_touch(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.json"
    ids = setup(path)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        store.log_touch(ids[3], Outcome.NO_ANSWER, START + timedelta(minutes=30))
        assert unparsed(store, TOUCHES, FIGURES)  # `leadtui log`: one write, no parse
        store.log_touch(ids[4], Outcome.NO_ANSWER, START + timedelta(minutes=31))
        assert not unparsed(store, TOUCHES) and unparsed(store, FIGURES)
        check(store, WINDOWS[0], LATER)


def unparsed(store: TinyLeadStore, *names: str) -> bool:
    tree = store._storage._tree
    return not any(tree.loaded(name) for name in names)  # type: ignore[attr-defined]


def state(path: Path) -> tuple[object, ...]:
    """Everything a fully parsed store holds (a fresh process, every table read)."""
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        store._storage.load_archive()
        tree = store._storage._tree
        return (
            sorted((lead.id, lead) for lead in store.leads()),
            {k: tuple(v) for k, v in store.touches_by_lead().items()},
            dict(tree.get(FIGURES) or {}),
            [(q.lead.id, q.action) for q in store.due_queue(LATER, WINDOWS[0])],
        )


def test_logs_wait_for_the_touches_and_figures_tables(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    ids = setup(path)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        assert unparsed(store, TOUCHES, FIGURES)
        for n, lead_id in enumerate(ids[5:15]):
            store.log_touch(lead_id, Outcome.NO_ANSWER, START + timedelta(minutes=30 + n))
        assert unparsed(store, TOUCHES, FIGURES)
        tree = store._storage._tree
        assert tree.kept(TOUCHES) == 10 and tree.kept(FIGURES) >= 10  # type: ignore[attr-defined]
        assert [t.outcome for t in store.touches(ids[7])] == [Outcome.NO_ANSWER] * 2
        # another process replays the journal: nothing parsed there either
        with open_store(path, cadence=CADENCE, clock=lambda: LATER) as other:
            assert unparsed(other, TOUCHES, FIGURES)
            assert other.touches(ids[7]) == store.touches(ids[7])
            check(other, WINDOWS[0], LATER)
        check(store, WINDOWS[0], LATER)  # (reads every touch: parses them)
    expected = state(path)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        assert unparsed(store, TOUCHES, FIGURES)
        store.compact()  # the kept puts are appended to the tables' lines
        assert unparsed(store, FIGURES)
    assert state(path) == expected
    tree, _, _ = parse_snapshot(path, path.read_bytes())  # the plain reader agrees
    assert dict(tree[FIGURES]) == expected[2]


def test_a_rolled_back_write_drops_its_kept_changes(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    ids = setup(path)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        store.log_touch(ids[12], Outcome.NO_ANSWER, START + timedelta(minutes=40))
        before = store._storage._tree.kept(TOUCHES)  # type: ignore[attr-defined]
        with pytest.raises(RuntimeError), store.batch():
            store.log_touch(ids[12], Outcome.VM_MESSAGE, START + timedelta(minutes=41))
            store.log_touch(ids[13], Outcome.NO_ANSWER, START + timedelta(minutes=41))
            raise RuntimeError("the write fails before it is durable")
        assert store._storage._tree.kept(TOUCHES) == before  # type: ignore[attr-defined]
        assert [t.outcome for t in store.touches(ids[12])] == [Outcome.NO_ANSWER]
        assert store.touches(ids[13]) == []
        assert unparsed(store, TOUCHES, FIGURES)
        check(store, WINDOWS[0], LATER)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as again:
        assert [t.outcome for t in again.touches(ids[12])] == [Outcome.NO_ANSWER]


def test_an_undo_of_a_kept_touch_and_repeated_compactions(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    ids = setup(path)
    for round_ in range(6):
        with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
            for n, lead_id in enumerate(ids[10:20]):
                at = START + timedelta(minutes=60 * round_ + n)
                store.log_touch(lead_id, Outcome.NO_ANSWER, at)
            store.undo_last_touch(ids[11])  # a kept touch deleted: the table is parsed
            expected = [t.id for t in store.touches(ids[11])]
            store.compact()
            spliced = store._storage._tree.spliced  # type: ignore[attr-defined]
            tree = store._storage._tree
            line = len(tree._line_of(FIGURES)) if not tree.loaded(FIGURES) else 0  # type: ignore[attr-defined]
            assert spliced.get(FIGURES, 0) * 2 <= max(line, 1)  # superseded bytes stay bounded
        with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
            assert [t.id for t in store.touches(ids[11])] == expected
            check(store, WINDOWS[0], LATER)
    tree, _, _ = parse_snapshot(path, path.read_bytes())
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        assert dict(tree[FIGURES]) == dict(store._storage._tree[FIGURES])


def test_a_repeat_inquiry_on_an_archived_lead_leaves_the_touches_unparsed(tmp_path: Path) -> None:
    from leadtui.domain.model import LeadDraft

    path = tmp_path / "leads.json"
    ids = setup(path)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        archived = ids[26]
        assert store._storage.archive_holds("lead_ids", archived)
        phone = "+1415555" + f"{100 + 26:04d}"
        history = None
        [result] = store.add_leads(
            [LeadDraft(name="Back Again", phone=phone, email="", source="web",
                       timezone="America/Chicago", received_at=LATER)], LATER,
        )  # fmt: skip
        assert result.lead.id == archived  # the archived lead, reopened
        assert unparsed(store, TOUCHES, FIGURES)
        history = [t.outcome for t in store.touches(archived)]
        assert history == [Outcome.WON]
        check(store, WINDOWS[0], LATER)
        store.compact()  # the documents read back are written with the working set
    expected = state(path)
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        assert [t.outcome for t in store.touches(archived)] == history
    assert state(path) == expected


def test_documents_read_back_never_replace_the_tables_own() -> None:
    import zlib

    from leadtui.store.files import check_tree
    from leadtui.store.parts import LazyTree, Part, dumps_table

    line = dumps_table({"5": {"id": "a", "lead_id": "x", "at": "t"}})
    tree = LazyTree(Path("leads.json"), [(Part(TOUCHES, 0, len(line), zlib.crc32(line)),
                                          line + b"\n")], check_tree)  # fmt: skip
    tree.tops = {TOUCHES: 5}
    assert tree.merge_absent(TOUCHES, {"5": {"id": "old", "lead_id": "x", "at": "t"},
                                       "3": {"id": "c", "lead_id": "x", "at": "t"}})  # fmt: skip
    found = tree.docs_where(TOUCHES, "lead_id", "x")
    assert found is not None and {k: d["id"] for k, d in found.items()} == {"5": "a", "3": "c"}
    spliced = tree.unparsed(TOUCHES)
    assert spliced is not None
    from leadtui.store.parts import loads

    assert {k: d["id"] for k, d in loads(bytes(spliced)).items()} == {"5": "a", "3": "c"}
    assert {k: d["id"] for k, d in tree[TOUCHES].items()} == {"5": "a", "3": "c"}


def test_the_figures_part_is_read_and_checked_when_used(tmp_path: Path) -> None:
    """The report figures' line is not even read at open; damage in it is found when it is
    used (a report, a compaction copying it), never written into a new snapshot."""
    from leadtui.store.files import StoreDamaged

    path = tmp_path / "leads.json"
    setup(path)
    data = bytearray(path.read_bytes())
    first = data.index(b"\n")
    at = data.index(b'"f":', first)  # inside the figures part (same length, valid JSON)
    data[at + 6] = ord("9") if data[at + 6] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    with open_store(path, cadence=CADENCE, clock=lambda: LATER) as store:
        assert store._storage._tree._raw[FIGURES][1] is None  # type: ignore[attr-defined]
        store.get_lead(store.leads()[0].id)  # opening and reading leads: fine
        with pytest.raises(StoreDamaged, match="figures"):
            list(store.report_figures())
        with pytest.raises(StoreDamaged, match="figures"):
            store.compact()
    assert bytes(data) == path.read_bytes()  # nothing written


def test_a_compaction_into_the_one_line_format_keeps_the_parts_read_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small store without an archive is written as format 1 (no parts): the tables
    not parsed yet are still read from the snapshot they came from."""
    path = tmp_path / "leads.json"
    ids = fill(path)  # format 3 (always3), no archive
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        assert store._storage._tree._raw[FIGURES][1] is None  # type: ignore[attr-defined]
        # (as when the archive was read back whole: no scan for leads to archive, which
        # parses every table)
        store._storage._archive_checked = True
        store.log_touch(ids[4], Outcome.NO_ANSWER, START + timedelta(minutes=50))
        monkeypatch.setattr(snapshot_write, "SMALL_SNAPSHOT", 1 << 20)
        store.compact()
        assert b'"format":1' in path.read_bytes()[:100]
        figures = list(store.report_figures())
        assert figures
        store.log_touch(ids[5], Outcome.NO_ANSWER, START + timedelta(minutes=51))
        store.compact()
    expected = state(path)
    with open_store(path, cadence=CADENCE, clock=lambda: START) as store:
        assert [t.outcome for t in store.touches(ids[4])] == [Outcome.NO_ANSWER] * 2
    assert state(path) == expected
