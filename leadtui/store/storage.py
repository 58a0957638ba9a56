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

Opening, reading and catching up are `JournalReader`'s (journal_reader.py); the archive's
segments are segments.py's. This module is the writing: transactions, the journal record,
compaction. A compaction writes the working set as the new snapshot; the archive lies in
archive files beside it (format 4, see files.py): a compaction that moves nothing into the
archive names the same files again, one that does writes one new file first
(snapshot_write.write_archive), and the files neither the new snapshot nor `.bak` names
are removed after the rename.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from leadtui.paths import fsync_dir
from leadtui.store.fileio import file_sig, stat_sig
from leadtui.store.files import (
    ArchiveInfo,
    Tree,
    check_tree,
    create_private,
    dumps,
    encode_record,
    open_binary,
    open_regular,
    write_all,
)
from leadtui.store.journal_reader import COMPACT_ENV as COMPACT_ENV
from leadtui.store.journal_reader import JournalReader, Seen
from leadtui.store.ops import inverse
from leadtui.store.parts import LazyTree, PartSource
from leadtui.store.protocol import StoreError
from leadtui.store.segments import Activity, Unread, kept_segments
from leadtui.store.segments import Archiver as Archiver
from leadtui.store.snapshot_write import (
    Unchanged,
    compact_parts,
    compact_streamed,
    remove_unnamed_archives,
    write_archive,
)

MIN_COMPACT_BYTES = 1 << 20  # compact when the journal passes this or 1/8 of the first line
COMPACT_RATIO = 8
# compact at once (at the first write after opening) when at least this many documents,
# and 1/ARCHIVE_SHARE of the largest table, are due for the archive
ARCHIVE_MIN = 200
ARCHIVE_SHARE = 8


