"""PostgreSQL: a write whose commit went through but whose answer was lost.

The connection is cut right after the transaction committed (the server ends the backend,
the client sees an OperationalError), which is the boundary where a client cannot know
whether its write happened. The caller then calls again with the same arguments, as the
workstation's outbox and the CLI's retry do. Nothing may be done twice: undo, log and note
are each checked against a real server.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, Outcome
from leadtui.store.postgres import open_pg_store
from leadtui.store.protocol import StoreError

T0 = datetime(2025, 11, 4, 17, 20, tzinfo=UTC)  # a Tuesday, late morning in Denver


class CutAfterCommit:
    """Wraps the store's pool: the next `cuts` connections handed out are killed by the
    server (pg_terminate_backend) when the write using them has finished, and the caller
    gets the OperationalError a lost answer gives."""

    def __init__(self, pool: Any, url: str) -> None:
        self._pool = pool
        self._url = url
        self.cuts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    @contextmanager
    def connection(self, *args: Any, **kwargs: Any):
        with self._pool.connection(*args, **kwargs) as conn:
            yield conn
            if self.cuts:
                self.cuts -= 1
                pid = conn.info.backend_pid
                with psycopg.connect(self._url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    # wait until the backend is really gone, so the pool sees the closed
                    # socket (on a loaded machine the exit lags the signal)
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline and admin.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
                    ).fetchone():
                        time.sleep(0.01)
                raise psycopg.OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def cut_store(pg_url: str):
    store = open_pg_store(pg_url, cadence=load_cadence())
    cutter = CutAfterCommit(store._pool, pg_url)
    store._pool = cutter
    store._retry_seconds = 0.0  # give up at once: the CALLER's retry is what is tested
    store.add_leads(
        [LeadDraft("Rowan Pike", "+17205550143", "", "web", "America/Denver", T0)], T0
    )
    yield store, cutter, store.leads()[0].id
    store._pool = cutter._pool
    store.close()


def _touch_ids(store: Any, lead_id: str) -> list[str]:
    return [t.id for t in store.touches(lead_id)]


def test_undo_last_touch_retried_after_a_lost_answer_undoes_once(cut_store) -> None:
    store, cutter, lead_id = cut_store
    logged = [
        store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=n)).id
        for n in (3, 41, 97)
    ]
    cutter.cuts = 1
    with pytest.raises(StoreError):
        store.undo_last_touch(lead_id)  # committed, but the answer never came
    assert _touch_ids(store, lead_id) == logged[:2]  # it did happen on the server
    again = store.undo_last_touch(lead_id)  # the caller's retry
    assert again is not None and again.id == logged[2]
    assert _touch_ids(store, lead_id) == logged[:2]  # not a second touch removed
    # a new call after that success undoes one more, as asked
    assert store.undo_last_touch(lead_id).id == logged[1]
    assert _touch_ids(store, lead_id) == logged[:1]


def test_undo_last_touch_retried_inside_the_call_undoes_once(cut_store) -> None:
    store, cutter, lead_id = cut_store
    logged = [
        store.log_touch(lead_id, Outcome.VM_MESSAGE, T0 + timedelta(minutes=n)).id
        for n in (5, 12)
    ]
    store._retry_seconds = 5.0  # the store's own retry loop this time
    cutter.cuts = 1
    undone = store.undo_last_touch(lead_id)
    assert undone is not None and undone.id == logged[1]
    assert _touch_ids(store, lead_id) == logged[:1]


def test_undo_last_touch_never_committed_is_made_by_the_retry(cut_store, pg_url) -> None:
    store, cutter, lead_id = cut_store
    first = store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=8)).id
    second = store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=66)).id
    real = cutter._pool

    @contextmanager
    def refused(*_args: Any, **_kwargs: Any):
        raise psycopg.OperationalError("connection refused")
        yield  # pragma: no cover

    cutter.connection = refused  # the server is away: nothing commits
    with pytest.raises(StoreError):
        store.undo_last_touch(lead_id)
    del cutter.connection
    assert cutter._pool is real
    assert _touch_ids(store, lead_id) == [first, second]
    assert store.undo_last_touch(lead_id).id == second  # the retry does it, once
    assert _touch_ids(store, lead_id) == [first]


def test_log_touch_retried_after_a_lost_answer_logs_once(cut_store) -> None:
    store, cutter, lead_id = cut_store
    at = T0 + timedelta(minutes=23)
    cutter.cuts = 1
    with pytest.raises(StoreError):
        store.log_touch(lead_id, Outcome.NO_ANSWER, at, note="rang out", rep="Sam")
    touch = store.log_touch(lead_id, Outcome.NO_ANSWER, at, note="rang out", rep="Sam")
    assert _touch_ids(store, lead_id) == [touch.id]


def test_undo_touch_retried_after_a_lost_answer_answers_the_same(cut_store) -> None:
    store, cutter, lead_id = cut_store
    kept = store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=2)).id
    last = store.log_touch(lead_id, Outcome.NO_ANSWER, T0 + timedelta(minutes=9)).id
    cutter.cuts = 1
    with pytest.raises(StoreError):
        store.undo_touch(lead_id, last)
    assert store.undo_touch(lead_id, last).id == last
    assert _touch_ids(store, lead_id) == [kept]


def test_cli_undo_whose_answer_was_lost_says_how_to_repeat_it_safely(
    pg_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli_helpers import Cli

    from leadtui.store.postgres.store import PgLeadStore

    cli = Cli(capsys, monkeypatch)
    lead = cli.ok("--db", pg_url, "add", "--name", "Tove Hale", "--phone", "+13035550177")
    lead_id = lead.out.strip()
    cli.ok("--db", pg_url, "log", lead_id, "no-answer")
    cli.ok("--db", pg_url, "log", lead_id, "vm-message")
    last = cli.ok("--db", pg_url, "show", lead_id, "--json").json()["touches"][-1]["id"]
    real = PgLeadStore.undo_touch

    def saved_but_unanswered(self: PgLeadStore, lead_id: str, touch_id: str) -> Any:
        real(self, lead_id, touch_id)  # committed on the server...
        raise StoreError("127.0.0.1: server closed the connection unexpectedly")  # ...unheard

    monkeypatch.setattr(PgLeadStore, "undo_touch", saved_but_unanswered)
    line = cli.refused("--db", pg_url, "undo", lead_id)
    assert f"leadtui undo {lead_id} --touch {last}" in line
    monkeypatch.setattr(PgLeadStore, "undo_touch", real)
    again = cli("--db", pg_url, "undo", lead_id, "--touch", last)  # the repeat it suggests
    assert again.code == 1 and "Traceback" not in again.err
    touches = cli.ok("--db", pg_url, "show", lead_id, "--json").json()["touches"]
    assert [t["outcome"] for t in touches] == ["no-answer"]  # one touch undone, not two
