"""The live queue: ages tick with the clock, other processes' writes show up, claims."""

from __future__ import annotations

from conftest import SIZE, draft, screen_text

from leadtui.domain.model import Outcome
from leadtui.tui.live import NEW_LEAD_GATHER_SECONDS
from leadtui.tui.screens.workstation import FIRST_ROWS, MAX_ROWS
from leadtui.tui.widgets.lead_queue import AGING_GLYPH, HOT_GLYPH, LeadQueue


def cell(queue: LeadQueue, lead_id: str, column: str) -> str:
    return queue.get_cell(lead_id, column).plain


async def test_ages_tick_and_aging_shows_by_glyph(app_factory, add_leads, settle, clock):
    (lead,) = add_leads(draft("Ada Lovelace", minutes_ago=4))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert cell(queue, lead.id, "age") == "4m"
        assert cell(queue, lead.id, "mark") == HOT_GLYPH
        assert "none aging" in screen_text(app)
        clock.advance(minutes=2, seconds=5)
        app.live.tick()
        await settle(pilot)
        assert cell(queue, lead.id, "age") == "6m"
        assert cell(queue, lead.id, "mark") == AGING_GLYPH
        assert "! 1 aging, oldest 6m" in screen_text(app)
        clock.advance(hours=2, minutes=7)
        app.live.tick()
        await settle(pilot)
        assert cell(queue, lead.id, "age") == "2h13m"


async def test_tick_keeps_the_cursor_on_the_reps_lead(app_factory, add_leads, settle, clock):
    leads = add_leads(*(draft(f"Lead {i}", minutes_ago=i + 1) for i in range(8)))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        await pilot.press("j", "j", "j")
        assert queue.current_id == leads[3].id
        for _ in range(3):
            clock.advance(seconds=1)
            app.live.tick()
            await settle(pilot)
        assert queue.current_id == leads[3].id


async def test_a_lead_added_by_another_process_appears_with_a_bell(
    app_factory, add_leads, other_store, settle, clock, monkeypatch
):
    add_leads(draft("Ada Lovelace", minutes_ago=3))
    app = app_factory()
    bells = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert len(queue.order) == 1
        (result,) = other_store.add_leads([draft("Brand New", source="google-ads")], clock.now())
        app.live.tick()  # the once-a-second poll
        await settle(pilot)
        assert queue.order[0] == result.lead.id  # brand-new leads rank first
        assert bells == [1]  # at once; the toast follows once the burst is over
        await pilot.pause(NEW_LEAD_GATHER_SECONDS + 0.2)
        toasts = [n.message for n in app._notifications]
        assert any("Brand New · google-ads" in m for m in toasts)


async def test_a_lead_logged_elsewhere_leaves_the_due_queue(
    app_factory, add_leads, other_store, settle, clock
):
    a, b = add_leads(draft("Alice", minutes_ago=1), draft("Bob", minutes_ago=2))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        await pilot.press("j")
        assert queue.current_id == b.id
        other_store.log_touch(a.id, Outcome.VM_HANGUP, clock.now(), rep="Ann")
        app.live.tick()
        await settle(pilot)
        assert queue.order == [b.id]
        assert queue.current_id == b.id


async def test_the_lead_under_the_cursor_is_claimed_and_released_on_quit(
    app_factory, add_leads, other_store, settle, clock
):
    a, b = add_leads(draft("Alice", minutes_ago=1), draft("Bob", minutes_ago=2))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        claims = other_store.claims(clock.now())
        assert claims[a.id].rep == "Sam Rivera"
        await pilot.press("j")
        await settle(pilot)
        claims = other_store.claims(clock.now())
        assert b.id in claims and a.id not in claims
        await pilot.press("q")
        await settle(pilot)
    assert other_store.claims(clock.now()) == {}


