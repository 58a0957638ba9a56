"""LeadApp: the Textual application that wires the store, clock and settings to the screens.

`make_app(...)` builds it (tests use it with a temporary store and a `FixedClock`);
`run_tui(...)` runs it for the command line and releases this session's claims afterwards.
The app owns what outlives a screen: the store gateway, the outbox of pending writes
(`service.outbox.Outbox`, drained by `writes.Writes`), the live queue (`live.LiveQueue`:
snapshots, the tick, claims), themes and the keymap. Worker results arrive as messages;
the app hands each to the object it belongs to.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine, Mapping
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.signal import Signal
from textual.theme import Theme

from leadtui.clock import Clock
from leadtui.config import Settings, save_settings_values
from leadtui.domain.cadence import Cadence
from leadtui.domain.model import Lead
from leadtui.domain.scripts import load_scripts
from leadtui.paths import Paths
from leadtui.service.gateway import PendingWrite, Snapshot, StoreGateway, WriteResult
from leadtui.service.outbox import Outbox
from leadtui.store.protocol import LeadStore
from leadtui.tui import modes
from leadtui.tui.commands import LeadCommands
from leadtui.tui.dialer import Dials
from leadtui.tui.guard import Guarded, guarded
from leadtui.tui.key_hold import KeyHold, KeysReleased
from leadtui.tui.keys import APP_BINDINGS, BINDING_IDS, QUIT_BINDING
from leadtui.tui.live import LiveQueue
from leadtui.tui.messages import (
    ClaimDone,
    RefreshFailed,
    SnapshotReady,
    StoreChanged,
    WriteFailed,
    WriteRefused,
    WriteSaved,
)
from leadtui.tui.screens.confirm import ConfirmScreen
from leadtui.tui.screens.rep_details import RepDetailsScreen
from leadtui.tui.screens.text_prompt import TextPrompt
from leadtui.tui.screens.workstation import WorkstationScreen
from leadtui.tui.themes import (
    CONTRAST_THEME,
    DEFAULT_THEME,
    THEME_VARIABLE_DEFAULTS,
    load_themes,
    packaged_theme_dirs,
)
from leadtui.tui.writes import Writes

QUIT_WAIT_SECONDS = 3.0


class LeadApp(Guarded, App[None]):
    """The leadtui workstation."""

    CSS_PATH = "app.tcss"
    TITLE = "leadtui"
    BINDINGS = [QUIT_BINDING, *APP_BINDINGS]
    MODES = {modes.WORKSTATION_MODE: WorkstationScreen}
    DEFAULT_MODE = modes.WORKSTATION_MODE
    COMMANDS = App.COMMANDS | {LeadCommands}
    NOTIFICATION_TIMEOUT = 4

    def __init__(
        self,
        *,
        store: LeadStore,
        clock: Clock,
        settings: Settings,
        paths: Paths,
        cadence: Cadence,
        scripts: Mapping[str, str] | None = None,
        blitz: tuple[float, int | None] | None = None,
        demo_home: str | None = None,
        gateway: StoreGateway | None = None,
    ) -> None:
        super().__init__()
        self.demo_home = demo_home  # --demo: the temporary folder (shown in the help)
        self.start_blitz = blitz  # `leadtui blitz`: (minutes, goal), opened at once
        self.store = store
        self.clock = clock
        self.settings = settings
        self.paths = paths
        self.cadence = cadence
        # a gateway made before the app (it read the first rows meanwhile) is adopted
        self.gateway = gateway or StoreGateway(
            store, cadence, lambda: self.settings, secrets.token_hex(6)
        )
        self.gateway.follow(lambda: self.settings)
        self.session = self.gateway.session
        self.prompting = False  # an outcome's questions are on screen
        self.dials = Dials()  # dials started with `g`, until their call is logged
        self.keys = KeyHold(self)  # keys typed in a burst reach the prompt they belong to
        self.problems: list[str] = []  # reported once, when the screen is up
        self.scripts: dict[str, str] = dict(scripts) if scripts is not None else self._scripts()
        self.outbox = Outbox()  # every write, in order, until the store has it
        self.writes = Writes(self, self.outbox)
        self.live = LiveQueue(self)
        self.status_signal: Signal[None] = Signal(self, "status")  # unsaved/saving changed
        self.written_signal: Signal[WriteResult] = Signal(self, "written")  # a write is durable
        self._saved_theme = settings.theme
        self._register_themes()

    # --- set-up ---
    def _scripts(self) -> dict[str, str]:
        try:
            return load_scripts(self.paths.scripts)
        except Exception as exc:  # a broken user script: fall back to the packaged ones
            self.problems.append(f"scripts in {self.paths.scripts}: {exc}")
            return load_scripts(None)

    def _register_themes(self) -> None:
        themes, problems = load_themes([*packaged_theme_dirs(), self.paths.themes])
        for theme in themes:
            self.register_theme(theme)
        self.problems.extend(str(problem) for problem in problems)
        # said once above: choosing one of them (--theme, config, LEADTUI_THEME) says no more
        self._skipped_themes = {p.name for p in problems if p.name} - set(self.available_themes)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(THEME_VARIABLE_DEFAULTS)

    def _starting_theme(self) -> str:
        wanted = self.settings.theme
        if self.no_color and wanted == DEFAULT_THEME and CONTRAST_THEME in self.available_themes:
            return CONTRAST_THEME  # NO_COLOR and no explicit choice: the monochrome-friendly one
        if wanted in self.available_themes:
            return wanted
        if wanted not in self._skipped_themes:
            self.problems.append(f"unknown theme {wanted!r}: using {DEFAULT_THEME}")
        return DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"

    def _check_keymap(self) -> dict[str, str]:
        known = BINDING_IDS  # the one registry (tui/keys.py)
        keymap = dict(self.settings.keymap)
        for binding_id in sorted(set(keymap) - known):
            self.problems.append(f"keymap: no key called {binding_id!r} (see the help, ?)")
            del keymap[binding_id]
        return keymap

    def on_mount(self) -> None:
        self.theme = self._starting_theme()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.set_keymap(self._check_keymap())
        if self.start_blitz is not None:
            modes.open_blitz(self, *self.start_blitz)
        for problem in self.problems:
            self.notify(problem, title="Check your setup", severity="warning", markup=False,
                        timeout=10)  # fmt: skip
        self.live.start()
        if not self.settings.rep_name or not self.settings.rep_phone:
            self.action_rep_details()

    # --- the blitz and the report (issue 5) ---
    def action_blitz(self) -> None:
        """Start a call blitz (asks for minutes and goal)."""
        modes.open_blitz(self)

    def action_report(self) -> None:
        """Show the report."""
        modes.open_report(self)

    # --- settings the rep changes here ---
    @guarded
    def _remember_theme(self, theme: Theme) -> None:
        if theme.name != self._saved_theme:
            self._saved_theme = theme.name
            self._save_settings(theme=theme.name)

    @work(thread=True, group="settings", exit_on_error=False, description="save settings")
    def _save_settings(self, **values: Any) -> None:
        try:
            save_settings_values(self.paths.config, **values)
        except Exception as exc:
            self.call_from_thread(
                self.notify, f"Could not save to {self.paths.config}: {exc}",
                title="Settings not saved", severity="error", markup=False,
            )  # fmt: skip

    def action_rep_details(self) -> None:
        """Ask for the rep's name and phone (first start, or from the palette)."""

        def done(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            name, phone = result
            self.settings = replace(self.settings, rep_name=name, rep_phone=phone)
            self._save_settings(rep_name=name, rep_phone=phone)
            self.status_signal.publish(None)
            self.live.snapshot_signal.publish(self.live.snapshot)  # scripts show the new details

        settings = self.settings
        self.push_screen(
            RepDetailsScreen(settings.rep_name, settings.rep_phone, settings.default_region), done
        )

    def script_values(self, lead: Lead) -> dict[str, str]:
        """Placeholders for the scripts; an unset one stays visible as {rep_name}."""
        settings = self.settings
        values = {"first_name": lead.first_name or lead.name, "name": lead.name,
                  "offer": settings.offer, "source": lead.source}  # fmt: skip
        if settings.rep_name:
            values["rep_name"] = settings.rep_name
            values["rep_first_name"] = settings.rep_name.split()[0]
        if settings.rep_phone:
            values["rep_phone"] = settings.rep_phone
        return values

    def refresh_status(self) -> None:
        """Tell the screens that the unsaved/saving counts changed."""
        self.status_signal.publish(None)

    def ask(self, questions: Coroutine[Any, Any, object]) -> None:
        """Run an outcome's or a dial's questions in a worker; keys typed meanwhile wait
        for its prompts, and nothing quits while it is pending (tui/key_hold.py)."""
        self.prompting = True
        self.keys.hold()

        async def flow() -> None:
            try:
                await questions
            finally:
                self.prompting = False
                self.keys.let_go()

        self.run_worker(flow(), group="prompts", exit_on_error=False)

    # --- import from the palette ---
    def action_import_csv(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self._import(Path(path).expanduser())

        self.push_screen(
            TextPrompt("Import leads from a CSV file", "Path to the file · Enter: import"),
            chosen,
        )

    def _import(self, path: Path) -> None:
        """Import a CSV file through the outbox (read and written by the drainer)."""
        self.writes.submit(PendingWrite(self.outbox.next_seq(), "import", "", "",
                                        self.clock.now(), path=str(path)))  # fmt: skip

    # --- worker results: each to the object it belongs to ---
    def on_write_saved(self, message: WriteSaved) -> None:
        self.writes.saved(message.result)

    def on_write_refused(self, message: WriteRefused) -> None:
        self.writes.refused(message.write, message.reason)

    def on_write_failed(self, message: WriteFailed) -> None:
        self.writes.failed(message.write, message.error)

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        self.live.snapshot_ready(message)

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        self.live.refresh_failed(message)

    def on_store_changed(self, message: StoreChanged) -> None:
        self.live.store_changed(message)

    def on_claim_done(self, message: ClaimDone) -> None:
        self.live.claim_done(message)

    # --- quitting ---
    async def on_event(self, event: Any) -> None:
        from textual import events

        if isinstance(event, events.Key) and not event.is_forwarded:
            self.live.last_activity = self.clock.now()
            if await self.keys.route(event):
                return
        await super().on_event(event)

    async def on_keys_released(self, message: KeysReleased) -> None:
        await self.keys.flush(message.generation)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Keys typed while a dialog opens wait for it (see tui/key_hold.py)."""
        from leadtui.tui.screens.dialog import DialogScreen

        if isinstance(screen, DialogScreen):
            self.keys.hold()
        return super().push_screen(screen, *args, **kwargs)

    async def action_quit(self) -> None:
        """Quit once pending writes are on disk (or the rep says to drop them)."""
        await self._wait_for_outbox(QUIT_WAIT_SECONDS)
        if self.outbox:
            count = len(self.outbox)
            question = ConfirmScreen(
                f"{count} outcome{'s' if count != 1 else ''} NOT saved",
                "The store could not write them. Quit anyway and lose them?",
                yes="quit and lose them",
            )

            def answer(ok: bool | None) -> None:
                if ok:
                    self.run_worker(self._leave(), group="quit")

            self.push_screen(question, answer)
            return
        await self._leave()

    async def _wait_for_outbox(self, seconds: float) -> None:
        """Give the drainer up to `seconds` to empty the outbox (not while writes fail)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.outbox and not self.outbox.unsaved and loop.time() < deadline:
            await asyncio.sleep(0.05)

    async def _leave(self) -> None:
        modes.close_blitz_for_quit(self)  # a running blitz is kept, ended early
        await self._wait_for_outbox(2.0)  # its record stands or history shows it ended early
        try:
            await asyncio.wait_for(asyncio.to_thread(self.gateway.release_claims), timeout=2.0)
        except Exception:
            pass  # claims expire by themselves
        self.exit()


def make_app(
    *,
    store: LeadStore,
    clock: Clock,
    settings: Settings,
    paths: Paths,
    cadence: Cadence,
    scripts: Mapping[str, str] | None = None,
    blitz: tuple[float, int | None] | None = None,
    gateway: StoreGateway | None = None,
) -> LeadApp:
    """Build the workstation app (not running yet); `blitz=(minutes, goal)` opens a blitz;
    `gateway`: one made before (for its session and arrivals mark)."""
    return LeadApp(
        store=store, clock=clock, settings=settings, paths=paths, cadence=cadence, scripts=scripts,
        blitz=blitz, gateway=gateway,
    )  # fmt: skip


def run_tui(
    *,
    store: LeadStore,
    clock: Clock,
    settings: Settings,
    paths: Paths,
    cadence: Cadence,
    blitz: tuple[float, int | None] | None = None,
    demo_home: str | None = None,
    gateway: StoreGateway | None = None,
    first: Future[Snapshot] | None = None,
) -> int:
    """Run the workstation until the rep quits (`blitz=(minutes, goal)`: start in a blitz;
    `first`: the first snapshot, being read by `gateway` before the app was built)."""
    app = make_app(store=store, clock=clock, settings=settings, paths=paths, cadence=cadence,
                   blitz=blitz, gateway=gateway)  # fmt: skip
    app.demo_home = demo_home
    app.live.prime_queue(first)
    try:
        app.run()
    finally:
        try:
            app.gateway.release_claims()
        except Exception:
            pass
    return app.return_code or 0
