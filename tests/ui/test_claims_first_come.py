"""A lead is open on one screen at a time: the first claim wins (issue 14, no double dial).

Another rep opens a lead a moment before this screen's cursor lands on it (this screen has
not heard of it yet): this screen does not take it, marks it `taken by` at once, and its
claim on the lead it left ends.
"""

from __future__ import annotations

from conftest import SIZE, draft, screen_text

from leadtui.tui.widgets.lead_queue import LeadQueue


async def test_a_lead_another_rep_opened_first_stays_theirs(
    app_factory, store, other_store, add_leads, settle, clock
):
    alma, bert, cora = add_leads(
        draft("Alma Quist", minutes_ago=2), draft("Bert Oduya", minutes_ago=4),
        draft("Cora Lind", minutes_ago=6),
    )  # fmt: skip
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.current_id == alma.id
        mine = app.gateway.session
        assert store.claims(clock.now())[alma.id].session == mine
        other_store.claim(bert.id, "Ann Weber", "ann-screen", clock.now(), 120)
        await pilot.press("j")
        await settle(pilot)
        assert queue.current_id == bert.id
        held = store.claims(clock.now())
        assert held[bert.id].session == "ann-screen"
        assert alma.id not in held  # this screen moved off Alma: that claim ended
        assert "taken by Ann Weber" in screen_text(app)
        other_store.release("ann-screen")
        assert store.claims(clock.now()) == {}  # this screen never took Bert behind Ann