async def test_all_toggle_shows_leads_that_are_not_due(app_factory, store, add_leads, settle):
    due, later = add_leads(draft("Due Now"), draft("Later On", minutes_ago=2))
    store.log_touch(later.id, Outcome.VM_HANGUP, store.get_lead(later.id).received_at)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.order == [due.id]
        await pilot.press("A")
        await pilot.pause()
        assert queue.order == [due.id, later.id]
        assert "ALL 2 of 2 active" in screen_text(app)
        await pilot.press("A")
        await pilot.pause()
        assert queue.order == [due.id]


async def test_filter_by_name_phone_email_or_source(app_factory, add_leads, settle):
    ada, bob, cy = add_leads(
        draft("Ada Lovelace", email="ada@example.com"),
        draft("Bob Stone", source="referral", minutes_ago=2),
        draft("Cy Young", phone="+13129870142", minutes_ago=3),
    )
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        await pilot.press("slash", *"refer")
        await pilot.pause()
        assert queue.order == [bob.id]
        await pilot.press("enter")  # keep the filter, back to the queue
        await pilot.press("n")
        await settle(pilot)
        assert [t.outcome for t in app.store.touches(bob.id)] == [Outcome.NO_ANSWER]
        await pilot.press("slash", "ctrl+u", *"987-0142")  # a phone as people type it
        await pilot.pause()
        assert queue.order == [cy.id]
        await pilot.press("ctrl+u", *"EXAMPLE.com")
        await pilot.pause()
        assert queue.order == [ada.id]
        await pilot.press("escape")
        await pilot.pause()
        assert queue.order == [ada.id, cy.id]  # Bob is no longer due


async def test_a_big_queue_shows_the_top_rows_and_says_how_many_more(
    app_factory, add_leads, settle
):
    add_leads(*(draft(f"Lead {i}", minutes_ago=i + 1) for i in range(MAX_ROWS + 20)))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.row_count == MAX_ROWS
        assert "+20 more" in screen_text(app)


async def test_the_filter_finds_leads_past_the_rows_the_queue_holds(app_factory, add_leads, settle):
    """The snapshot holds only the queue's first MAX_ROWS; a filter narrows them at once
    and then shows what the store finds in the whole queue (its own page and count)."""
    leads = add_leads(
        *(draft(f"Lead {i}", minutes_ago=i + 1) for i in range(MAX_ROWS + 5)),
        draft("Quintus Marlow", minutes_ago=MAX_ROWS + 30, source="trade-show"),
        draft("Una Marlow", minutes_ago=2.5),
    )
    quintus, una = leads[-2], leads[-1]
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert quintus.id not in queue.order and una.id in queue.order
        await pilot.press("slash", *"marlow")
        await pilot.pause()
        assert una.id in queue.order  # narrowed at once from the rows held
        await settle(pilot)
        assert queue.order == [una.id, quintus.id]
        assert "filter 'marlow': 2 ·" in screen_text(app)
        await pilot.press("ctrl+u", *"TRADE-SHOW")
        await settle(pilot)
        assert queue.order == [quintus.id]
        await pilot.press("escape")
        await settle(pilot)
        assert queue.row_count == MAX_ROWS and quintus.id not in queue.order


async def test_the_first_queue_starts_past_the_first_rows_when_the_top_is_taken(
    app_factory, add_leads, other_store, settle, clock
):
    """The table gets its first rows before the first frame and the rest right after; a
    rep whose colleagues have the whole top of the queue open still starts on a free lead."""
    leads = add_leads(*(draft(f"Lead {i}", minutes_ago=i + 1) for i in range(FIRST_ROWS + 40)))
    for n, lead in enumerate(leads[: FIRST_ROWS + 10]):  # one lead open per session
        other_store.claim(lead.id, f"Rep {n}", f"other-session-{n}", clock.now(), 600)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.row_count == FIRST_ROWS + 40
        assert queue.current_id == leads[FIRST_ROWS + 10].id
        assert queue.cursor_row == FIRST_ROWS + 10


