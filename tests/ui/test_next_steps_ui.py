"""Issue 11 in the workstation at 80x24: logging over a booked time says so in the toast;
the lead pane says when a lead's zone is unsure and when a repeat inquiry reopened it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from conftest import SIZE, START, draft, screen_text

from leadtui.clock import FixedClock
from leadtui.domain.model import LeadStatus, Outcome
from leadtui.domain.window import local_instant
from leadtui.tui.widgets.lead_queue import LeadQueue


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_logging_before_a_booked_callback_says_whether_it_stands(
    app_factory, store, add_leads, settle
):
    (lead,) = add_leads(draft("Cora Booked", tz="America/Chicago", minutes_ago=30))
    booked_for = local_instant((START + timedelta(days=1)).date(), START.time().replace(hour=10),
                               "America/Chicago")  # fmt: skip
    store.log_touch(lead.id, Outcome.CALLBACK, START - timedelta(minutes=20), when=booked_for)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")  # all active leads: the callback is not due yet
        await settle(pilot)
        assert app.screen.query_one(LeadQueue).current_id == lead.id
        await pilot.press("n")
        await settle(pilot)
        kept = [m for m in toasts(app) if "no-answer logged for Cora Booked" in m]
        assert kept and "the callback booked for tomorrow 10:00 stands" in kept[0]
        assert "next: callback tomorrow 10:00" in kept[0]
        assert store.get_lead(lead.id).status is LeadStatus.CALLBACK
        app.clock.advance(minutes=3)  # type: ignore[attr-defined]
        await pilot.press("t")
        await settle(pilot)
        replaced = [m for m in toasts(app) if "talked logged for Cora Booked" in m]
        assert replaced and "this replaces the callback booked for tomorrow 10:00" in replaced[0]
        assert [t.outcome for t in store.touches(lead.id)] == [
            Outcome.CALLBACK, Outcome.NO_ANSWER, Outcome.TALKED
        ]  # fmt: skip


async def test_the_lead_pane_says_the_zone_is_unsure_and_the_window_is_shared(
    app_factory, store, settle
):
    zones = ("Australia/Sydney", "Australia/Perth", "Australia/Adelaide")
    now = START.replace(hour=22, minute=30)  # 09:30 in Sydney, 06:30 in Perth
    unsure = replace(draft("Pia Unsure", tz="Australia/Sydney", phone="+61438555301", now=now),
                     zone_candidates=zones)  # fmt: skip
    (result,) = store.add_leads([unsure], now)
    app = app_factory(clock=FixedClock(now))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(LeadQueue).current_id is None  # not due before Perth's 08:00
        await pilot.press("A")
        await settle(pilot)
        text = screen_text(app)
        assert "zone unsure: Perth to Sydney, 3 zones" in text
        # the shared window opens at 08:00 in Perth (11:00 on the lead's Sydney clock)
        assert "window CLOSED, opens" in text and "11:00 (in 1h30m)" in text
        assert "Next: call at 11:00" in text
    assert result.lead.zone_unsure


async def test_a_lead_reopened_by_another_process_comes_back_as_new_with_a_bell(
    app_factory, store, add_leads, other_store, settle, clock, monkeypatch
):
    (lead,) = add_leads(draft("Ines Back", email="ines@example.org", minutes_ago=90))
    store.log_touch(lead.id, Outcome.NOT_INTERESTED, clock.now() - timedelta(minutes=80))
    app = app_factory()
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.order == []
        again = replace(draft("Ines Back", email="INES@example.org", phone="+12125550777"),
                        received_at=clock.now())  # fmt: skip
        (result,) = other_store.add_leads([again], clock.now())
        assert result.reopened and result.lead.id == lead.id
        app.live.tick()  # the once-a-second poll
        await settle(pilot)
        assert queue.order == [lead.id] and bells == [1]
        text = screen_text(app)
        assert "reopened, cadence started over" in text and "earlier: +1 212-555-" in text
        assert "new · 0 calls" in text
