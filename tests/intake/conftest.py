"""Fixtures for the intake services: the webhook as a real child process on loopback, a
real dovecot IMAP server for the whole test session (one per xdist worker), and a store
on the webhook's home to check what was written."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import CONFIG, Dovecot, Webhook  # noqa: E402


@pytest.fixture
def make_webhook(tmp_path: Path) -> Iterator[Callable[..., Webhook]]:
    started: list[Webhook] = []

    def make(config: str = CONFIG, home: Path | None = None, **env: str) -> Webhook:
        hook = Webhook(home or tmp_path / f"home{len(started)}", config, env or None)
        hook.start()
        started.append(hook)
        return hook

    yield make
    for hook in started:
        if hook.process is not None:
            hook.stop()


@pytest.fixture
def webhook(make_webhook: Callable[..., Webhook]) -> Webhook:
    return make_webhook()


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    server = Dovecot(tmp_path_factory.mktemp("dovecot"))
    server.start()
    server.create_folder("Warmup")  # the first login starts the auth process (slow)
    yield server
    server.stop()


@pytest.fixture
def folder(dovecot: Dovecot) -> str:
    """A fresh folder of the test session's mailbox for one test."""
    name = f"T{uuid.uuid4().hex[:10]}"
    dovecot.create_folder(name)
    return name