class JournalStorage(JournalReader):
    """TinyDB Storage: in-memory tree + fsynced journal + atomic snapshots."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._later = False  # compact in a thread after the write (compact_later)
        self._archive_wanted = False
        self._compactor: threading.Thread | None = None
        super().__init__(*args, **kwargs)

    # --- the TinyDB Storage interface -------------------------------------------------

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the whole tree (TinyDB's fallback; our tables write single documents)."""
        tree = json.loads(dumps(data))
        check_tree(self.path, tree)
        with self.transaction():
            self._do(["t", tree])

    # --- single-document changes (inside a transaction) -------------------------------

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
        self._seen = Seen(self._seen.snapshot, file_sig(st), st.st_size)

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
        if self._vouch is not None and isinstance(tree, LazyTree):
            tree.vouched = self._vouch(tree)
        moved: Tree = {}
        quiet = self._activity.bound()  # (carried when the archiver has nothing to do)
        if (
            self._archiver is not None
            and archive
            and (unread is None or unread.loaded or self._activity.due())
        ):
            picked = self._archiver.select(tree)
            quiet = getattr(self._archiver, "quiet", None)
            moved = {
                name: {k: tree[name][k] for k in keys} for name, keys in picked.items() if keys
            }
        kept = tree
        if moved:
            changes = {
                name: {key: doc for key, doc in tree[name].items() if key not in docs}
                for name, docs in moved.items()
            }
            if isinstance(tree, LazyTree):
                kept = tree.derive(changes)
            else:
                kept = {name: table for name, table in tree.items() if name not in moved}
                kept.update(changes)
        info, kept_places, old_places = kept_segments(unread)
        fresh: list[bytes] = []
        if moved:
            assert self._archiver is not None
            for part in self._archiver.split(moved):
                segment = dumps(part)
                new = ArchiveInfo.of(segment, part, self._archiver.lookups(part))
                info = new if info is None else info.plus(new)
                fresh.append(segment)
                del segment
        if info is not None and not info.segments:
            info = None
        if info is not None:
            info = replace(info, quiet=quiet)
        named_before = self._archive_files
        if extra is not None:
            # (the bulk import: format 2, the segments copied into the snapshot itself)
            head_end = compact_streamed(self.names, kept, self.seq, info, kept_places, fresh, extra)
        else:
            if info is not None:
                # (should the snapshot fail below, a new file is left for the clean-up of
                # the next compaction: after its rename, the snapshot may name it)
                info, _ = write_archive(self.names, self.seq, info, kept_places, old_places, fresh)
            with Unchanged(self.names.snapshot, self._seen.snapshot, kept) as unchanged:
                # (the running top ids: no pass over every key of every table)
                head_end, parts = compact_parts(
                    self.names, kept, self.seq, info, (), unchanged, dict(self._max_ids)
                )
            if isinstance(kept, LazyTree):
                kept.rebased(parts, self._new_source())
        del fresh
        self._archive_files = tuple(info.files) if info is not None else ()
        self._activity = Activity(self._archiver, info.quiet if info is not None else None)
        # the new snapshot and `.bak` (the one read before) name what must stay
        remove_unnamed_archives(self.names, {*self._archive_files, *named_before})
        self._seen = Seen(stat_sig(self.names.snapshot), None, 0)
        self._head_bytes = head_end
        if info is None:
            self._close_unread()
            return
        # The segments are read from the files just written (ours: the lock is held);
        # what moved into them now lives only there.
        handle = open_binary(self.names.snapshot)  # noqa: SIM115
        try:
            opened = Unread.open(self.names.snapshot, info, handle, head_end)
        except BaseException:
            handle.close()
            raise
        self._close_unread()
        self._unread = opened
        if moved:
            # (`_max_ids` stays: the moved documents' ids are the archive's now)
            self._tree = kept
            self.version += 1
            for listener in self._listeners:
                listener.reset(kept)

    def _new_source(self) -> PartSource | None:
        """The snapshot just written, kept open to read its parts from when they are used
        (None when it cannot be opened: the tree then keeps those parts in memory)."""
        try:
            return PartSource(open_regular(self.names.snapshot))
        except (OSError, StoreError):
            return None

    def archive_due(self) -> bool:
        """Does the working set hold enough for the archive to be worth a compaction?
        Checked at the first write after reading a snapshot that has no archive yet."""
        if self._archiver is None:
            return False
        picked = self._archiver.select(self._tree)
        count = max((len(keys) for keys in picked.values()), default=0)
        largest = max((len(table) for table in self._tree.values()), default=0)
        return count >= max(ARCHIVE_MIN, largest // ARCHIVE_SHARE)

    def compact_later(self, on: bool = True) -> None:
        """From now on (`on`), a write that makes a compaction due returns as soon as its
        record is durable, and the compaction runs right after in a thread of its own,
        under the same locks (the workstation: no key press waits for it). A torn journal
        tail is still folded in at once."""
        self._later = on

    def _maybe_compact(self) -> None:
        seen = self._seen
        size = seen.journal[2] if seen.journal else 0
        torn = size > seen.offset
        due = size > self._compact_limit()
        if not self._archive_checked:
            self._archive_checked = True
            # Only a snapshot without an archive (written before it existed, or by a
            # version without it) is split at once; once there is one, leads reach it
            # with the compactions the journal asks for, and the first write of every
            # process does not pay a scan of the working set (25 ms at 50,000 leads).
            if self._unread is None and self.archive_due():
                self._archive_wanted = due = True
        if not (torn or due):
            return
        if self._later and not torn:
            self._start_compactor()
            return
        self._compact_now()

    def _compact_limit(self) -> int:
        # Against the working set, not the whole file: replaying the journal competes with
        # parsing the working set at every open; the archive is not read then.
        return self._compact_bytes or max(MIN_COMPACT_BYTES, self._head_bytes // COMPACT_RATIO)

    def _compact_now(self) -> None:
        self._archive_wanted = False
        try:
            self._compact()
        except OSError:
            # The journal still holds everything; read the files afresh next time.
            self._seen = Seen(None, None, 0)

    def _start_compactor(self) -> None:
        running = self._compactor
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(
            target=self._compact_in_background, name="leadtui-compaction", daemon=True
        )
        self._compactor = thread
        thread.start()

    def _compact_in_background(self) -> None:
        """The compaction thread: lock, catch up, and compact if it is still due (another
        process may have done it meanwhile)."""
        try:
            with self.transaction():
                seen = self._seen
                size = seen.journal[2] if seen.journal else 0
                if self._archive_wanted or size > self._compact_limit():
                    self._compact_now()
        except StoreError:
            pass  # closed or unreadable meanwhile: the journal keeps everything

    def wait_for_compaction(self) -> None:
        """Return once a compaction running in the background has finished (call it, and
        `close`, without holding `thread_lock`: the compaction needs it to finish)."""
        running = self._compactor
        if running is not None and running is not threading.current_thread():
            running.join()

    def close(self) -> None:
        self.wait_for_compaction()
        super().close()


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


def _truncate_quietly(fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass
