"""The call blitz: a countdown, tallies and pace, and one due lead after another.

Outcome keys are the workstation's own bindings and go through the same path
(`tui.outcomes.log_outcome`, with this session's `blitz_id`): one way to log an outcome.
After each saved outcome the next due lead nobody else has open comes up.

The session is saved at the start, after every saved outcome (or undo), on pause, and at
the end; quitting mid-blitz marks it ended early (`close_for_quit`), and a crash leaves a
record that history shows as ended early once its time has passed. Saves go through the
app's outbox like every other write (in order, retried, never dropped); a queued older
record is replaced by the newest (each is the whole state).

Cheap over SSH: the app's one-second tick reaches only `_on_tick`, which hands the time to
the timer, tallies and lead widgets; each repaints only when its own text changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from weakref import WeakKeyDictionary

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static

from leadtui.domain.blitz import BlitzSession
from leadtui.domain.model import Outcome, QueueEntry
from leadtui.domain.scripts import script_for
from leadtui.service.gateway import PendingWrite, Snapshot, WriteResult
from leadtui.tui.dialer import dial_lead
from leadtui.tui.guard import Guarded
from leadtui.tui.keys import BLITZ_BINDINGS, LEAD_BINDINGS, OUTCOME_BINDINGS
from leadtui.tui.outcomes import ask_note, copy_id, copy_phone, log_outcome, undo_last
from leadtui.tui.screens.blitz_summary import BlitzSummaryScreen
from leadtui.tui.screens.confirm import ConfirmScreen
from leadtui.tui.screens.help import HelpScreen
from leadtui.tui.widgets.blitz_lead import BlitzLead
from leadtui.tui.widgets.blitz_notes import BlitzNotes
from leadtui.tui.widgets.blitz_tallies import BlitzTallies
from leadtui.tui.widgets.blitz_timer import BlitzTimer
from leadtui.tui.widgets.dial_banner import DialBanner
from leadtui.tui.widgets.key_bar import KeyBar
from leadtui.tui.widgets.script_pane import ScriptPane

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp

BLITZ_MODE = "blitz"  # the screen mode a blitz runs in (see tui/modes.py)



class BlitzScreen(Guarded, Screen[None]):
    """A timed calling session over the due queue."""

    app: LeadApp
    BINDINGS: ClassVar[list[BindingType]] = [*OUTCOME_BINDINGS, *LEAD_BINDINGS, *BLITZ_BINDINGS]
    running: ClassVar[WeakKeyDictionary[App[Any], BlitzScreen]] = WeakKeyDictionary()
    """The blitz screen of each app, while one is mounted."""
    ROUTES_KEYS = True  # keys run in arrival order (tui/key_hold.py)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    DEFAULT_CSS = """
    BlitzScreen {
        & > #blitz-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
        & > #blitz-top { height: 4; }
        & > #blitz-body { height: 1fr; border-top: solid $panel; layout: vertical; }
        & #blitz-script { height: 1fr; }
        & #blitz-notes {
            dock: top; height: auto; max-height: 4; border-bottom: dashed $panel;
        }
        &.-wide #blitz-body { layout: horizontal; }
        &.-wide #blitz-notes {
            dock: none; width: 1fr; height: 1fr; max-height: 100%; border-bottom: none;
            border-left: vkey $panel;
        }
        &.-wide #blitz-script { width: 1fr; }
    }
    """

    def __init__(self, minutes: float = 60.0, goal: int | None = None) -> None:
        super().__init__(id="blitz")
        self._minutes = minutes
        self._goal = goal
        self.session: BlitzSession | None = None
        self.current_id: str | None = None
        self._advance_after: tuple[str, int] | None = None
        self._ended = False

    def compose(self) -> ComposeResult:
        yield Static(id="blitz-title")
        with Horizontal(id="blitz-top"):
            yield BlitzTimer(id="blitz-timer")
            yield BlitzTallies(id="blitz-tallies")
        yield BlitzLead(id="blitz-lead")
        with Horizontal(id="blitz-body"):
            yield ScriptPane(id="blitz-script")
            yield BlitzNotes(id="blitz-notes")
        yield DialBanner(id="dial-banner")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        app = self.app
        BlitzScreen.running[app] = self
        now = app.clock.now()
        self.session = BlitzSession.start(now, self._minutes, self._goal)
        goal = f" · goal {self._goal} dials" if self._goal is not None else ""
        started = now.astimezone()
        self.query_one("#blitz-title", Static).update(
            f"CALL BLITZ · {self._minutes:g} min{goal} · started {started:%H:%M}"
        )
        app.live.tick_signal.subscribe(self, self._on_tick)
        app.live.snapshot_signal.subscribe(self, self._on_snapshot)
        app.written_signal.subscribe(self, self._on_written)
        self.save()
        self._on_snapshot(app.live.snapshot)
        self._on_tick(now)
        app.live.request_refresh()

    def on_screen_resume(self) -> None:
        self.app.live.tell_new_leads()  # new leads that came while a dialog was open

    # --- the clock ---
    def _on_tick(self, now: datetime) -> None:
        session = self.session
        if session is None:
            return
        self.query_one(BlitzTimer).show(
            session.remaining(now), session.progress(now), session.state(now)
        )
        self.query_one(BlitzTallies).show(session.tallies, session.pace(now))
        self.query_one(BlitzLead).show(self.current, now, self.app.settings.window)
        if not self._ended and session.is_over(now):
            self._finish(now, early=False)

    # --- the lead ---
    @property
    def current(self) -> QueueEntry | None:
        """The lead the blitz is on."""
        return self.app.live.snapshot.index.get(self.current_id) if self.current_id else None

    def _due(self, snapshot: Snapshot) -> list[QueueEntry]:
        return [e for e in snapshot.entries if e.due and not e.claimed_by]

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        due = self._due(snapshot)
        if self._advance_after is not None:
            lead_id, version = self._advance_after
            if snapshot.version >= version:
                self._advance_after = None
                later = [e for e in due if e.lead.id != lead_id]
                self._select(later[0].lead.id if later else None)
                return
        if self.current_id is None or self.current_id not in snapshot.index:
            self._select(due[0].lead.id if due else None)
        else:
            self._show_current()

    def _select(self, lead_id: str | None) -> None:
        self.current_id = lead_id
        if lead_id is not None:
            self.app.live.rest_on(lead_id)
        self._show_current()

    def _show_current(self) -> None:
        app = self.app
        entry = self.current
        now = app.clock.now()
        self.query_one(BlitzLead).show(entry, now, app.settings.window)
        lead = entry.lead if entry is not None else None
        touches = app.live.snapshot.touches.get(lead.id, ()) if lead is not None else ()
        self.query_one(BlitzNotes).show(lead, touches, now)
        banner = self.query_one(DialBanner)
        if banner.shown and (lead is None or lead.id != banner.lead_id):
            banner.hide()
        script = self.query_one(ScriptPane)
        if entry is None:
            script.clear("Nothing is due right now. Take a breath: the next lead comes up here.")
            return
        view = script_for(entry.next_action, entry.lead, app.script_values(entry.lead),
                          app.scripts)  # fmt: skip
        script.show(view.title, view.live_call, view.voicemail)

    def action_skip(self, step: int) -> None:
        due = self._due(self.app.live.snapshot)
        if not due:
            self._select(None)
            return
        ids = [e.lead.id for e in due]
        index = ids.index(self.current_id) + step if self.current_id in ids else 0
        self._select(ids[index % len(ids)])

    # --- outcomes (the workstation's path, tagged with this blitz) ---
    def action_log(self, outcome: str) -> None:
        app = self.app
        entry = self.current
        if entry is None or self.session is None:
            app.bell()
            self.notify("No lead to log: nothing is due right now.", severity="warning")
            return
        if app.prompting:
            return
        app.ask(log_outcome(app, entry, Outcome(outcome), blitz_id=self.session.id))

    def action_dial(self) -> None:
        """Dial the blitz's lead (g)."""
        entry = self.current
        if entry is None:
            self.app.bell()
            self.notify("No lead to dial: nothing is due right now.", severity="warning")
            return
        if not self.app.prompting:
            self.app.ask(dial_lead(self.app, entry))

    def _on_written(self, result: WriteResult) -> None:
        session, write, touch = self.session, result.write, result.touch
        if session is None or touch is None:
            return
        if write.kind == "touch" and write.blitz_id == session.id:
            session.record_touch(touch.id, touch.outcome)
            if self.current_id in (write.lead_id, None):
                self._advance_after = (write.lead_id, result.version)
            self.save()
        elif write.kind == "undo" and touch.blitz_id == session.id:
            if session.forget_touch(touch.id):
                self.save()
        self._on_tick(self.app.clock.now())

    def action_undo(self) -> None:
        app = self.app
        current = app.live.snapshot.index.get(self.current_id) if self.current_id else None
        lead_id = undo_last(app, current)
        if lead_id is not None and lead_id in app.live.snapshot.index:
            self._select(lead_id)

    def action_note(self) -> None:
        entry = self.current
        if entry is not None:
            ask_note(self.app, entry.lead)

    def action_copy_id(self) -> None:
        entry = self.current
        if entry is not None:
            copy_id(self.app, entry.lead)

    def action_copy_phone(self) -> None:
        entry = self.current
        if entry is not None:
            copy_phone(self.app, entry.lead)

    def action_retry(self) -> None:
        self.app.writes.retry()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return bool(self.app.outbox.unsaved)
        return True

    def action_help(self) -> None:
        settings = self.app.settings
        self.app.push_screen(
            HelpScreen(settings.keymap, settings.speed_to_lead_minutes, BLITZ_BINDINGS)
        )

    # --- pause and end ---
    def action_pause(self) -> None:
        session = self.session
        if session is None or self._ended:
            return
        now = self.app.clock.now()
        paused = session.toggle_pause(now)
        self.notify("Blitz paused: p resumes." if paused else "Blitz resumed.", timeout=2)
        self.save()
        self._on_tick(now)

    def action_end(self) -> None:
        banner = self.query_one(DialBanner)
        if banner.shown:  # Esc first hides the large number
            banner.hide()
            return
        if self.session is None or self._ended:
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self._finish(self.app.clock.now(), early=True)

        self.app.push_screen(
            ConfirmScreen("End the blitz now?", "It is kept, marked as ended early.",
                          yes="end it"),
            answer,
        )  # fmt: skip

    def _finish(self, now: datetime, *, early: bool) -> None:
        session = self.session
        if session is None or self._ended:
            return
        self._ended = True
        session.finish(now)
        self.save()
        self._on_tick(now)
        if not early:
            self.app.bell()
        self.app.push_screen(BlitzSummaryScreen(session, now), lambda _: self._leave())

    def on_unmount(self) -> None:
        if BlitzScreen.running.get(self.app) is self:
            del BlitzScreen.running[self.app]

    def _leave(self) -> None:
        """Back to the workstation; the blitz mode (and this screen) goes away."""
        app = self.app
        if app.current_mode == BLITZ_MODE:
            app.switch_mode(app.DEFAULT_MODE)
            app.remove_mode(BLITZ_MODE)
        elif app.screen is self:
            app.pop_screen()

    def close_for_quit(self) -> None:
        """The app is quitting: end the session (ended early if time was left) and hand its
        record to the outbox (the app waits a moment for the outbox before it exits)."""
        session = self.session
        if session is None:
            return
        if not self._ended:
            self._ended = True
            session.finish(self.app.clock.now())
        self.save()

    # --- saving: through the app's outbox, like every write ---
    def save(self) -> None:
        """Save the session as it is now (the newest record replaces a queued older one)."""
        session = self.session
        if session is None:
            return
        app = self.app
        record = session.to_record(app.clock.now())
        app.writes.submit(PendingWrite(app.outbox.next_seq(), "blitz", "", "", app.clock.now(),
                                       blitz_id=session.id, record=record))  # fmt: skip
