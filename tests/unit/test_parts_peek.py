"""Finding one lead's documents in an unparsed table line (`LazyTree.docs_where`) must
give exactly what parsing the line and filtering would, whatever the texts hold: quotes,
backslashes, braces, the very bytes of another document's field, non-ASCII."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadtui.store.files import check_tree
from leadtui.store.parts import LazyTree, Part, dumps_table

LEAD_IDS = ["ab12cd34", "zz", 'q"uote', "back\\slash", "é"]
HOSTILE = [
    '"lead_id":"ab12cd34"',
    '{"1":{"id":"x","lead_id":"ab12cd34"}}',
    '":{"',
    "}",
    "\\",
    '\\"lead_id\\":\\"zz\\"',
    "\u2028",
    "\ud800",  # a lone surrogate (escaped by the standard library's encoder)
]

texts = st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE))
touch = st.fixed_dictionaries(
    {"id": texts, "lead_id": st.sampled_from(LEAD_IDS), "outcome": st.just("no-answer"),
     "at": st.just("2027-03-02T15:20:00.000000+00:00")},
    optional={"note": texts, "rep": texts},
)  # fmt: skip


def lazy(table: dict[str, Any]) -> LazyTree:
    line = dumps_table(table)
    part = Part("touches", 0, len(line), zlib.crc32(line))
    return LazyTree(Path("leads.json"), [(part, line + b"\n")], check_tree)


@settings(max_examples=300, deadline=None)
@given(st.lists(touch, max_size=12), st.sampled_from(LEAD_IDS))
def test_docs_where_equals_parse_then_filter(docs: list[dict[str, Any]], lead_id: str) -> None:
    table = {str(n + 1): doc for n, doc in enumerate(docs)}
    tree = lazy(table)
    found = tree.docs_where("touches", "lead_id", lead_id)
    expected = {key: doc for key, doc in table.items() if doc["lead_id"] == lead_id}
    if found is not None:  # None: "parse the table instead", always allowed
        assert found == expected
    for doc in docs[:3]:  # by a touch's own id (the first field of its document)
        by_id = tree.docs_where("touches", "id", doc["id"])
        if by_id is not None:
            assert by_id == {k: d for k, d in table.items() if d["id"] == doc["id"]}
    assert not tree.loaded("touches") or found is None
    assert tree["touches"] == table  # and parsing still gives the table


def test_docs_where_finds_without_parsing_and_declines_once_parsed() -> None:
    table = {"1": {"id": "t1", "lead_id": "ab12cd34", "note": '"lead_id":"zz"'},
             "2": {"id": "t2", "lead_id": "zz"},
             "7": {"id": "t3", "lead_id": "ab12cd34", "note": "}{"}}  # fmt: skip
    tree = lazy(table)
    assert tree.docs_where("touches", "lead_id", "ab12cd34") == {"1": table["1"], "7": table["7"]}
    assert tree.docs_where("touches", "lead_id", "zz") == {"2": table["2"]}
    assert tree.docs_where("touches", "lead_id", "nobody") == {}
    assert tree.docs_where("touches", "id", "t3") == {"7": table["7"]}
    assert not tree.loaded("touches")
    tree.get("touches")
    assert tree.docs_where("touches", "lead_id", "zz") is None


def test_a_document_holding_an_object_is_declined() -> None:
    tree = lazy({"1": {"id": "t", "lead_id": "zz", "extra": {"nested": 1}}})
    assert tree.docs_where("touches", "lead_id", "zz") is None


figure = st.fixed_dictionaries({"fp": texts, "f": texts})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(1, 30).map(str), figure, max_size=10),
       st.lists(st.tuples(st.integers(1, 40).map(str), figure), max_size=5),
       st.integers(1, 40).map(str))  # fmt: skip
def test_doc_by_key_equals_parse_then_get(
    table: dict[str, Any], puts: list[tuple[str, dict[str, Any]]], key: str
) -> None:
    line = dumps_table(table)
    tree = LazyTree(Path("leads.json"), [(Part("figures", 0, len(line), zlib.crc32(line)),
                                          line + b"\n")], check_tree)  # fmt: skip
    for put_key, doc in puts:
        tree.defer(["p", "figures", put_key, doc])
    spliced = tree.unparsed("figures")  # (a compaction's line: later duplicates win)
    known, doc = tree.doc_by_key("figures", key)
    expected = {**table, **dict(puts)}
    if known:
        assert doc == expected.get(key)
    if spliced is not None:
        again = LazyTree(Path("leads.json"), [(Part("figures", 0, len(spliced),
                         zlib.crc32(spliced)), bytes(spliced) + b"\n")], check_tree)  # fmt: skip
        known, doc = again.doc_by_key("figures", key)
        assert not known or doc == expected.get(key)
        assert again["figures"] == expected
    assert tree["figures"] == expected
