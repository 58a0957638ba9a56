"""File helpers of the store: the database's file names, and writing and opening its files
safely (new files mode 0600 and fsynced, atomic replacement with a directory fsync, never
through a symbolic link or into a FIFO).
"""

from __future__ import annotations

import errno
import gc
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from leadtui.paths import fsync_dir
from leadtui.store.protocol import StoreError

FILE_MODE = 0o600

Sig = tuple[int, int, int, int]  # device, inode, size, mtime (ns)


@dataclass(frozen=True, slots=True)
class FileNames:
    """Every file belonging to one database."""

    snapshot: Path

    @property
    def journal(self) -> Path:
        return self._sibling(".journal")

    @property
    def backup(self) -> Path:
        """The previous snapshot, kept at each compaction."""
        return self._sibling(".bak")

    @property
    def journal_backup(self) -> Path:
        """The journal that led from `backup` to the current snapshot."""
        return self._sibling(".journal.bak")

    @property
    def lock(self) -> Path:
        return self._sibling(".lock")

    def temp(self) -> Path:
        """A fresh name for a file being written (renamed into place when complete)."""
        return self._sibling(f".tmp-{os.getpid()}-{secrets.token_hex(4)}")

    def temps(self) -> Iterator[Path]:
        """Left-over temporary files (from a crash during a write)."""
        return self.snapshot.parent.glob(self.snapshot.name + ".tmp-*")

    def new_archive(self, seq: int) -> Path:
        """A fresh name for an archive file written with a snapshot of record `seq`."""
        return self._sibling(f".archive-{seq}-{secrets.token_hex(4)}")

    def archives(self) -> list[Path]:
        """The archive files of this database in its folder, by name (links and other odd
        entries included: nothing is followed or opened), sorted."""
        pattern = re.compile(re.escape(self.snapshot.name) + r"\.archive-[0-9]{1,20}-[0-9a-f]{8}")
        try:
            with os.scandir(self.snapshot.parent) as entries:
                found = [entry.name for entry in entries if pattern.fullmatch(entry.name)]
        except FileNotFoundError:
            return []
        return [self.snapshot.with_name(name) for name in sorted(found)]

    def _sibling(self, suffix: str) -> Path:
        return self.snapshot.with_name(self.snapshot.name + suffix)


# --- writing --------------------------------------------------------------------------


def write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write until every byte is written."""
    view = memoryview(data)
    while view:
        done = os.write(fd, view)
        view = view[done:]


def create_private(path: Path, flags: int = os.O_WRONLY) -> int:
    """Create a new file mode 0600 (umask ignored) and return its descriptor."""
    fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_new_file(path: Path, data: bytes | Iterable[bytes | memoryview]) -> None:
    """Write `data` (bytes, or chunks of them) to a new file (0600) and fsync it; removes
    it again on failure."""
    fd = create_private(path)
    try:
        for chunk in [data] if isinstance(data, bytes) else data:
            write_all(fd, chunk)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def replace_atomically(path: Path, data: bytes, names: FileNames) -> None:
    """Write `data` to a temporary file, fsync, rename over `path`, fsync the directory."""
    temp = names.temp()
    write_new_file(temp, data)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def keep_copy(source: Path, target: Path, names: FileNames) -> None:
    """Make `target` a durable copy of `source` (a hard link where possible)."""
    temp = names.temp()
    try:
        os.link(source, temp)
    except OSError:
        write_new_file(temp, source.read_bytes())
    os.replace(temp, target)
    # rename() does nothing when both names already link the same file (target was kept
    # from `source` before): do not leave the temporary name behind then
    temp.unlink(missing_ok=True)


def copy_chunks(fd: int, offset: int, length: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """`length` bytes of the open file `fd` from `offset`, a megabyte at a time."""
    end = offset + length
    while offset < end:
        data = os.pread(fd, min(chunk, end - offset), offset)
        if not data:
            raise OSError(f"the file ended at byte {offset} of {end} while copying it")
        offset += len(data)
        yield data


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while building many long-lived objects: CPython
    would otherwise rescan them all several times as they accumulate (most of the cost
    of reading 200,000 touches). Nothing built here forms reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def open_regular(path: Path, flags: int = os.O_RDONLY) -> int:
    """Open one of the database's own files: never through a symbolic link, never a FIFO,
    socket or device (opened without blocking, then checked: a FIFO would hang the command
    while it holds the lock). StoreError "not a regular file" otherwise; OSError as usual
    (FileNotFoundError included) for the rest."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(
                f"{path}: not a regular file (a symbolic link; leadtui never follows links "
                "to its own files: `leadtui doctor --repair` removes it)"
            ) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise StoreError(f"{path}: not a regular file ({_kind(mode)})")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link")):  # fmt: skip
        if test(mode):
            return name
    return "not a file"


def odd_file(path: Path) -> str | None:
    """What sits at `path` when it is not a regular file (checked with lstat: a link is a
    link, never followed); None when it is a regular file or nothing is there."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def open_binary(path: Path) -> BinaryIO:
    """`open_regular` as a binary file object."""
    return os.fdopen(open_regular(path), "rb")


def read_bytes(path: Path, offset: int = 0) -> bytes:
    """The file's bytes from `offset` to its end."""
    with open_binary(path) as handle:
        if offset:
            handle.seek(offset)
        return handle.read()


def file_sig(st: os.stat_result) -> Sig:
    """What tells whether a file changed: device, inode, size, mtime."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def stat_sig(path: Path) -> Sig | None:
    """`file_sig` of the file at `path`; None when nothing is there."""
    try:
        return file_sig(os.stat(path))
    except FileNotFoundError:
        return None
