"""Reading a database into memory and keeping up with other processes: `JournalReader`,
the reading half of `JournalStorage` (storage.py adds the writes).

Opening never writes to an existing database, whatever state it is in (a brand-new one is
created); `StoreDamaged` / `StoreTooNew` name the file and what to do. Catching up (shared
lock) reads only the new journal bytes; archive segments stay on disk until needed
(segments.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from leadtui.paths import ensure_private_dir, fsync_dir
from leadtui.store.fileio import Sig, file_sig, stat_sig
from leadtui.store.files import (
    FileNames,
    Record,
    Tree,
    check_size,
    check_tree,
    damaged,
    encode_snapshot,
    open_binary,
    parse_first_line,
    parse_journal,
    paused_gc,
    write_new_file,
)
from leadtui.store.lockfile import LockFile
from leadtui.store.ops import Listener, apply_op, apply_records, max_ids
from leadtui.store.parts import LazyTree, PartSource
from leadtui.store.protocol import StoreError
from leadtui.store.segments import (
    Activity,
    Archiver,
    Unread,
    merge_holding,
    merge_unread,
    needles_for,
)

COMPACT_ENV = "LEADTUI_STORE_COMPACT_BYTES"


@dataclass(frozen=True, slots=True)
class Seen:
    """The files as this process last read them."""

    snapshot: Sig | None
    journal: Sig | None
    offset: int  # end of the last valid journal record


class JournalReader(Storage):
    """The in-memory tree of a database, read from its files and kept up to date."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        initial: Callable[[], Tree] | None = None,
        compact_bytes: int | None = None,
        archiver: Archiver | None = None,
        vouch: Callable[[Tree], tuple[str, ...]] | None = None,
    ) -> None:
        super().__init__()
        self._archiver = archiver
        self._vouch = vouch  # which derived tables a new snapshot vouches for (parts.py)
        self._unread: Unread | None = None
        self._archive_checked = False
        self._head_bytes = 0  # length of the snapshot's first line (the working set)
        self._archive_files: tuple[str, ...] = ()  # the archive files that snapshot names
        self._activity = Activity(archiver, None)  # since that snapshot (segments.py)
        self.names = FileNames(Path(path))
        self.path = self.names.snapshot
        env = os.environ.get(COMPACT_ENV, "")
        self._compact_bytes = compact_bytes or (int(env) if env.isdigit() else None)
        self._tlock = threading.RLock()
        self._listeners: list[Listener] = []
        self._tree: Tree = {}
        self._max_ids: dict[str, int] = {}
        self._seen = Seen(None, None, 0)
        self.seq = 0
        self.version = 0
        self._depth = 0
        self._ops: list[list[Any]] = []
        self._undo: list[list[Any]] = []
        self._lock: LockFile | None = None
        self._closed = False
        self._open(initial)

    # --- opening ----------------------------------------------------------------------

    def _open(self, initial: Callable[[], Tree] | None) -> None:
        snap = self.names.snapshot
        if not snap.parent.is_dir():
            if initial is None:
                raise StoreError(f"{snap}: no such database")
            self._guard(lambda: ensure_private_dir(snap.parent), snap.parent)
        self._lock = LockFile(self.names.lock)
        try:
            if not snap.exists():
                if initial is None:
                    raise StoreError(f"{snap}: no such database")
                self._create(initial)
            with self._lock.shared():
                self._reload()
        except BaseException:
            self.close()
            raise

    def _create(self, initial: Callable[[], Tree]) -> None:
        names = self.names
        assert self._lock is not None
        with self._lock.exclusive():
            if names.snapshot.exists():
                return  # another process created it meanwhile
            for other in (names.journal, names.backup, names.journal_backup):
                if other.exists():
                    raise damaged(names.snapshot, f"the file is missing but {other.name} exists")

            def create() -> None:
                ensure_private_dir(names.snapshot.parent)
                temp = names.temp()
                write_new_file(temp, encode_snapshot(initial(), 0))
                os.replace(temp, names.snapshot)
                fsync_dir(names.snapshot.parent)

            self._guard(create, names.snapshot)

    # --- reading from disk ------------------------------------------------------------

    def _reload(self) -> None:
        """Read the snapshot's first line and the whole journal; replace the tree only when
        all is good. The archive segments stay on disk (see `load_archive`)."""
        snap = self.names.snapshot
        try:
            handle = open_binary(snap)  # noqa: SIM115 (kept open while its segments are unread)
        except FileNotFoundError:
            raise StoreError(f"{snap}: the database file has disappeared") from None
        except OSError as exc:
            raise StoreError(f"{snap}: cannot read it: {exc.strerror or exc}") from None
        unread: Unread | None = None
        try:
            snap_sig = file_sig(os.fstat(handle.fileno()))
            try:
                line = handle.readline()
            except OSError as exc:
                raise StoreError(f"{snap}: cannot read it: {exc.strerror or exc}") from None
            fd = handle.fileno()
            with paused_gc():
                tree, seq, info, head_end = parse_first_line(
                    snap,
                    line,
                    lambda: line + handle.read(),
                    PartSource(os.dup(fd)),  # (parts read when used: parts.py)
                )
                check_size(snap, head_end, info, snap_sig[2])
                tree = LazyTree.wrap(snap, tree, check_tree)
                if info is not None:
                    unread = Unread.open(snap, info, handle, head_end)
                journal_sig, records, offset = self._read_journal(0)
                activity = Activity(self._archiver, info.quiet if info is not None else None)

                def replay(op: list[Any]) -> None:
                    nonlocal unread
                    activity.note(op)
                    if unread is not None and unread.may_hold(tree, op):
                        if op[0] == "p" and self._archiver is not None:
                            needles = self._archiver.needles(op[1], op[3])
                            merge_holding(snap, tree, unread, needles, self._archiver, ())
                        if len(unread.loaded) == len(unread.info.segments) or unread.may_hold(
                            tree, op
                        ):
                            merge_unread(snap, tree, unread)
                            unread.close()
                            unread = None
                    apply_op(tree, op, ())

                if unread is not None:
                    needles = needles_for(self._archiver, unread, tree, seq, records)
                    merge_holding(snap, tree, unread, needles, self._archiver, ())
                seq = apply_records(self.names.journal, seq, records, replay)
        except BaseException:
            if unread is not None:
                unread.close()  # (its archive files too)
            handle.close()
            raise
        if unread is None:
            handle.close()
        self._close_unread()
        self._unread = unread
        self._tree, self.seq = tree, seq
        self._head_bytes = head_end
        self._archive_files = tuple(info.files) if info is not None else ()
        self._activity = activity
        self._max_ids = self._top_ids(tree)
        self._seen = Seen(snap_sig, journal_sig, offset)
        self._archive_checked = False
        self.version += 1
        for listener in self._listeners:
            listener.reset(tree)

    def _top_ids(self, tree: Tree) -> dict[str, int]:
        tops = max_ids(tree)
        if self._unread is not None:
            for name, top in self._unread.info.max_ids.items():
                tops[name] = max(top, tops.get(name, 0))
        return tops

    def _close_unread(self) -> None:
        if self._unread is not None:
            self._unread.close()
            self._unread = None

    def loaded(self, table: str) -> bool:
        """Is `table` parsed (or absent)? An unparsed one keeps the puts it may keep
        (parts.py: `LazyTree.defer`) until something reads it."""
        loaded = getattr(self._tree, "loaded", None)
        return loaded is None or bool(loaded(table))

    def vouched(self, table: str) -> set[str] | None:
        """None unless the snapshot read, with every change since, vouches for the derived
        table `table` (its documents agree with the touches: see parts.py); else the ids
        of the leads it does not vouch for (their touches changed in another record)."""
        tree = self._tree
        if table not in getattr(tree, "vouched", ()):
            return None
        unvouched: set[str] = getattr(tree, "unvouched", set())
        return unvouched

    # --- the archive ------------------------------------------------------------------

    def archive_holds(self, name: str, value: str) -> bool:
        """True if the unread archive's summary lists `value` under `name` (then
        `load_archive()` brings it in). False once the archive is in memory."""
        unread = self._unread
        return unread is not None and unread.info.holds(name, value)

    def archive_count(self, name: str) -> int:
        """How many values the unread archive's summary lists under `name` (0 once loaded)."""
        unread = self._unread
        return unread.count(name) if unread is not None else 0

    @property
    def archive_loaded(self) -> bool:
        """True when the tree holds everything (no unread archive segments)."""
        return self._unread is None

    def load_archive(self) -> bool:
        """Read the archive segments into the tree (the listeners are reset). True if
        there was anything to read."""
        with self._tlock:
            self._check_open()
            unread = self._unread
            if unread is None:
                return False
            with paused_gc():
                merge_unread(self.names.snapshot, self._tree, unread)
            self._close_unread()
            # What the archiver would pick now is mostly what was just read from the
            # archive: no reason to compact at once (the next compaction splits it again).
            self._archive_checked = True
            self._max_ids = max_ids(self._tree)
            self.version += 1
            for listener in self._listeners:
                listener.reset(self._tree)
            return True

    def load_holding(self, needles: Iterable[bytes]) -> bool:
        """Read into the tree only the unread archive segments whose bytes contain one of
        `needles` (each checked against its CRC-32 first); the listeners are told about
        each document added. True if any segment was read. A document already in the tree
        wins, as with `load_archive`. The rest of the archive stays on disk."""
        needles = [n for n in needles if n]
        with self._tlock:
            self._check_open()
            unread = self._unread
            if unread is None or not needles:
                return False
            with paused_gc():
                read_any = merge_holding(
                    self.names.snapshot, self._tree, unread, needles, self._archiver,
                    self._listeners,
                )  # fmt: skip
            if not read_any:
                return False
            if len(unread.loaded) == len(unread.info.segments):
                self._close_unread()  # everything is in memory now
                self._archive_checked = True
                self._max_ids = max_ids(self._tree)
            self.version += 1
            return True

    def archive_segments(self) -> Iterator[Tree]:
        """The archive segments not in the tree, parsed one at a time and not kept (call
        with the thread lock held; the iterator reads its own copy of the file handle, so
        it stays valid whatever happens to the store meanwhile)."""
        unread = self._unread
        if unread is None:
            return iter(())
        return unread.read_unloaded()

    def _read_journal(self, offset: int) -> tuple[Sig | None, list[Record], int]:
        path = self.names.journal
        try:
            with open_binary(path) as handle:
                sig = file_sig(os.fstat(handle.fileno()))
                if offset:
                    handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return None, [], 0
        except OSError as exc:
            raise StoreError(f"{path}: cannot read it: {exc.strerror or exc}") from None
        records, end = parse_journal(path, data, offset)
        return sig, records, end

    def _catch_up(self) -> bool:
        """Bring memory up to date with the files (a lock is held). True if anything new."""
        seen = self._seen
        snap_sig = stat_sig(self.names.snapshot)
        journal_sig = stat_sig(self.names.journal)
        if snap_sig is None:
            raise StoreError(f"{self.names.snapshot}: the database file has disappeared")
        rotated = seen.journal is not None and (
            journal_sig is None or journal_sig[:2] != seen.journal[:2]
        )
        if snap_sig != seen.snapshot or rotated or (journal_sig and journal_sig[2] < seen.offset):
            self._reload()
            return True
        if journal_sig == seen.journal:
            return False
        new_sig, records, offset = self._read_journal(seen.offset)
        if self._unread is not None:
            self.load_holding(
                needles_for(self._archiver, self._unread, self._tree, self.seq, records)
            )
        seq = apply_records(self.names.journal, self.seq, records, self._apply_caught_up)
        if seq != self.seq:
            self.seq = seq
            self.version += 1
        self._seen = Seen(snap_sig, new_sig, offset)
        return bool(records)

    def refresh(self) -> bool:
        """Catch up with other processes' writes if the files changed. True if anything new."""
        with self._tlock:
            self._check_open()
            if self._depth or not self.changed():
                return False
            assert self._lock is not None
            with self._lock.shared():
                return self._catch_up()

    def changed(self) -> bool:
        """True when the files differ from what this process last read (two stats)."""
        seen = self._seen
        return (
            stat_sig(self.names.snapshot) != seen.snapshot
            or stat_sig(self.names.journal) != seen.journal
        )

    # --- the TinyDB Storage interface -------------------------------------------------

    def read(self) -> Tree:
        """The live tree (never copy it; documents in it are replaced, never mutated)."""
        self.refresh()
        return self._tree

    def close(self) -> None:
        with self._tlock:
            self._closed = True
            self._close_unread()
            if self._lock is not None:
                self._lock.close()

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """The live documents of one table (empty dict if the table does not exist)."""
        if not self._depth:
            self.refresh()
        return self._tree.get(name) or {}

    @property
    def thread_lock(self) -> threading.RLock:
        """Held by every operation; hold it to read the tree while other threads write."""
        return self._tlock

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)
        listener.reset(self._tree)

    # --- internals --------------------------------------------------------------------

    def _apply(self, op: list[Any]) -> None:
        """Apply one change to the live tree, telling the listeners; track the top ids."""
        self._activity.note(op)
        apply_op(self._tree, op, self._listeners)
        if op[0] == "p":
            if int(op[2]) > self._max_ids.get(op[1], 0):
                self._max_ids[op[1]] = int(op[2])
        elif op[0] == "t":
            self._max_ids = self._top_ids(self._tree)

    def _apply_caught_up(self, op: list[Any]) -> None:
        """Apply another process's change (the archive first, if it may be involved: the
        segment that holds the document's lead when the archiver can tell, else all)."""
        unread = self._unread
        if unread is not None and unread.may_hold(self._tree, op):
            if op[0] == "p" and self._archiver is not None:
                self.load_holding(self._archiver.needles(op[1], op[3]))
            if self._unread is not None and self._unread.may_hold(self._tree, op):
                self.load_archive()
        self._apply(op)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")

    def _guard(self, action: Callable[[], None], path: Path) -> None:
        try:
            action()
        except OSError as exc:
            raise StoreError(f"{path}: cannot create it: {exc.strerror or exc}") from exc
