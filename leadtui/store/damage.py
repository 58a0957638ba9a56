"""The errors a database file raises when it cannot be used: damaged, or too new.

Each names the file, what is wrong with it, and what to do (`leadtui doctor`, or an
upgrade); the file is always left as it was.
"""

from __future__ import annotations

from pathlib import Path

from leadtui.store.protocol import StoreError

DOCTOR_HINT = "run `leadtui doctor` (then `leadtui doctor --repair` to restore the last good state)"


class StoreDamaged(StoreError):
    """A file of the database is unreadable, truncated or of the wrong shape."""


class StoreTooNew(StoreError):
    """The database was written by a newer leadtui."""


def damaged(path: Path, problem: str) -> StoreDamaged:
    """The error for a damaged file: names it, says what is wrong and what to do."""
    return StoreDamaged(f"{path}: {problem}; the file was left unchanged: {DOCTOR_HINT}")


def too_new(path: Path, what: str, found: int, known: int) -> StoreTooNew:
    """The error for a file from a newer leadtui."""
    return StoreTooNew(
        f"{path} was written by a newer leadtui ({what} {found}; this version reads up to "
        f"{known}): upgrade leadtui to open it; the file was left unchanged"
    )
