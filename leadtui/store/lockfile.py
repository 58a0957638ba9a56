"""The cross-process lock of a database: `fcntl.flock` on `<db>.lock`.

flock locks belong to an open file description, so two stores in one process (two
descriptors) exclude each other like two processes do. Threads of one store share its
descriptor; the storage serialises them with its own thread lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from leadtui.store.files import create_private, open_regular
from leadtui.store.protocol import StoreError


class LockFile:
    """Shared and exclusive locks on one lock file (created 0600 when missing)."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._fd = _open(path, create)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """For reading. Without a lock file (read-only directory) reads go unlocked."""
        if self._fd is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @property
    def usable(self) -> bool:
        return self._fd is not None

    def acquire_exclusive(self) -> None:
        if self._fd is None:
            raise StoreError(f"{self.path}: cannot open the lock file, so cannot write")
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        self.acquire_exclusive()
        try:
            yield
        finally:
            self.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _open(path: Path, create: bool) -> int | None:
    if create:
        try:
            return create_private(path, os.O_RDWR)
        except FileExistsError:
            pass
        except OSError:
            return None  # read-only directory: reads work unlocked, writes fail clearly
    for flags in (os.O_RDWR, os.O_RDONLY):
        try:
            return open_regular(path, flags)  # a link or a FIFO: StoreError, never a hang
        except PermissionError:
            continue
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.EROFS:
                continue
            return None
    return None