async def test_a_fresh_lead_ticks_by_the_second(app_factory, add_leads, settle, clock):
    (lead,) = add_leads(draft("Brand New", minutes_ago=0.5))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert cell(queue, lead.id, "age") == "30s"
        for expected in ("31s", "32s"):
            clock.advance(seconds=1)
            app.live.tick()
            await pilot.pause()
            assert cell(queue, lead.id, "age") == expected


async def test_rows_out_of_view_catch_up_when_scrolled_to(app_factory, add_leads, settle, clock):
    leads = add_leads(*(draft(f"Lead {i:02d}", minutes_ago=10 + i) for i in range(30)))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        last = leads[-1].id
        assert cell(queue, last, "age") == "39m"
        clock.advance(minutes=3)
        app.live.tick()
        await pilot.pause()
        assert cell(queue, leads[0].id, "age") == "13m"  # in view: rewritten
        await pilot.press("end")
        await pilot.pause()
        assert queue.current_id == last
        assert cell(queue, last, "age") == "42m"  # rewritten once it came into view


async def test_the_queue_says_it_is_loading_until_the_first_rank(
    app_factory, add_leads, settle, monkeypatch
):
    """A big pool takes a moment to rank: the rep sees "loading", never "No leads yet"
    or "0 of 0 active" over a full database."""
    import threading

    from leadtui.service.gateway import StoreGateway

    add_leads(draft("Ann Lee", minutes_ago=3))
    release = threading.Event()
    real = StoreGateway.snapshot

    def slow(self, now, needle="", rows=None):
        release.wait(10)
        return real(self, now, needle, rows)

    monkeypatch.setattr(StoreGateway, "snapshot", slow)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert text.count("Loading the queue…") == 2  # the status line and the lead pane
        assert "No leads yet" not in text and "0 of 0" not in text
        release.set()
        await settle(pilot)
        text = screen_text(app)
        assert "Loading" not in text and "Ann Lee" in text and "DUE 1 of 1 active" in text


async def test_a_store_that_cannot_be_read_at_start_says_so_in_the_lead_pane(
    app_factory, settle, monkeypatch
):
    from leadtui.service.gateway import StoreGateway
    from leadtui.store.protocol import StoreError

    def broken(self, now, needle="", rows=None):
        raise StoreError("/data/leads.json: [bold]cannot read it[/bold]")

    monkeypatch.setattr(StoreGateway, "snapshot", broken)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Could not read the leads: /data/leads.json: [bold]cannot" in text
        assert "No leads yet" not in text


async def test_a_primed_queue_is_on_the_first_screen_without_a_second_rank(
    app_factory, add_leads, monkeypatch
):
    """`run_tui` ranks the first queue before the app starts: the first screen already
    shows it, and no worker ranks it again at start."""
    from leadtui.service.gateway import StoreGateway

    add_leads(draft("Ann Lee", minutes_ago=3), draft("Bo Chen", minutes_ago=5))
    app = app_factory()
    app.live.prime_queue()
    ranks = []
    real = StoreGateway.snapshot
    monkeypatch.setattr(
        StoreGateway, "snapshot", lambda self, now: ranks.append(now) or real(self, now)
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Loading" not in text and "DUE 2 of 2 active" in text
        assert "Ann Lee" in text and "Bo Chen" in text
        assert app.screen.query_one(LeadQueue).row_count == 2
    assert ranks == []


async def test_a_failed_prime_leaves_the_first_rank_to_the_worker(
    app_factory, add_leads, settle, monkeypatch
):
    from leadtui.service.gateway import StoreGateway
    from leadtui.store.protocol import StoreError

    add_leads(draft("Ann Lee", minutes_ago=3))
    app = app_factory()
    real = StoreGateway.snapshot
    monkeypatch.setattr(
        StoreGateway, "snapshot", lambda self, now: (_ for _ in ()).throw(StoreError("busy"))
    )
    app.live.prime_queue()
    assert not app.live.queue_ready
    monkeypatch.setattr(StoreGateway, "snapshot", real)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Ann Lee" in screen_text(app)
