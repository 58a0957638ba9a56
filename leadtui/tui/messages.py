"""Messages the workers post back to the app (thread-safe `post_message`).

Dataclass messages (Textual's `Message.__post_init__` sets up what `__init__` would). The
ones that can arrive in floods (a fresh snapshot, "someone else wrote", a read failure)
implement `can_replace`, so a queue of them collapses to the newest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from leadtui.service.gateway import PendingWrite, Snapshot, WriteResult


@dataclass
class SnapshotReady(Message):
    """A freshly ranked queue."""

    snapshot: Snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


@dataclass
class StoreChanged(Message):
    """Another process wrote to the store: re-read it."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreChanged)


@dataclass
class RefreshFailed(Message):
    """The store could not be read (the screen keeps the last good queue)."""

    error: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshFailed)


@dataclass
class WriteSaved(Message):
    """A pending write is durable."""

    result: WriteResult


@dataclass
class WriteRefused(Message):
    """The store refused a write (a `LeadError`): it is dropped, the reason shown."""

    write: PendingWrite
    reason: str


@dataclass
class WriteFailed(Message):
    """A write could not be made durable (disk full, read-only, lock): kept to retry."""

    write: PendingWrite
    error: str


@dataclass
class ClaimDone(Message):
    """A claim write finished (`lead_id` None: it failed, claims being best effort, or
    was `refused`: another rep had the lead open first)."""

    lead_id: str | None
    at: datetime
    refused: bool = False
