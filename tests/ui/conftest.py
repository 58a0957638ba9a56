"""Fixtures for the workstation's Pilot and snapshot tests: a real store in a temporary
folder, the real cadence, a fixed clock (time moves only when a test advances it), and
settings with the rep's details filled in (so the first-start question stays away)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from leadtui.clock import FixedClock
from leadtui.config import Settings
from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import Lead, LeadDraft
from leadtui.paths import Paths, resolve_paths
from leadtui.store.repository import open_store
from leadtui.tui.app import LeadApp, make_app

#: Monday 24 Nov 2025, 15:00 UTC = 10:00 in New York (the calling window is open there).
START = datetime(2025, 11, 24, 15, 0, tzinfo=UTC)
SIZE = (80, 24)

_phones = itertools.count(100)


@pytest.fixture(autouse=True)
def _quiet_ui(monkeypatch: pytest.MonkeyPatch) -> None:
    """No blinking cursors or animations: screens look the same on every run."""
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def paths(tmp_path) -> Paths:
    return resolve_paths(tmp_path / "home")


@pytest.fixture(scope="session")
def cadence():
    return load_cadence()


@pytest.fixture
def store(paths: Paths, cadence):
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(paths.db, cadence=cadence)
    yield store
    store.close()


@pytest.fixture
def other_store(paths: Paths, cadence, store):
    """A second process's view of the same database (another rep, `leadtui add`)."""
    other = open_store(paths.db, cadence=cadence)
    yield other
    other.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(rep_name="Sam Rivera", rep_phone="+1 212-555-0199")


@pytest.fixture
def app_factory(store, clock, settings, paths, cadence) -> Callable[..., LeadApp]:
    def build(**overrides) -> LeadApp:
        args = dict(store=store, clock=clock, settings=settings, paths=paths, cadence=cadence)
        args.update(overrides)
        return make_app(**args)

    return build


def draft(
    name: str,
    *,
    minutes_ago: float = 1,
    tz: str = "America/New_York",
    source: str = "web-form",
    email: str = "",
    phone: str | None = None,
    now: datetime = START,
) -> LeadDraft:
    """A valid lead that arrived `minutes_ago` before `now`."""
    number = phone or f"+1212555{next(_phones) % 10000:04d}"
    return LeadDraft(
        name=name,
        phone=number,
        email=email,
        source=source,
        timezone=tz,
        received_at=now - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def stable_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lead and touch ids counted up instead of random: snapshots show the lead id."""
    counter = itertools.count(1)
    monkeypatch.setattr(
        "leadtui.store.repository.new_id", lambda: f"ld{next(counter):06d}"
    )


@pytest.fixture
def add_leads(store, clock) -> Callable[..., list[Lead]]:
    """Store leads (name -> minutes ago, newest ranks first) and return them."""

    def add(*drafts: LeadDraft) -> list[Lead]:
        return [result.lead for result in store.add_leads(list(drafts), clock.now())]

    return add


@pytest.fixture
def settle() -> Callable:
    """Wait until the app's workers are done and the screen has caught up."""

    async def wait(pilot) -> None:
        for _ in range(3):
            # Not the prompt flows: they wait for the rep's answer on a modal screen.
            busy = [w for w in pilot.app.workers if w.group != "prompts"]
            if busy:
                await pilot.app.workers.wait_for_complete(busy)
            await pilot.pause()

    return wait


def screen_text(app: LeadApp) -> str:
    """Everything on the screen as plain text, line by line (as export_screenshot sees it)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system=None, legacy_windows=False)  # fmt: skip
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


@pytest.fixture
def fresh_store(paths: Paths, cadence) -> Iterator[Callable]:
    """Open more stores on the same file (closed at the end)."""
    opened = []

    def open_one():
        s = open_store(paths.db, cadence=cadence)
        opened.append(s)
        return s

    yield open_one
    for s in opened:
        s.close()
