"""The workstation's side of the outbox: one thread drainer, the toasts, the retry timer.

Every write the screens ask for (an outcome, an undo, a note, the blitz session record, a
CSV import) goes `Writes.submit` -> `service.outbox.Outbox` (kept in order, never dropped)
-> one thread worker (never `exclusive`, which would cancel a running write) ->
`StoreGateway.apply`. Results come back to the app as messages (`WriteSaved`,
`WriteRefused`, `WriteFailed`), which the app hands to `saved`, `refused`, `failed` here.
A failure keeps the write and every later one: the status line shows UNSAVED, `r` retries
now and a timer retries on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadtui.service.gateway import PendingWrite, WriteResult
from leadtui.service.outbox import Drained, Outbox
from leadtui.tui.formatting import booking_phrase, next_phrase
from leadtui.tui.guard import Guarded, guarded
from leadtui.tui.messages import WriteFailed, WriteRefused, WriteSaved

if TYPE_CHECKING:
    from textual.timer import Timer

    from leadtui.tui.app import LeadApp

RETRY_SECONDS = 5.0


class Writes(Guarded):
    """Drains the app's `Outbox` in a thread worker and tells the rep what happened."""

    def __init__(self, app: LeadApp, outbox: Outbox) -> None:
        self.app = app
        self.outbox = outbox
        self._retry_timer: Timer | None = None
        self._had_failure = False
        # The touches this screen logged, newest last, as (lead id, lead name, write seq):
        # `u` undoes exactly those (by the touch id the store gives back), nobody else's.
        self.logged_here: list[tuple[str, str, int]] = []

    # --- asking ---
    def submit(self, write: PendingWrite) -> None:
        """Queue a write; it is saved in order after every earlier one."""
        self.outbox.submit(write)
        if write.kind == "touch":
            self.logged_here.append((write.lead_id, write.lead_name, write.seq))
        self._drain()
        self.app.refresh_status()

    def retry(self) -> None:
        """Try the unsaved writes again now."""
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self.outbox.retry()
        self._drain()
        self.app.refresh_status()

    # --- the drainer ---
    def _drain(self) -> None:
        if self.outbox.claim_drain():
            self.app.run_worker(self._drain_in_thread, thread=True, group="writes",
                                exit_on_error=False, description="save outcomes")  # fmt: skip

    def _drain_in_thread(self) -> None:
        rep = self.app.settings.rep_name
        self.outbox.drain(lambda write: self.app.gateway.apply(write, rep), self._report)

    def _report(self, drained: Drained[WriteResult]) -> None:
        """From the drainer thread: hand the outcome to the app's event loop."""
        if drained.state == "saved":
            assert drained.result is not None
            self.app.post_message(WriteSaved(drained.result))
        elif drained.state == "refused":
            self.app.post_message(WriteRefused(drained.write, drained.reason))
        else:
            self.app.post_message(WriteFailed(drained.write, drained.reason))

    # --- results, on the event loop ---
    @guarded
    def saved(self, result: WriteResult) -> None:
        app = self.app
        write = result.write
        now = app.clock.now()
        if write.kind == "touch":
            tz = result.lead.timezone if result.lead else "UTC"
            text = f"{write.outcome} logged for {write.lead_name}"
            if write.booked is not None:
                booking = booking_phrase(write.booked, result.action, tz, now)
                text += f" before the booked time: {booking}"
            text += "\nnext: " + next_phrase(result.action, tz, now)
            app.notify(text, title="Saved", markup=False, timeout=4)
        elif write.kind == "undo":
            what = f"{result.touch.outcome}" if result.touch else "nothing to undo"
            app.notify(f"Undone: {what} for {write.lead_name}", markup=False, timeout=3)
        elif write.kind == "note":
            app.notify(f"Note saved for {write.lead_name}", markup=False, timeout=3)
        elif write.kind == "import" and result.imported is not None:
            report = result.imported
            message = f"{report.imported} imported, {report.duplicates} already known"
            if report.format:
                message = f"looks like a {report.format} export: {message}"
            if report.rejected:
                first = report.rejected[0]
                message += (
                    f", {report.rejected_total} rejected (line {first.line}: {first.reason})"
                )
            app.notify(message, title="Import", markup=False, timeout=10,
                       severity="warning" if report.rejected else "information")  # fmt: skip
        app.written_signal.publish(result)
        if write.kind != "blitz":  # a session record changes no lead
            app.live.request_refresh()
        app.refresh_status()
        if not self.outbox and self._had_failure:
            self._had_failure = False
            app.notify("All unsaved outcomes are saved now.", title="Saved", timeout=4)

    @guarded
    def refused(self, write: PendingWrite, reason: str) -> None:
        app = self.app
        if write.kind == "import":
            app.notify(reason, title="Import", severity="error", markup=False, timeout=10)
        else:
            self.logged_here = [entry for entry in self.logged_here if entry[2] != write.seq]
            app.bell()
            app.notify(reason, title="Not logged", severity="error", markup=False, timeout=8)
        app.refresh_status()
        self._drain()

    @guarded
    def failed(self, write: PendingWrite, error: str) -> None:
        app = self.app
        if not self._had_failure or write.tries == 1:
            app.bell()
            app.notify(
                f"Could not save {write.describe()}: {error}\n"
                f"It is kept and retried every {RETRY_SECONDS:g}s (r retries now).",
                title="NOT SAVED",
                severity="error",
                markup=False,
                timeout=10,
            )
        self._had_failure = True
        app.refresh_status()
        if self._retry_timer is None:
            self._retry_timer = app.set_timer(RETRY_SECONDS, self._auto_retry)

    @guarded
    def _auto_retry(self) -> None:
        self._retry_timer = None
        self.retry()
