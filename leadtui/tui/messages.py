"""Messages the workers post back to the app (thread-safe `post_message`).

The ones that can arrive in floods (a fresh snapshot, "someone else wrote") implement
`can_replace`, so a queue of them collapses to the newest.
"""

from __future__ import annotations

from textual.message import Message

from leadtui.service.gateway import PendingWrite, Snapshot, WriteResult


class SnapshotReady(Message):
    """A freshly ranked queue."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class StoreChanged(Message):
    """Another process wrote to the store: re-read it."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreChanged)


class RefreshFailed(Message):
    """The store could not be read (the screen keeps the last good queue)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshFailed)


class WriteSaved(Message):
    """A pending write is durable."""

    def __init__(self, result: WriteResult) -> None:
        super().__init__()
        self.result = result


class WriteRefused(Message):
    """The store refused a write (a `LeadError`): it is dropped, the reason shown."""

    def __init__(self, write: PendingWrite, reason: str) -> None:
        super().__init__()
        self.write = write
        self.reason = reason


class WriteFailed(Message):
    """A write could not be made durable (disk full, read-only, lock): kept to retry."""

    def __init__(self, write: PendingWrite, error: str) -> None:
        super().__init__()
        self.write = write
        self.error = error


class ClaimDone(Message):
    """A claim write finished (`lead_id` None: it failed; claims are best effort)."""

    def __init__(self, lead_id: str | None, at: object) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.at = at
