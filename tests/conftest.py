"""Shared test set-up: every test runs with its own LEADTUI_HOME and a pinned environment."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never let a test touch a real user's data or config; pin locale-ish settings."""
    home = tmp_path_factory.mktemp("leadtui-home")
    monkeypatch.setenv("LEADTUI_HOME", str(home))
    names = ("NO_COLOR", "LEADTUI_REP_NAME", "LEADTUI_REP_PHONE", "LEADTUI_THEME", "LEADTUI_DB")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield home


# --- PostgreSQL: one private server per test session, one database per test -------------


@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL server (tests/pg_support.py); fails, never skips, when it
    cannot start, unless LEADTUI_PG_TESTS=0 is set explicitly."""
    from pg_support import own_server

    yield from own_server()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a fresh database holding the schema (dropped after the test)."""
    url = pg_server.new_database()
    yield url
    pg_server.drop(url)


@pytest.fixture(params=["tinydb", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path):
    """The store contract suite runs once per backend through this one fixture."""
    from store_backends import Backend

    if request.param == "postgres":
        where = request.getfixturevalue("pg_url")
    else:
        where = str(tmp_path / "data" / "leads.json")
    chosen = Backend(request.param, where)
    yield chosen
    chosen.close_all()
