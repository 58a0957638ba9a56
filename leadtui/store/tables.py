"""TinyDB tables whose writes touch only the changed documents.

The stock `Table._update_table` reads the whole tree, rebuilds the table converting every
document id, and writes the whole tree back: O(table size) per insert. `JournalTable`
keeps TinyDB's API (insert, update, upsert, remove, search, get, Query ...) but sends each
changed document to `JournalStorage.put/delete`, and computes new ids from the storage
(which sees other processes' inserts) instead of caching them. Reads use the storage's
live tree; the query cache is dropped whenever the storage's version moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any, cast

from tinydb import TinyDB
from tinydb.queries import QueryLike
from tinydb.table import Document, Table

from leadtui.store.storage import JournalStorage

Fields = Mapping[str, Any] | Callable[[MutableMapping[str, Any]], None]


class JournalTable(Table):
    """A TinyDB Table for `JournalStorage`: O(change) writes, multi-process safe ids."""

    def __init__(
        self,
        storage: JournalStorage,
        name: str,
        cache_size: int = Table.default_query_cache_capacity,
        persist_empty: bool = False,
    ) -> None:
        super().__init__(storage, name, cache_size=cache_size, persist_empty=False)
        self._js = storage
        self._cache_version = -1
        if persist_empty:
            with storage.transaction():
                if name not in storage._tree:
                    storage.clear(name)

    # --- reading ----------------------------------------------------------------------

    def _read_table(self) -> dict[str, Mapping[str, Any]]:
        return cast(dict[str, Mapping[str, Any]], self._js.table(self.name))

    def search(self, cond: QueryLike) -> list[Document]:
        self._js.refresh()
        if self._cache_version != self._js.version:
            self.clear_cache()
            self._cache_version = self._js.version
        return super().search(cond)

    def _get_next_id(self) -> int:
        return self._js.next_id(self.name)

    # --- writing ----------------------------------------------------------------------

    def insert(self, document: Mapping[str, Any]) -> int:
        if not isinstance(document, Mapping):
            raise ValueError("Document is not a Mapping")
        with self._js.transaction():
            if isinstance(document, Document):
                doc_id = int(document.doc_id)
                if str(doc_id) in self._js.table(self.name):
                    raise ValueError(f"Document with ID {doc_id} already exists")
            else:
                doc_id = self._get_next_id()
            self._js.put(self.name, doc_id, dict(document))
        return doc_id

    def insert_multiple(self, documents: Iterable[Mapping[str, Any]]) -> list[int]:
        with self._js.transaction():
            return [self.insert(document) for document in documents]

    def update(
        self,
        fields: Fields,
        cond: QueryLike | None = None,
        doc_ids: Iterable[int] | None = None,
    ) -> list[int]:
        with self._js.transaction():
            ids = self._matching(cond, doc_ids)
            for doc_id in ids:
                self._js.put(self.name, doc_id, _updated(self._js.table(self.name), doc_id, fields))
            return ids

    def update_multiple(self, updates: Iterable[tuple[Fields, QueryLike]]) -> list[int]:
        updates = list(updates)
        updated: list[int] = []
        with self._js.transaction():
            for key, doc in list(self._js.table(self.name).items()):
                for fields, cond in updates:
                    if cond(doc):
                        updated.append(int(key))
                        doc = _updated({key: doc}, int(key), fields)
                        self._js.put(self.name, int(key), doc)
        return updated

    def upsert(self, document: Mapping[str, Any], cond: QueryLike | None = None) -> list[int]:
        with self._js.transaction():
            return super().upsert(document, cond)

    def remove(
        self,
        cond: QueryLike | None = None,
        doc_ids: Iterable[int] | None = None,
    ) -> list[int]:
        if cond is None and doc_ids is None:
            raise RuntimeError("Use truncate() to remove all documents")
        with self._js.transaction():
            ids = self._matching(cond, doc_ids)
            for doc_id in ids:
                self._js.delete(self.name, doc_id)
            return ids

    def truncate(self) -> None:
        self._js.clear(self.name)
        self._next_id = None

    def _update_table(self, updater: Callable[[dict[int, Mapping[str, Any]]], None]) -> None:
        """Fallback for any stock method not overridden here: diff the table and write
        only what changed."""
        with self._js.transaction():
            live = self._js.table(self.name)
            table: dict[int, Mapping[str, Any]] = {int(k): dict(doc) for k, doc in live.items()}
            updater(table)
            for key in [k for k in live if int(k) not in table]:
                self._js.delete(self.name, int(key))
            for doc_id, doc in table.items():
                if live.get(str(doc_id)) != doc:
                    self._js.put(self.name, doc_id, dict(doc))

    def _matching(self, cond: QueryLike | None, doc_ids: Iterable[int] | None) -> list[int]:
        table = self._js.table(self.name)
        if doc_ids is not None:
            return [int(i) for i in doc_ids if str(i) in table]
        if cond is not None:
            return [int(key) for key, doc in table.items() if cond(doc)]
        return [int(key) for key in table]


def _updated(table: Mapping[str, Mapping[str, Any]], doc_id: int, fields: Fields) -> dict[str, Any]:
    doc = dict(table[str(doc_id)])
    if callable(fields):
        fields(doc)
    else:
        doc.update(fields)
    return doc


class LeadDB(TinyDB):
    """TinyDB over a `JournalStorage`, with `JournalTable` tables."""

    table_class = JournalTable  # type: ignore[assignment]
    default_table_name = "meta"

    def __init__(self, storage: JournalStorage) -> None:
        super().__init__(storage=lambda: storage)

    @property
    def journal(self) -> JournalStorage:
        return self.storage  # type: ignore[return-value]

    def drop_table(self, name: str) -> None:
        self._tables.pop(name, None)
        self.journal.drop(name)

    def drop_tables(self) -> None:
        self._tables.clear()
        with self.journal.transaction():
            for name in list(self.journal._tree):
                self.journal.drop(name)
