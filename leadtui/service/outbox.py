"""The outbox: every write this process asked for, kept in order until the store has it.

Textual-free, thread-safe. A face (the workstation) `submit`s a `PendingWrite` at the key
press and starts one drainer (a thread) whenever `claim_drain()` says none runs. The
drainer calls `drain(apply, report)`: it hands writes to `apply` in order, removes each only
once `apply` returned (the store has it on disk) or refused it (`LeadError`: dropped with
its reason), and on any other failure (disk full, read-only folder, lock timeout) stops,
keeping that write and every later one: `unsaved` counts them until `retry()`.

Blitz session records coalesce: each is the whole session, so a newer record replaces a
queued older one of the same blitz (never the one being written).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from leadtui.domain.model import LeadError
from leadtui.io.csv_import import ImportFileError
from leadtui.service.gateway import PendingWrite

R = TypeVar("R")

#: Failures that mean "never": the write is dropped and the reason shown.
REFUSALS: tuple[type[Exception], ...] = (LeadError, ImportFileError)


@dataclass(frozen=True, slots=True)
class Drained(Generic[R]):
    """What happened to one write: saved (with `result`), refused or failed (`reason`)."""

    write: PendingWrite
    state: Literal["saved", "refused", "failed"]
    result: R | None = None
    reason: str = ""


class Outbox:
    """Pending writes in order; never drops one the store did not refuse."""

    def __init__(self) -> None:
        self._writes: deque[PendingWrite] = deque()
        self._lock = threading.Lock()
        self._seq = 0
        self._draining = False
        self._in_flight: PendingWrite | None = None
        self._failed = False

    # --- asking ---
    def next_seq(self) -> int:
        """A fresh sequence number for the next write (in submission order)."""
        with self._lock:
            self._seq += 1
            return self._seq

    def submit(self, write: PendingWrite) -> None:
        """Queue a write after every earlier one (a blitz record replaces its queued older one)."""
        with self._lock:
            if write.kind == "blitz":
                for index, queued in enumerate(self._writes):
                    if (
                        queued.kind == "blitz"
                        and queued is not self._in_flight
                        and queued.blitz_id == write.blitz_id
                    ):
                        self._writes[index] = write
                        return
            self._writes.append(write)

    # --- counting ---
    def __len__(self) -> int:
        return len(self._writes)

    def __bool__(self) -> bool:
        return bool(self._writes)

    def __iter__(self) -> Iterator[PendingWrite]:
        with self._lock:
            return iter(tuple(self._writes))

    @property
    def unsaved(self) -> int:
        """Writes that failed and wait for a retry (0 while things are fine)."""
        with self._lock:
            return len(self._writes) if self._failed else 0

    @property
    def saving(self) -> int:
        """Writes queued or in flight."""
        return len(self._writes)

    @property
    def failed(self) -> bool:
        """The last write failed; nothing is written until `retry()`."""
        return self._failed

    # --- draining ---
    def retry(self) -> None:
        """Clear the failure: the next `claim_drain()` starts writing again."""
        with self._lock:
            self._failed = False

    def claim_drain(self) -> bool:
        """True when the caller should start a drainer (none runs, nothing failed, work waits)."""
        with self._lock:
            if self._draining or self._failed or not self._writes:
                return False
            self._draining = True
            return True

    def drain(
        self, apply: Callable[[PendingWrite], R], report: Callable[[Drained[R]], None]
    ) -> None:
        """Write until empty or a failure (blocking; run by the one drainer `claim_drain` chose)."""
        try:
            while True:
                with self._lock:
                    if not self._writes:  # stop under the lock: a submit now starts a drainer
                        self._draining = False
                        return
                    write = self._in_flight = self._writes[0]
                try:
                    result = apply(write)
                except REFUSALS as exc:
                    self._pop(write)
                    report(Drained(write, "refused", reason=str(exc)))
                except Exception as exc:  # disk full, read-only, lock timeout, corrupt file
                    write.tries += 1
                    write.error = str(exc) or type(exc).__name__
                    with self._lock:
                        self._failed = True
                        self._draining = False
                        self._in_flight = None
                    report(Drained(write, "failed", reason=write.error))
                    return
                else:
                    self._pop(write)
                    report(Drained(write, "saved", result=result))
        finally:
            with self._lock:
                self._draining = False
                self._in_flight = None

    def _pop(self, write: PendingWrite) -> None:
        with self._lock:
            self._in_flight = None
            if self._writes and self._writes[0] is write:
                self._writes.popleft()
