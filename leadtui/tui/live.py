"""The live queue: snapshots, the one-second tick, outside changes and claims.

`LiveQueue` is an object the app owns (`app.live`); its worker results come back to the
app as messages (`SnapshotReady`, `RefreshFailed`, `StoreChanged`, `ClaimDone`), which the
app hands to the matching method here.

- `request_refresh()` re-ranks the queue in a thread worker; requests made while one runs
  are merged into one more run, so a burst of changes costs two ranks, not twenty.
- The tick (every second) only publishes `now`: screens rewrite the cells whose text
  changed. It re-ranks only when the snapshot says the due set can change (a due time
  passes, a calling window opens or shuts) and polls `store.changed()` in a thread worker,
  so another rep's write or a `leadtui add` shows up within about a second.
- Claims: the lead under the rep's cursor is claimed (coalesced: one claim write in flight
  at a time), renewed while the screen runs and the rep pressed a key in the last 15
  minutes (a long call), released on quit; a claim not renewed expires after the claim
  TTL (2 minutes), so a crashed screen never holds a lead for long.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual.signal import Signal

from leadtui.domain.model import Lead
from leadtui.service.gateway import FIRST_PAGE_ROWS, Snapshot, empty_snapshot
from leadtui.tui.guard import Guarded, guarded
from leadtui.tui.messages import ClaimDone, RefreshFailed, SnapshotReady, StoreChanged

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp

TICK_SECONDS = 1.0
#: Rows of the queue read before the first frame (more than a terminal shows); the whole
#: page (gateway.PAGE_ROWS) is read right after the screen is up.
FIRST_PAGE = FIRST_PAGE_ROWS
#: Re-ranking because time passed (a due time came, a window opened) happens at most this
#: often: at 50,000 leads a rank costs tens of ms of CPU, and a lead due a few seconds late
#: on screen costs nothing. Changes in the store re-rank at once.
TIME_RERANK_SECONDS = 15
#: A running screen keeps renewing its claim through a long call without key presses;
#: after this long without a key the claim is left to expire (the rep walked away).
KEEP_CLAIM_IDLE = timedelta(minutes=15)
#: New leads that land within this long of each other are told in one toast ("8 new leads").
NEW_LEAD_GATHER_SECONDS = 0.8
NAMES_IN_TOAST = 3


class LiveQueue(Guarded):
    """Keeps `snapshot` fresh, ticks every second, polls the store and holds the claim."""

    def __init__(self, app: LeadApp) -> None:
        self.app = app
        self.clock = app.clock
        self.snapshot: Snapshot = empty_snapshot(self.clock.now())
        self.queue_ready = False  # False until the first snapshot (the queue is loading)
        self.snapshot_signal: Signal[Snapshot] = Signal(app, "snapshot")
        self.tick_signal: Signal[datetime] = Signal(app, "tick")
        self._refreshing = False
        self._refresh_again = False
        self._polling = False
        self._read_error = ""
        self.claimed: str | None = None  # the lead this session holds a claim on
        self._claimed_at: datetime | None = None
        self._claim_wanted: str | None = None
        self._claiming = False
        self.last_activity = self.clock.now()
        self._new_leads: list[Lead] = []  # arrived, not yet told (gathered; held under dialogs)
        self._new_count = 0  # how many arrived and were not told yet (names: `_new_leads`)
        self.needle = ""  # the workstation's filter text: snapshots also read its page
        self._primed_short = False  # the primed snapshot holds only FIRST_PAGE rows
        self._short_next = False  # the next refresh reads only FIRST_PAGE rows
        self._awaiting_full = False  # a short first refresh was read: the page follows
        self._new_lead_timer: object | None = None

    def _in_thread(
        self, group: str, description: str, work: Callable[..., None], *args: Any
    ) -> None:
        """Run `work(*args)` in a thread worker of the app (never exclusive)."""
        self.app.run_worker(lambda: work(*args), thread=True, group=group,
                            exit_on_error=False, description=description)  # fmt: skip

    @property
    def read_error(self) -> str:
        """Why the last refresh could not read the store ("" when it could)."""
        return self._read_error

    def prime_queue(self, first: Future[Snapshot] | None = None) -> None:
        """Rank the first queue now, before the app runs. In one thread this costs about
        40% less than ranking in a worker while the screen mounts and paints (they share
        the GIL), and the first screen shows the queue instead of "loading". A failure is
        left to the first refresh, which reports it on screen."""
        try:
            if first is not None:  # read while the app was being built
                self.snapshot = first.result()
            else:
                self.snapshot = self.app.gateway.snapshot(self.clock.now(), rows=FIRST_PAGE)
        except Exception:
            return
        self.queue_ready = True
        self._primed_short = len(self.snapshot.entries) >= FIRST_PAGE

    def start(self) -> None:
        """Start the tick and the first refresh (called once the screen is up; a queue
        primed before the app started needs none)."""
        if not self.queue_ready:  # nothing primed: the first rows first, here too
            self._short_next = True
            self.request_refresh()
        elif self._primed_short:  # the whole page follows the first frame, once it is drawn
            self.app.call_after_refresh(self.request_refresh)
        self.app.set_interval(TICK_SECONDS, self.tick)

    # --- snapshots ---
    def request_refresh(self) -> None:
        """Re-rank the queue soon (in a thread); merges with a refresh already running."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        self._in_thread("refresh", "rank the queue", self._refresh_worker, self.clock.now(),
                        self.needle)  # fmt: skip

    def set_filter(self, needle: str) -> None:
        """The workstation filters by `needle` (any case; "" for none): the next
        snapshots read its first rows as well (asked for now when it is new)."""
        needle = needle.casefold()
        if needle == self.needle:
            return
        self.needle = needle
        if needle and needle != self.snapshot.needle:
            self.request_refresh()

    def _snapshot(self, now: datetime, needle: str) -> Snapshot:
        gateway = self.app.gateway
        if needle:
            return gateway.snapshot(now, needle)
        if self._short_next:  # (the first refresh of an unprimed queue: see `start`)
            self._short_next = False
            self._awaiting_full = True
            return gateway.snapshot(now, rows=FIRST_PAGE)
        return gateway.snapshot(now)

    def _refresh_worker(self, now: datetime, needle: str) -> None:  # in a thread (rank the queue)
        try:
            snapshot = self._snapshot(now, needle)
        except Exception as exc:  # a damaged or unreadable file: keep the last good queue
            self.app.post_message(RefreshFailed(str(exc) or type(exc).__name__))
        else:
            self.app.post_message(SnapshotReady(snapshot))

    @guarded
    def snapshot_ready(self, message: SnapshotReady) -> None:
        self._refreshing = False
        snapshot = message.snapshot
        self.snapshot = snapshot
        self.queue_ready = True
        if self._awaiting_full:  # the whole page once this first one is drawn
            self._awaiting_full = False
            if len(snapshot.entries) >= FIRST_PAGE:
                self.app.call_after_refresh(self.request_refresh)
        if self._read_error:
            self._read_error = ""
            self.app.notify("The lead store can be read again.", timeout=4)
        if snapshot.new_count:
            self._announce(snapshot.new_leads, snapshot.new_count)
        self.snapshot_signal.publish(snapshot)
        if self._refresh_again:
            self._refresh_again = False
            self.request_refresh()

    @guarded
    def refresh_failed(self, message: RefreshFailed) -> None:
        self._refreshing = False
        if message.error != self._read_error:
            self._read_error = message.error
            if not self.queue_ready:
                self.snapshot_signal.publish(self.snapshot)  # say why there is no queue
            self.app.notify(
                f"Could not read the leads: {message.error}\nShowing the last good queue.",
                title="Store problem",
                severity="error",
                markup=False,
                timeout=10,
            )
        if self._refresh_again:
            self._refresh_again = False
            self.request_refresh()

    def _announce(self, leads: Sequence[Lead], count: int) -> None:
        """Ring at once; tell them in one toast once the burst is over and no dialog is up.
        `count` leads arrived; `leads` names the first of them."""
        self.app.bell()
        self._new_leads.extend(leads)
        self._new_count += count
        if self._new_lead_timer is None:
            self._new_lead_timer = self.app.set_timer(NEW_LEAD_GATHER_SECONDS, self.tell_new_leads)

    def tell_new_leads(self) -> None:
        """One toast for the new leads gathered so far (kept while a dialog is open: the
        screen behind it calls this again when it is back)."""
        from leadtui.tui.screens.dialog import DialogScreen

        self._new_lead_timer = None
        leads, count = self._new_leads, self._new_count
        if not count or isinstance(self.app.screen, DialogScreen):
            return
        self._new_leads, self._new_count = [], 0
        if count == 1 and leads:
            lead = leads[0]
            source = f" · {lead.source}" if lead.source else ""
            self.app.notify(f"{lead.name}{source}", title="New lead", markup=False, timeout=6)
            return
        names = ", ".join(lead.name for lead in leads[:NAMES_IN_TOAST])
        more = f" and {count - NAMES_IN_TOAST} more" if count > NAMES_IN_TOAST else ""
        self.app.notify(f"{names}{more}", title=f"{count} new leads", markup=False, timeout=6)

    # --- the tick ---
    @guarded
    def tick(self) -> None:
        """Once a second: publish the time, re-rank when due, poll for outside changes."""
        now = self.clock.now()
        snapshot = self.snapshot
        if now >= snapshot.next_change_at and (
            (now - snapshot.ranked_at).total_seconds() >= TIME_RERANK_SECONDS
        ):
            self.request_refresh()
        self.tick_signal.publish(now)
        self.poll_store()
        self._renew_claim(now)

    def poll_store(self) -> None:
        """Ask (in a thread) whether another process wrote; refresh if so."""
        if self._polling:
            return
        self._polling = True
        self._in_thread("poll", "poll the store", self._poll_worker)

    def _poll_worker(self) -> None:  # in a thread (poll the store)
        try:
            if self.app.gateway.changed():
                self.app.post_message(StoreChanged())
        except Exception:  # the refresh reports read problems; polling stays quiet
            self.app.post_message(StoreChanged())
        finally:
            self._polling = False

    @guarded
    def store_changed(self, message: StoreChanged) -> None:
        self.request_refresh()

    # --- claims ---
    def rest_on(self, lead_id: str | None) -> None:
        """The rep's cursor is on `lead_id`: claim it (others see it as taken)."""
        self.last_activity = self.clock.now()
        if lead_id is None or lead_id == self.claimed:
            return
        self._claim_wanted = lead_id
        if not self._claiming:
            self._claiming = True
            self._in_thread("claims", "claim a lead", self._claim_worker, lead_id, self.clock.now())

    def _claim_worker(self, lead_id: str, now: datetime) -> None:  # in a thread (claim a lead)
        try:
            ttl = self.app.settings.claim_ttl_seconds
            got = self.app.gateway.claim_lead(lead_id, self.app.settings.rep_name, now, ttl)
        except Exception:  # a claim is a courtesy to other reps; never block the rep on it
            self.app.post_message(ClaimDone(None, now))
        else:
            # Another rep opened it first: it is not ours, and the queue must show it as
            # taken at once (dial and log then ask first), not at the next change heard.
            self.app.post_message(ClaimDone(lead_id if got else None, now, refused=not got))

    @guarded
    def claim_done(self, message: ClaimDone) -> None:
        self._claiming = False
        if message.refused:
            self.claimed = None  # the store ended this session's previous claim
            self.request_refresh()
        if message.lead_id is None:
            self._claim_wanted = None  # no retry storm; the next cursor move tries again
        else:
            self.claimed = message.lead_id
            self._claimed_at = message.at
        wanted = self._claim_wanted
        if wanted is not None and wanted != self.claimed:
            self._claiming = True
            self._in_thread("claims", "claim a lead", self._claim_worker, wanted, self.clock.now())

    def _renew_claim(self, now: datetime) -> None:
        if self.claimed is None or self._claimed_at is None or self._claiming:
            return
        ttl = timedelta(seconds=self.app.settings.claim_ttl_seconds)
        if now - self._claimed_at >= ttl / 2 and now - self.last_activity < KEEP_CLAIM_IDLE:
            self._claiming = True
            self._in_thread("claims", "claim a lead", self._claim_worker, self.claimed, now)
