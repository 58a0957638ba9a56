"""The journal's operations and how they apply to the in-memory TinyDB tree.

An operation is a JSON list: `["p", table, id, doc]` put (insert or replace) one document,
`["d", table, id]` delete one, `["c", table]` empty a table, `["x", table]` drop it,
`["t", tree]` replace the whole tree (TinyDB's whole-database write, a fallback only).

A put into a table not parsed yet may be kept until it is (parts.py, `LazyTree.defer`);
its inverse is then `["u", table, n]`, "drop the kept changes after the first n": an undo
step of a transaction in memory, never written to the journal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from leadtui.store.files import Record, Tree, check_tree, damaged


class Listener(Protocol):
    """Told about every change applied to the tree (own writes, replay, rollback)."""

    def reset(self, tree: Tree) -> None: ...

    def changed(
        self, table: str, key: str, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None: ...


def check_op(path: Path, op: Any) -> None:
    ok = isinstance(op, list) and op and op[0] in ("p", "d", "c", "x", "t")
    if ok and op[0] == "t":
        ok = len(op) == 2
        if ok:
            check_tree(path, op[1])
    elif ok:
        ok = isinstance(op[1], str) if len(op) > 1 else False
        if ok and op[0] in ("p", "d"):
            ok = len(op) >= 3 and isinstance(op[2], str) and op[2].isdigit()
        if ok and op[0] == "p":
            ok = len(op) == 4 and isinstance(op[3], dict)
    if not ok:
        raise damaged(path, "a journal record has an unexpected shape")


def inverse(tree: Tree, op: list[Any]) -> list[list[Any]]:
    """Operations that undo `op` on `tree` (applied in reverse order)."""
    kind = op[0]
    if kind == "t":
        return [["t", dict(tree)]]
    name = op[1]
    deferrable = getattr(tree, "deferrable", None)  # a LazyTree (see the module docstring)
    if deferrable is not None and deferrable(op):
        return [["u", name, tree.kept(name)]]  # type: ignore[attr-defined]
    exists = name in tree
    table = tree.get(name, {})
    undo: list[list[Any]] = [] if exists else [["x", name]]
    if kind == "p":
        old = table.get(op[2])
        undo.append(["d", name, op[2]] if old is None else ["p", name, op[2], old])
    elif kind == "d":
        if op[2] in table:
            undo.append(["p", name, op[2], table[op[2]]])
    else:
        undo.extend(["p", name, key, doc] for key, doc in table.items())
    return undo


def max_ids(tree: Tree) -> dict[str, int]:
    top_ids = getattr(tree, "top_ids", None)  # a LazyTree knows without parsing
    if top_ids is not None:
        return top_ids()  # type: ignore[no-any-return]
    return {name: max(map(int, table), default=0) for name, table in tree.items()}


def apply_records(
    path: Path, seq: int, records: list[Record], apply: Callable[[list[Any]], None]
) -> int:
    """Check every record first (shape, no gap after `seq`), then `apply` the ops of those
    newer than `seq`. Returns the new sequence number. Records up to `seq` are skipped:
    replaying a journal over a snapshot that already holds part of it is harmless."""
    todo = [r for r in records if r.seq > seq]
    for expected, record in enumerate(todo, start=seq + 1):
        if record.seq != expected:
            raise damaged(path, f"record {expected} is missing (found {record.seq})")
        for op in record.ops:
            check_op(path, op)
    for record in todo:
        for op in record.ops:
            apply(op)
    return todo[-1].seq if todo else seq


def apply_op(tree: Tree, op: list[Any], listeners: Sequence[Listener]) -> None:
    """Apply one journal operation to `tree`, telling `listeners`."""
    kind = op[0]
    note_op = getattr(tree, "note_op", None)  # a LazyTree: what it vouches for
    if note_op is not None:
        note_op(op)
    if kind == "t":
        tree.clear()
        for name, table in op[1].items():
            tree[name] = table
        for listener in listeners:
            listener.reset(tree)
        return
    name = op[1]
    if kind == "u":  # (an undo step of a kept change: see the module docstring)
        for dropped in tree.forget(name, op[2]):  # type: ignore[attr-defined]
            for listener in listeners:
                listener.changed(name, dropped[2], dropped[3], None)
        return
    deferrable = getattr(tree, "deferrable", None)
    if deferrable is not None and deferrable(op):
        old = tree.defer(op)  # type: ignore[attr-defined]
        for listener in listeners:
            listener.changed(name, op[2], old, op[3])
        return
    touched = getattr(tree, "touched", None)  # a LazyTree: the table's line is stale now
    if touched is not None:
        touched(name)
    if kind == "p":
        table = tree.setdefault(name, {})
        key, doc = op[2], op[3]
        old = table.get(key)
        table[key] = doc
        for listener in listeners:
            listener.changed(name, key, old, doc)
        return
    table = tree.get(name, {})
    for key in [op[2]] if kind == "d" else list(table):
        old = table.pop(key, None)
        if old is not None:
            for listener in listeners:
                listener.changed(name, key, old, None)
    if kind == "x":
        tree.pop(name, None)
