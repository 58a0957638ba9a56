"""The workstation on a team's PostgreSQL pool: the live-queue tests again (another
process's new lead, outcome and claims arrive through LISTEN/NOTIFY), and the outbox
riding a server restart with UNSAVED n, saving once the server is back, exactly once.

The `store`/`other_store` fixtures here replace the TinyDB ones of tests/ui/conftest.py,
so the imported tests run unchanged against PostgreSQL.
"""

from __future__ import annotations

import time

import pytest
from conftest import SIZE, draft, screen_text
from test_live import (  # noqa: F401 - collected again, here on PostgreSQL
    test_a_lead_added_by_another_process_appears_with_a_bell,
    test_a_lead_logged_elsewhere_leaves_the_due_queue,
    test_the_filter_finds_leads_past_the_rows_the_queue_holds,
    test_the_lead_under_the_cursor_is_claimed_and_released_on_quit,
)

from leadtui.domain.model import Outcome
from leadtui.store.postgres import open_pg_store


@pytest.fixture(scope="module")
def server():
    from pg_support import own_server

    yield from own_server()


@pytest.fixture
def pg_pool(server):
    url = server.new_database()
    yield url
    server.drop(url)


@pytest.fixture
def store(pg_pool, cadence):
    opened = open_pg_store(pg_pool, cadence=cadence)
    yield opened
    opened.close()


@pytest.fixture
def other_store(pg_pool, cadence, store):
    other = open_pg_store(pg_pool, cadence=cadence)
    yield other
    other.close()


async def test_another_hosts_write_is_seen_within_a_second(
    app_factory, add_leads, other_store, settle, clock
):
    add_leads(draft("Ada Lovelace", minutes_ago=3))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        (result,) = other_store.add_leads([draft("Grace Hopper")], clock.now())
        started = time.monotonic()
        while "Grace Hopper" not in screen_text(app):
            assert time.monotonic() - started < 1.0, "not seen within 1 s"
            await pilot.pause(0.05)  # the app's own once-a-second poll, no tick() here
        assert result.lead.id in app.screen.query_one("LeadQueue").order


async def test_the_outbox_rides_a_server_restart(
    app_factory, add_leads, store, server, settle
):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        server.stop("immediate")
        try:
            await pilot.press("n")  # no-answer while the server is away
            await settle(pilot)
            assert "UNSAVED 1" in screen_text(app)
            assert app.outbox.unsaved == 1
        finally:
            server.start()
        deadline = time.monotonic() + 60  # the pool reconnects with back-off; a busy
        while app.outbox.unsaved and time.monotonic() < deadline:  # machine may need a few tries
            await pilot.press("r")
            await settle(pilot)
        assert app.outbox.unsaved == 0
        touches = store.touches(lead.id)
        assert [t.outcome for t in touches] == [Outcome.NO_ANSWER]
        assert touches[0].rep == "Sam Rivera"
        await pilot.press("r")  # nothing left to retry: still exactly one touch
        await settle(pilot)
        assert len(store.touches(lead.id)) == 1
