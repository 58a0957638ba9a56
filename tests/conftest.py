"""Shared test set-up: every test runs with its own LEADTUI_HOME and a pinned environment."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never let a test touch a real user's data or config; pin locale-ish settings."""
    home = tmp_path_factory.mktemp("leadtui-home")
    monkeypatch.setenv("LEADTUI_HOME", str(home))
    for name in ("NO_COLOR", "LEADTUI_REP_NAME", "LEADTUI_REP_PHONE", "LEADTUI_THEME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield home
