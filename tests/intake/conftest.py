"""Fixtures for the intake services: the webhook as a real child process on loopback, a
real dovecot IMAP server for the whole test session (one per xdist worker), and a store
on the webhook's home to check what was written."""

from __future__ import annotations

import shutil
import sys
import tempfile
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
def dovecot() -> Iterator[Dovecot]:
    # not under pytest's temporary folder: that is private (0700) and dovecot's processes
    # run as `nobody`, who must reach the passwd file and the mail folders
    root = Path(tempfile.mkdtemp(prefix="leadtui-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root)
    server.start()
    server.create_folder("Warmup")  # the first login starts the auth process (slow)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def folder(dovecot: Dovecot) -> str:
    """A fresh folder of the test session's mailbox for one test."""
    name = f"T{uuid.uuid4().hex[:10]}"
    dovecot.create_folder(name)
    return name
