"""A durable, crash-safe, multi-process TinyDB Storage whose writes cost O(change).

The whole tree lives in memory. Each transaction appends one checksummed line to the
journal and fsyncs before returning; now and then the tree is compacted into a fresh
snapshot (temporary file, fsync, rename, directory fsync), the previous snapshot kept as
`.bak` and the journal that led from it as `.journal.bak`. Records carry a sequence number
and the snapshot names the last one it contains, so replay skips what it already has: a
crash between the rename and the journal rotation neither loses nor repeats anything.

Processes share the files under `fcntl.flock` on `<db>.lock`: exclusive around every
read-modify-write, shared while catching up. A stat of the snapshot and of the journal tells
whether anyone else wrote; catching up reads only the journal bytes that are new.

Opening never writes to an existing database, whatever state it is in (a brand-new one is
created). `StoreDamaged` / `StoreTooNew` name the file and what to do.

The archive: an `Archiver` (the repository's policy) picks documents that have left the
working set; compaction moves them into archive segments after the snapshot's first line
(see files.py). Opening reads the first line only and keeps the file open; the segments are
read into the tree on the first need (`load_archive`): a lookup the archive's summary says
it holds, a change from the journal to a document that may be archived, or a reader that
wants everything. Until then the tree holds the working set, and compaction copies the
unread segments byte for byte and appends a new one.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from tinydb.storages import Storage

from leadtui.paths import ensure_private_dir, fsync_dir
from leadtui.store.files import (
    ArchiveInfo,
    FileNames,
    Record,
    Tree,
    check_segment,
    check_size,
    check_tree,
    compact_files,
    copy_chunks,
    create_private,
    damaged,
    dumps,
    encode_record,
    encode_snapshot,
    merge_archive,
    open_binary,
    open_regular,
    parse_first_line,
    parse_journal,
    paused_gc,
    write_all,
    write_new_file,
)
from leadtui.store.lockfile import LockFile
from leadtui.store.ops import Listener, apply_op, apply_records, inverse, max_ids
from leadtui.store.protocol import StoreError

MIN_COMPACT_BYTES = 1 << 20  # compact when the journal passes this or 1/8 of the first line
COMPACT_RATIO = 8
COMPACT_ENV = "LEADTUI_STORE_COMPACT_BYTES"
# compact at once (at the first write after opening) when at least this many documents,
# and 1/ARCHIVE_SHARE of the largest table, are due for the archive
ARCHIVE_MIN = 200
ARCHIVE_SHARE = 8

Sig = tuple[int, int, int, int]  # device, inode, size, mtime (ns)


@dataclass(frozen=True, slots=True)
class Seen:
    """The files as this process last read them."""

    snapshot: Sig | None
    journal: Sig | None
    offset: int  # end of the last valid journal record


class Archiver(Protocol):
    """The policy that decides what leaves the working set (see the module docstring)."""

    def select(self, tree: Tree) -> dict[str, list[str]]:
        """Table -> keys of the documents in `tree` to move into the archive now."""
        ...

    def lookups(self, docs: Tree) -> dict[str, list[str]]:
        """Name -> values that `archive_holds(name, value)` must answer from the header."""
        ...

    def split(self, moved: Tree) -> list[Tree]:
        """`moved` as the documents of one or more segments (kept small, so that one
        segment can be read alone)."""
        ...

    def needles(self, table: str, doc: dict[str, Any]) -> list[bytes]:
        """Bytes found in the segment(s) that hold the documents `doc` goes with (a
        touch with its lead); [] when unknown (then the whole archive is read)."""
        ...


@dataclass(slots=True)
class Unread:
    """The archive segments of the snapshot this process read, not yet in its tree."""

    info: ArchiveInfo
    handle: BinaryIO  # that snapshot, kept open: a later compaction renames another over it
    offset: int  # where its segments start
    # segments already read into the tree (by `load_holding`), and their lookups
    loaded: set[int] = field(default_factory=set)
    loaded_lookups: dict[str, list[str]] = field(default_factory=dict)

    def places(self) -> list[tuple[int, int, int]]:
        """(offset, length without the newline, CRC-32) of each segment."""
        found, offset = [], self.offset
        for length, crc in self.info.segments:
            found.append((offset, length, crc))
            offset += length + 1
        return found

    def count(self, name: str) -> int:
        """How many values the segments not read yet list under `name`."""
        return self.info.count(name) - len(self.loaded_lookups.get(name, ()))

    def may_hold(self, tree: Tree, op: list[Any]) -> bool:
        """Could `op` change or depend on a document still in these segments?"""
        kind = op[0]
        if kind == "t":
            return True
        top = self.info.max_ids.get(op[1])
        if top is None:
            return False
        if kind in ("c", "x"):
            return True
        return op[2] not in tree.get(op[1], ()) and int(op[2]) <= top


def _sig(st: os.stat_result) -> Sig:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _stat(path: Path) -> Sig | None:
    try:
        return _sig(os.stat(path))
    except FileNotFoundError:
        return None


class JournalStorage(Storage):
    """TinyDB Storage: in-memory tree + fsynced journal + atomic snapshots."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        initial: Callable[[], Tree] | None = None,
        compact_bytes: int | None = None,
        archiver: Archiver | None = None,
    ) -> None:
        super().__init__()
        self._archiver = archiver
        self._unread: Unread | None = None
        self._archive_checked = False
        self._head_bytes = 0  # length of the snapshot's first line (the working set)
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
            snap_sig = _sig(os.fstat(handle.fileno()))
            try:
                line = handle.readline()
            except OSError as exc:
                raise StoreError(f"{snap}: cannot read it: {exc.strerror or exc}") from None
            with paused_gc():
                tree, seq, info, head_end = parse_first_line(
                    snap, line, lambda: line + handle.read()
                )
                check_size(snap, head_end, info, snap_sig[2])
                if info is not None:
                    unread = Unread(info, handle, head_end)
                journal_sig, records, offset = self._read_journal(0)

                def replay(op: list[Any]) -> None:
                    nonlocal unread
                    if unread is not None and unread.may_hold(tree, op):
                        if op[0] == "p" and self._archiver is not None:
                            needles = self._archiver.needles(op[1], op[3])
                            _merge_holding(snap, tree, unread, needles, self._archiver, ())
                        if len(unread.loaded) == len(unread.info.segments) or unread.may_hold(
                            tree, op
                        ):
                            _merge_unread(snap, tree, unread)
                            unread = None
                    apply_op(tree, op, ())

                if unread is not None:
                    needles = self._needles(unread, tree, seq, records)
                    _merge_holding(snap, tree, unread, needles, self._archiver, ())
                seq = apply_records(self.names.journal, seq, records, replay)
        except BaseException:
            handle.close()
            raise
        if unread is None:
            handle.close()
        self._close_unread()
        self._unread = unread
        self._tree, self.seq = tree, seq
        self._head_bytes = head_end
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
            self._unread.handle.close()
            self._unread = None

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
                _merge_unread(self.names.snapshot, self._tree, unread)
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
                read_any = _merge_holding(
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
        places = [p for n, p in enumerate(unread.places()) if n not in unread.loaded]
        numbers = [n + 1 for n in range(len(unread.info.segments)) if n not in unread.loaded]
        return _read_each(self.names.snapshot, os.dup(unread.handle.fileno()), places, numbers)

    def _read_journal(self, offset: int) -> tuple[Sig | None, list[Record], int]:
        path = self.names.journal
        try:
            with open_binary(path) as handle:
                sig = _sig(os.fstat(handle.fileno()))
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
        snap_sig = _stat(self.names.snapshot)
        journal_sig = _stat(self.names.journal)
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
            self.load_holding(self._needles(self._unread, self._tree, self.seq, records))
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
            _stat(self.names.snapshot) != seen.snapshot or _stat(self.names.journal) != seen.journal
        )

    # --- the TinyDB Storage interface -------------------------------------------------

    def read(self) -> Tree:
        """The live tree (never copy it; documents in it are replaced, never mutated)."""
        self.refresh()
        return self._tree

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the whole tree (TinyDB's fallback; our tables write single documents)."""
        tree = json.loads(dumps(data))
        check_tree(self.path, tree)
        with self.transaction():
            self._do(["t", tree])

    def close(self) -> None:
        with self._tlock:
            self._closed = True
            self._close_unread()
            if self._lock is not None:
                self._lock.close()

    # --- single-document changes (inside a transaction) -------------------------------

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """The live documents of one table (empty dict if the table does not exist)."""
        if not self._depth:
            self.refresh()
        return self._tree.get(name) or {}

    def next_id(self, table: str) -> int:
        """A document id unused in `table` (call inside a transaction)."""
        return self._max_ids.get(table, 0) + 1

    def put(self, table: str, doc_id: int, doc: dict[str, Any]) -> None:
        """Insert or replace one document."""
        with self.transaction():
            self._do(["p", table, str(doc_id), json.loads(dumps(doc))])

    def delete(self, table: str, doc_id: int) -> None:
        with self.transaction():
            if str(doc_id) in self._tree.get(table, {}):
                self._do(["d", table, str(doc_id)])

    def clear(self, table: str) -> None:
        with self.transaction():
            self._do(["c", table])

    def drop(self, table: str) -> None:
        with self.transaction():
            if table in self._tree:
                self._do(["x", table])

    @property
    def thread_lock(self) -> threading.RLock:
        """Held by every operation; hold it to read the tree while other threads write."""
        return self._tlock

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)
        listener.reset(self._tree)

    def transaction(self) -> Transaction:
        """`with storage.transaction():` lock, catch up, change, then one durable record."""
        return Transaction(self)

    def compact(self) -> None:
        """Write a fresh snapshot now and start a new journal."""
        with self.transaction():
            self._compact()

    # --- internals --------------------------------------------------------------------

    def _do(self, op: list[Any]) -> None:
        if not self._depth:
            raise RuntimeError("store changes must happen inside a transaction")
        if self._unread is not None and self._unread.may_hold(self._tree, op):
            self.load_archive()
        self._undo.extend(inverse(self._tree, op))
        self._apply(op)
        self._ops.append(op)

    def _apply(self, op: list[Any]) -> None:
        """Apply one change to the live tree, telling the listeners; track the top ids."""
        apply_op(self._tree, op, self._listeners)
        if op[0] == "p":
            if int(op[2]) > self._max_ids.get(op[1], 0):
                self._max_ids[op[1]] = int(op[2])
        elif op[0] == "t":
            self._max_ids = self._top_ids(self._tree)

    def _needles(self, unread: Unread, tree: Tree, seq: int, records: list[Record]) -> list[bytes]:
        """What finds the archive segments that the documents written by `records` (those
        after `seq`) go with: read first, so that a record deleting an archived touch
        next to a write of its lead reads one segment, not the whole archive."""
        if self._archiver is None:
            return []
        needles: list[bytes] = []
        for record in records:
            if record.seq <= seq:
                continue
            for op in record.ops:
                if (
                    isinstance(op, list)
                    and len(op) == 4
                    and op[0] == "p"
                    and isinstance(op[1], str)
                    and isinstance(op[2], str)
                    and op[2].isdigit()
                    and isinstance(op[3], dict)
                    and unread.may_hold(tree, op)
                ):
                    needles.extend(self._archiver.needles(op[1], op[3]))
        return needles

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

    def _rollback(self) -> None:
        undo, self._undo, self._ops = self._undo, [], []
        for op in reversed(undo):
            self._apply(op)
        self.version += 1

    def _commit(self) -> None:
        names = self.names
        seq = self.seq + 1
        line = encode_record(seq, self._ops)
        start = self._seen.offset
        try:
            try:
                fd = open_regular(names.journal, os.O_WRONLY | os.O_APPEND)
            except FileNotFoundError:
                fd = create_private(names.journal, os.O_WRONLY | os.O_APPEND)
                fsync_dir(names.journal.parent)
            try:
                write_all(fd, line)
                os.fsync(fd)
                st = os.fstat(fd)
            except OSError:
                _truncate_quietly(fd, start)
                raise
            finally:
                os.close(fd)
        except OSError as exc:
            self._rollback()
            raise StoreError(
                f"could not save to {names.journal}: {exc.strerror or exc}; nothing was saved"
            ) from exc
        self._ops, self._undo = [], []
        self.seq = seq
        self.version += 1
        self._seen = Seen(self._seen.snapshot, _sig(st), st.st_size)

    def commit_with_snapshot(self, table: str, members: Iterable[bytes]) -> None:
        """Inside a transaction: commit it as a fresh snapshot instead of a journal record,
        with `members` (the bytes of `"<id>":{document}` each, ids above `next_id(table)`)
        streamed into `table`. One durable write (temporary file, fsync, rename), all or
        nothing; the streamed documents are never all in memory, so this process reads
        the new snapshot afresh at its next read."""
        if self._depth != 1:
            raise RuntimeError("commit_with_snapshot needs the outermost transaction")
        self.seq += 1
        try:
            self._compact(extra=(table, members), archive=False)
        except OSError as exc:
            self.seq -= 1
            raise StoreError(
                f"could not save to {self.path}: {exc.strerror or exc}; nothing was saved"
            ) from exc
        except BaseException:
            self.seq -= 1
            raise
        self._ops, self._undo = [], []
        self._seen = Seen(None, None, 0)  # the tree lacks the new documents: reload
        self.version += 1

    def _compact(
        self, extra: tuple[str, Iterable[bytes]] | None = None, archive: bool = True
    ) -> None:
        """Snapshot the tree (which includes record `seq`) and rotate the journal, moving
        what the archiver picks out of memory into the archive."""
        tree, unread = self._tree, self._unread
        moved: Tree = {}
        if self._archiver is not None and archive:
            picked = self._archiver.select(tree)
            moved = {
                name: {k: tree[name][k] for k in keys} for name, keys in picked.items() if keys
            }
        kept = tree
        if moved:
            kept = {name: table for name, table in tree.items() if name not in moved}
            for name, docs in moved.items():
                kept[name] = {key: doc for key, doc in tree[name].items() if key not in docs}
        info: ArchiveInfo | None = None
        chunks: list[Iterable[bytes]] = []
        if unread is not None:
            # segments read into the tree (load_holding) are not copied: their documents
            # are in the tree, and the archiver picks those still idle again
            info = unread.info
            if unread.loaded:
                keep = [n for n in range(len(info.segments)) if n not in unread.loaded]
                info = info.keeping(keep, unread.loaded_lookups)
            fd = unread.handle.fileno()
            for number, (offset, length, _) in enumerate(unread.places()):
                if number not in unread.loaded:
                    chunks.append(copy_chunks(fd, offset, length + 1))
        if moved:
            assert self._archiver is not None
            for part in self._archiver.split(moved):
                segment = dumps(part)
                fresh = ArchiveInfo.of(segment, part, self._archiver.lookups(part))
                info = fresh if info is None else info.plus(fresh)
                chunks.append((segment, b"\n"))
                del segment
        head_end = compact_files(
            self.names, kept, self.seq, info, (chunk for part in chunks for chunk in part), extra
        )
        self._seen = Seen(_stat(self.names.snapshot), None, 0)
        self._head_bytes = head_end
        if info is None or not info.segments:
            self._close_unread()
            return
        # The segments are read from the file just written (ours: the lock is held);
        # what moved into them now lives only there.
        handle = open_binary(self.names.snapshot)  # noqa: SIM115
        self._close_unread()
        self._unread = Unread(info, handle, head_end)
        if moved:
            self._tree = kept
            self._max_ids = self._top_ids(kept)
            self.version += 1
            for listener in self._listeners:
                listener.reset(kept)

    def archive_due(self) -> bool:
        """Does the working set hold enough for the archive to be worth a compaction?
        Checked at the first write after reading a snapshot that has no archive yet."""
        if self._archiver is None:
            return False
        picked = self._archiver.select(self._tree)
        count = max((len(keys) for keys in picked.values()), default=0)
        largest = max((len(table) for table in self._tree.values()), default=0)
        return count >= max(ARCHIVE_MIN, largest // ARCHIVE_SHARE)

    def _maybe_compact(self) -> None:
        seen = self._seen
        size = seen.journal[2] if seen.journal else 0
        torn = size > seen.offset
        # Against the first line, not the whole file: replaying the journal competes with
        # parsing the working set at every open; the archive is not read then.
        limit = self._compact_bytes or max(MIN_COMPACT_BYTES, self._head_bytes // COMPACT_RATIO)
        due = False
        if not self._archive_checked:
            self._archive_checked = True
            # Only a snapshot without an archive (written before it existed, or by a
            # version without it) is split at once; once there is one, leads reach it
            # with the compactions the journal asks for, and the first write of every
            # process does not pay a scan of the working set (25 ms at 50,000 leads).
            due = self._unread is None and self.archive_due()
        if torn or size > limit or due:
            try:
                self._compact()
            except OSError:
                # The journal still holds everything; read the files afresh next time.
                self._seen = Seen(None, None, 0)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")

    def _guard(self, action: Callable[[], None], path: Path) -> None:
        try:
            action()
        except OSError as exc:
            raise StoreError(f"{path}: cannot create it: {exc.strerror or exc}") from exc


class Transaction:
    """Exclusive lock + catch-up on entry; one fsynced journal record on exit (rollback of
    memory on error). Re-entrant: nested transactions join the outermost one."""

    def __init__(self, storage: JournalStorage) -> None:
        self._s = storage

    def __enter__(self) -> JournalStorage:
        s = self._s
        s._tlock.acquire()
        if s._depth:
            s._depth += 1
            return s
        try:
            s._check_open()
            assert s._lock is not None
            s._lock.acquire_exclusive()
            try:
                s._catch_up()
                if s._seen.journal and s._seen.journal[2] > s._seen.offset:
                    s._compact()  # a torn tail from a crashed writer: never append after it
            except OSError as exc:
                s._lock.release()
                raise StoreError(f"{s.path}: cannot write: {exc.strerror or exc}") from exc
            except BaseException:
                s._lock.release()
                raise
        except BaseException:
            s._tlock.release()
            raise
        s._depth, s._ops, s._undo = 1, [], []
        return s

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        s = self._s
        try:
            s._depth -= 1
            if s._depth:
                return
            try:
                if exc_type is not None:
                    s._rollback()
                elif s._ops:
                    s._commit()
                    s._maybe_compact()
            finally:
                assert s._lock is not None
                s._lock.release()
        finally:
            s._tlock.release()


def _merge_unread(path: Path, tree: Tree, unread: Unread) -> None:
    """Read every archive segment of `unread` not read yet into `tree`."""
    fd = unread.handle.fileno()
    for number, (offset, length, crc) in enumerate(unread.places()):
        if number not in unread.loaded:
            data = _pread(path, fd, offset, length + 1)
            merge_archive(tree, check_segment(path, number + 1, data, length, crc))
            del data


def _merge_holding(
    path: Path,
    tree: Tree,
    unread: Unread,
    needles: Sequence[bytes],
    archiver: Archiver | None,
    listeners: Sequence[Listener],
) -> bool:
    """Read into `tree` the segments of `unread` not read yet whose bytes contain one of
    `needles`, telling `listeners` about each document added (one already in the tree
    wins); True if any was read."""
    fd = unread.handle.fileno()
    read_any = False
    for number, (offset, length, crc) in enumerate(unread.places()):
        if number in unread.loaded or not needles:
            continue
        data = _pread(path, fd, offset, length + 1)
        if not any(needle in data for needle in needles):
            continue
        segment = check_segment(path, number + 1, data, length, crc)
        del data
        if archiver is not None:
            for name, values in archiver.lookups(segment).items():
                unread.loaded_lookups.setdefault(name, []).extend(values)
        for name, docs in segment.items():
            table = tree.setdefault(name, {})
            for key, doc in docs.items():
                if key not in table:
                    table[key] = doc
                    for listener in listeners:
                        listener.changed(name, key, None, doc)
        unread.loaded.add(number)
        read_any = True
    return read_any


def _read_each(
    path: Path, fd: int, places: list[tuple[int, int, int]], numbers: list[int]
) -> Iterator[Tree]:
    try:
        for number, (offset, length, crc) in zip(numbers, places, strict=True):
            data = _pread(path, fd, offset, length + 1)
            segment = check_segment(path, number, data, length, crc)
            del data
            yield segment
    finally:
        os.close(fd)


def _pread(path: Path, fd: int, offset: int, size: int) -> bytes:
    try:
        return os.pread(fd, size, offset)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read its archive: {exc.strerror or exc}") from None


def _truncate_quietly(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass
