"""Writes that are never dropped: an ordered outbox drained by one thread worker at a time.

The rep's key press becomes a `PendingWrite` in the outbox at once. A thread worker (never
`exclusive`, which would cancel a running write) takes writes in order and hands each to the
store; only when the store returns is it removed and confirmed on screen. A write the store
refuses (`LeadError`, e.g. a do-not-call lead) is dropped with its reason shown. Any other
failure (disk full, read-only folder, lock timeout) keeps it, and every later one, in the
outbox: the status line shows UNSAVED, `r` retries now and a timer retries on its own.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from textual import work

from leadtui.domain.model import LeadError
from leadtui.service.gateway import PendingWrite
from leadtui.tui.formatting import booking_phrase, next_phrase
from leadtui.tui.guard import guarded
from leadtui.tui.messages import WriteFailed, WriteRefused, WriteSaved

if TYPE_CHECKING:
    from textual.timer import Timer

    from leadtui.tui.app import LeadApp

RETRY_SECONDS = 5.0


class WriterMixin:
    """The outbox half of `LeadApp`."""

    def _init_writer(self: LeadApp) -> None:
        self.outbox: deque[PendingWrite] = deque()
        self._outbox_lock = threading.Lock()
        self._writing = False
        self._write_failed = False
        self._seq = 0
        self._retry_timer: Timer | None = None
        self._had_failure = False
        # The touches this screen logged, newest last, as (lead id, lead name, write seq):
        # `u` undoes exactly those (by the touch id the store gives back), nobody else's.
        self.logged_here: list[tuple[str, str, int]] = []

    # --- public ---
    def submit(self: LeadApp, write: PendingWrite) -> None:
        """Queue a write; it is saved in order after every earlier one."""
        with self._outbox_lock:
            self.outbox.append(write)
        if write.kind == "touch":
            self.logged_here.append((write.lead_id, write.lead_name, write.seq))
        self._drain()
        self.refresh_status()

    def next_seq(self: LeadApp) -> int:
        self._seq += 1
        return self._seq

    @property
    def unsaved(self: LeadApp) -> int:
        """Writes that failed and wait for a retry (0 while things are fine)."""
        return len(self.outbox) if self._write_failed else 0

    @property
    def saving(self: LeadApp) -> int:
        """Writes queued or in flight."""
        return len(self.outbox)

    def retry_writes(self: LeadApp) -> None:
        """Try the unsaved writes again now."""
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self._write_failed = False
        self._drain()
        self.refresh_status()

    # --- the worker ---
    def _drain(self: LeadApp) -> None:
        with self._outbox_lock:
            if self._writing or self._write_failed or not self.outbox:
                return
            self._writing = True
        self._write_worker()

    @work(thread=True, group="writes", exit_on_error=False, description="save outcomes")
    def _write_worker(self: LeadApp) -> None:
        rep = self.settings.rep_name
        try:
            while True:
                with self._outbox_lock:
                    if not self.outbox:
                        return
                    write = self.outbox[0]
                try:
                    result = self.gateway.apply(write, rep)
                except LeadError as exc:
                    self._pop(write)
                    self.post_message(WriteRefused(write, str(exc)))
                except Exception as exc:  # disk full, read-only, lock timeout, corrupt file
                    write.tries += 1
                    write.error = str(exc) or type(exc).__name__
                    with self._outbox_lock:
                        self._write_failed = True
                    self.post_message(WriteFailed(write, write.error))
                    return
                else:
                    self._pop(write)
                    self.post_message(WriteSaved(result))
        finally:
            with self._outbox_lock:
                self._writing = False

    def _pop(self: LeadApp, write: PendingWrite) -> None:
        with self._outbox_lock:
            if self.outbox and self.outbox[0] is write:
                self.outbox.popleft()

    # --- results, on the event loop (message handlers by naming convention) ---
    def on_write_saved(self: LeadApp, message: WriteSaved) -> None:
        result = message.result
        write = result.write
        now = self.clock.now()
        if write.kind == "touch":
            tz = result.lead.timezone if result.lead else "UTC"
            text = f"{write.outcome} logged for {write.lead_name}"
            if write.booked is not None:
                booking = booking_phrase(write.booked, result.action, tz, now)
                text += f" before the booked time: {booking}"
            text += "\nnext: " + next_phrase(result.action, tz, now)
            self.notify(text, title="Saved", markup=False, timeout=4)
        elif write.kind == "undo":
            what = f"{result.touch.outcome}" if result.touch else "nothing to undo"
            self.notify(f"Undone: {what} for {write.lead_name}", markup=False, timeout=3)
        else:
            self.notify(f"Note saved for {write.lead_name}", markup=False, timeout=3)
        self.written_signal.publish(result)
        self.request_refresh()
        self.refresh_status()
        if not self.outbox and self._had_failure:
            self._had_failure = False
            self.notify("All unsaved outcomes are saved now.", title="Saved", timeout=4)

    def on_write_refused(self: LeadApp, message: WriteRefused) -> None:
        seq = message.write.seq
        self.logged_here = [entry for entry in self.logged_here if entry[2] != seq]
        self.bell()
        self.notify(message.reason, title="Not logged", severity="error", markup=False, timeout=8)
        self.refresh_status()
        self._drain()

    def on_write_failed(self: LeadApp, message: WriteFailed) -> None:
        if not self._had_failure or message.write.tries == 1:
            self.bell()
            self.notify(
                f"Could not save {message.write.describe()}: {message.error}\n"
                f"It is kept and retried every {RETRY_SECONDS:g}s (r retries now).",
                title="NOT SAVED",
                severity="error",
                markup=False,
                timeout=10,
            )
        self._had_failure = True
        self.refresh_status()
        if self._retry_timer is None:
            self._retry_timer = self.set_timer(RETRY_SECONDS, self._auto_retry)

    @guarded
    def _auto_retry(self: LeadApp) -> None:
        self._retry_timer = None
        self.retry_writes()
