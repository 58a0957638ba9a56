"""What every subcommand gets: paths, clock, settings, cadence and the store, opened lazily."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, TextIO

from leadtui.clock import Clock
from leadtui.config import Settings, load_settings
from leadtui.paths import Paths, ensure_private_dir

if TYPE_CHECKING:
    from leadtui.domain.cadence import Cadence
    from leadtui.store.protocol import LeadStore


class CommandFailed(Exception):
    """A refused or failed operation: exit status 1 with this one-line reason."""


@dataclass
class Context:
    """Shared state of one command run. Nothing touches the disk until asked."""

    paths: Paths
    clock: Clock
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    overrides: dict[str, object] = field(default_factory=dict)  # flags, by setting key
    demo_dir: str | None = None
    _store: LeadStore | None = None

    def now(self) -> datetime:
        """The current time (fixed by --now)."""
        return self.clock.now()

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.paths.config, env=self.env, overrides=self.overrides)

    @cached_property
    def cadence(self) -> Cadence:
        from leadtui.domain.cadence import load_cadence

        return load_cadence(self.settings.cadence_file)

    def run_tui(self, blitz: tuple[float, int | None] | None = None) -> int:
        """Run the workstation (straight into a blitz when `blitz=(minutes, goal)`) and
        say where the demo data is once it closes."""
        import secrets
        from concurrent.futures import ThreadPoolExecutor

        from leadtui.service.gateway import FIRST_PAGE_ROWS, StoreGateway

        # The queue's first rows are read while the screen's code is imported: on a
        # database server the read is mostly waiting, which then costs the first frame
        # nothing (the workstation adopts this gateway and its first snapshot).
        store = self.store
        gateway = StoreGateway(store, self.cadence, lambda: self.settings, secrets.token_hex(6))
        reader = ThreadPoolExecutor(1, thread_name_prefix="leadtui-first-rows")
        first = reader.submit(gateway.snapshot, self.clock.now(), "", FIRST_PAGE_ROWS)
        reader.shutdown(wait=False)
        from leadtui.tui.app import run_tui

        status = run_tui(
            store=store,
            clock=self.clock,
            settings=self.settings,
            paths=self.paths,
            cadence=self.cadence,
            blitz=blitz,
            demo_home=self.demo_dir,
            gateway=gateway,
            first=first,
        )
        if self.demo_dir:
            print(f"The demo data is in {self.demo_dir}; delete it when you are done.")
        return status if isinstance(status, int) else 0

    @property
    def database(self) -> str:
        """The PostgreSQL URL in use, or "" for the TinyDB file (--demo: always TinyDB)."""
        return "" if self.demo_dir else self.settings.database

    def backend(self) -> dict[str, str]:
        """Which backend this run uses and where, password masked (paths, doctor)."""
        from leadtui.dburl import mask_url

        if self.database:
            return {"backend": "postgresql", "database": mask_url(self.database)}
        return {"backend": "tinydb", "database": str(self.paths.db)}

    @property
    def store(self) -> LeadStore:
        """The lead store, opened on first use: PostgreSQL when a database URL is set,
        else the TinyDB file (creates the data folder, mode 0700)."""
        data_dir = self.paths.data_dir
        if self._store is None and data_dir.exists() and not data_dir.is_dir():
            raise CommandFailed(f"{data_dir}: cannot keep leadtui's data here: not a folder")
        if self._store is None and self.database:
            from leadtui.store.postgres import open_pg_store

            self._store = open_pg_store(
                self.database, cadence=self.cadence, window=self.settings.window
            )
        if self._store is None:
            from leadtui.store.repository import open_store

            ensure_private_dir(data_dir)
            self._store = open_store(
                self.paths.db,
                cadence=self.cadence,
                clock=self.clock.now,
                window=self.settings.window,
            )
        return self._store

    def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            store.close()

    def print(self, text: str = "") -> None:
        """One line (or block) of output on stdout."""
        self.stdout.write(text + "\n")
