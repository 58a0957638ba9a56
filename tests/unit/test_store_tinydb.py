"""The TinyDB behaviours the store relies on. A TinyDB upgrade that changes them fails here.

pyproject pins tinydb >=4.8,<5; these tests say why, and what to re-check on an upgrade.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
import tinydb
from tinydb import Query, TinyDB
from tinydb.table import Document, Table

from leadtui.store.files import FileNames
from leadtui.store.storage import JournalStorage
from leadtui.store.tables import JournalTable, LeadDB


@pytest.fixture
def db(tmp_path: Path):
    storage = JournalStorage(tmp_path / "leads.json", initial=lambda: {"meta": {}})
    yield LeadDB(storage)
    storage.close()


def test_tinydb_major_version_is_the_one_we_pin() -> None:
    assert tinydb.__version__.split(".")[0] == "4"


def test_tinydb_builds_storage_by_calling_it_and_tables_from_table_class(db: LeadDB) -> None:
    assert isinstance(db.storage, JournalStorage)
    assert type(db.table("leads")) is JournalTable
    assert db.table("leads") is db.table("leads")  # cached per name
    assert "table_class" in vars(TinyDB) and "_tables" in vars(TinyDB(storage=_Memory))


def test_table_methods_we_override_keep_their_signatures() -> None:
    expected = {
        "insert": ["self", "document"],
        "insert_multiple": ["self", "documents"],
        "update": ["self", "fields", "cond", "doc_ids"],
        "update_multiple": ["self", "updates"],
        "upsert": ["self", "document", "cond"],
        "remove": ["self", "cond", "doc_ids"],
        "truncate": ["self"],
        "_read_table": ["self"],
        "_get_next_id": ["self"],
        "_update_table": ["self", "updater"],
        "search": ["self", "cond"],
        "clear_cache": ["self"],
    }
    for name, params in expected.items():
        assert list(inspect.signature(getattr(Table, name)).parameters) == params, name
    init = list(inspect.signature(Table.__init__).parameters)
    assert init == ["self", "storage", "name", "cache_size", "persist_empty"]


def test_reads_go_through_read_table_with_string_ids_and_return_copies(db: LeadDB) -> None:
    leads = db.table("leads")
    doc_id = leads.insert({"name": "Ann", "tags": ["a"]})
    assert isinstance(doc_id, int)
    live = db.storage.table("leads")
    assert list(live) == [str(doc_id)]  # the tree keeps JSON's string ids
    found = leads.get(doc_id=doc_id)
    assert isinstance(found, Document) and found.doc_id == doc_id
    found["name"] = "changed"  # a copy: the live document is untouched
    assert live[str(doc_id)]["name"] == "Ann"
    result = leads.search(Query().name == "Ann")
    assert [d.doc_id for d in result] == [doc_id]
    assert leads.get(Query().name == "Ann").doc_id == doc_id
    assert leads.contains(doc_id=doc_id) and len(leads) == 1
    assert [d.doc_id for d in leads.get(doc_ids=[doc_id])] == [doc_id]
    assert [d.doc_id for d in leads] == [doc_id]


def test_a_write_journals_only_the_changed_document(db: LeadDB, monkeypatch) -> None:
    leads = db.table("leads")
    with db.storage.transaction():
        for n in range(500):
            leads.insert({"n": n, "pad": "x" * 50})
    journal = FileNames(db.storage.path).journal
    whole_writes = []
    monkeypatch.setattr(db.storage, "write", lambda data: whole_writes.append(data))
    for action in (
        lambda: leads.insert({"n": 1000}),
        lambda: leads.update({"n": -1}, doc_ids=[7]),
        lambda: leads.update(lambda d: d.update(n=-2), Query().n == 8),
        lambda: leads.upsert(Document({"n": -3}, doc_id=9)),
        lambda: leads.upsert({"n": 2000}, Query().n == 123456),
        lambda: leads.remove(doc_ids=[10]),
        lambda: leads.remove(Query().n == 11),
    ):
        before = journal.stat().st_size
        action()
        assert 0 < journal.stat().st_size - before < 200
    assert whole_writes == []
    assert leads.get(doc_id=7)["n"] == -1 and leads.get(doc_id=9)["n"] == -3
    assert leads.get(doc_id=10) is None and leads.count(Query().n == 2000) == 1


def test_query_cache_is_dropped_when_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    one = LeadDB(JournalStorage(path, initial=lambda: {}))
    two = LeadDB(JournalStorage(path))
    query = Query().kind == "x"
    assert two.table("t").search(query) == []
    one.table("t").insert({"kind": "x"})
    assert len(two.table("t").search(query)) == 1


def test_fallback_update_table_writes_a_diff(db: LeadDB) -> None:
    leads = db.table("leads")
    ids = leads.insert_multiple([{"n": n} for n in range(5)])
    leads._update_table(lambda table: table.pop(ids[0]))
    leads.update_multiple([({"n": 42}, Query().n == 3)])
    assert [d["n"] for d in leads.all()] == [1, 2, 42, 4]
    leads.truncate()
    assert leads.all() == []
    db.drop_table("leads")
    assert "leads" not in db.tables()


def test_insert_refuses_existing_document_id(db: LeadDB) -> None:
    leads = db.table("leads")
    leads.insert(Document({"n": 1}, doc_id=5))
    with pytest.raises(ValueError):
        leads.insert(Document({"n": 2}, doc_id=5))
    assert leads.insert({"n": 3}) == 6


def test_whole_tree_write_is_journaled(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    storage = JournalStorage(path, initial=lambda: {"a": {"1": {"x": 1}}})
    storage.write({"b": {"2": {"y": 2}}})
    storage.close()
    again = JournalStorage(path)
    assert again.read() == {"b": {"2": {"y": 2}}}
    assert json.loads(path.read_bytes())["a"] == {"1": {"x": 1}}  # snapshot untouched


class _Memory(tinydb.Storage):
    def read(self):
        return None

    def write(self, data):
        pass
