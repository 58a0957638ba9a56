"""Outcome keys at 80x24: each key stores its touch, prompts ask first, undo, auto-advance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import SIZE, draft, screen_text

from leadtui.domain.model import LeadStatus, Outcome
from leadtui.tui.screens.confirm import ConfirmScreen
from leadtui.tui.screens.when_prompt import WhenPrompt
from leadtui.tui.widgets.lead_queue import LeadQueue


def outcomes(store, lead_id: str) -> list[str]:
    return [str(t.outcome) for t in store.touches(lead_id)]


@pytest.mark.parametrize(
    ("key", "outcome"),
    [
        ("n", Outcome.NO_ANSWER),
        ("h", Outcome.VM_HANGUP),
        ("m", Outcome.VM_MESSAGE),
        ("t", Outcome.TALKED),
        ("x", Outcome.NOT_INTERESTED),
        ("b", Outcome.BAD_NUMBER),
        ("w", Outcome.WON),
        ("e", Outcome.EMAIL),
        ("s", Outcome.TEXT),
    ],
)
async def test_outcome_key_stores_the_touch(app_factory, store, add_leads, settle, key, outcome):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(LeadQueue).current_id == lead.id
        await pilot.press(key)
        await settle(pilot)
        touches = store.touches(lead.id)
        assert [t.outcome for t in touches] == [outcome]
        assert touches[0].rep == "Sam Rivera"
        assert touches[0].at == app.clock.now()


async def test_toast_says_what_is_next_only_after_the_store_has_it(
    app_factory, store, add_leads, settle
):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        saved = [m for m in messages if "vm-hangup logged for Ada Lovelace" in m]
        assert saved and "next: call at" in saved[0] and "first message" in saved[0]
        assert outcomes(store, lead.id) == ["vm-hangup"]


async def test_callback_prompt_reads_the_time_in_the_leads_zone(
    app_factory, store, add_leads, settle
):
    (lead,) = add_leads(draft("Grace Hopper", tz="America/Chicago"))  # 09:00 there
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, WhenPrompt)
        await pilot.press(*"15:30")
        await pilot.pause()
        assert "Mon 24 Nov 15:30 CST (in 6h30m)" in screen_text(app)
        assert store.touches(lead.id) == []  # nothing saved before Enter
        await pilot.press("enter")
        await settle(pilot)
        (touch,) = store.touches(lead.id)
        assert touch.outcome is Outcome.CALLBACK
        assert touch.when == datetime(2025, 11, 24, 21, 30, tzinfo=UTC)
        assert touch.override_window is False


async def test_callback_prompt_refuses_what_it_cannot_read(app_factory, store, add_leads, settle):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", *"soon", "enter")
        await settle(pilot)
        assert isinstance(app.screen, WhenPrompt)
        assert "can't read 'soon'" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert store.touches(lead.id) == []


async def test_undo_removes_the_touch_just_logged(app_factory, store, add_leads, settle):
    first, second = add_leads(draft("Newest", minutes_ago=1), draft("Older", minutes_ago=3))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.current_id == first.id
        await pilot.press("n")
        await settle(pilot)
        assert outcomes(store, first.id) == ["no-answer"]
        assert queue.current_id == second.id  # moved on
        await pilot.press("u")  # undoes the touch on the lead logged, not the one shown
        await settle(pilot)
        assert store.touches(first.id) == []
        assert store.touches(second.id) == []
        assert queue.current_id == first.id


async def test_cursor_moves_to_the_next_due_lead_skipping_taken_ones(
    app_factory, store, other_store, add_leads, settle, clock
):
    a, b, c = add_leads(
        draft("Alice", minutes_ago=1), draft("Bob", minutes_ago=2), draft("Cleo", minutes_ago=3)
    )
    other_store.claim(b.id, "Ann", "ann-session", clock.now(), 120)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.order == [a.id, b.id, c.id]
        assert "taken by Ann" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert queue.current_id == c.id
        assert outcomes(store, a.id) == ["no-answer"]


async def test_do_not_call_asks_first(app_factory, store, add_leads, settle):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no
        await settle(pilot)
        assert store.touches(lead.id) == []
        await pilot.press("d", "y")
        await settle(pilot)
        assert outcomes(store, lead.id) == ["dnc"]
        assert store.get_lead(lead.id).status is LeadStatus.DNC


async def test_a_do_not_call_lead_cannot_be_logged_as_a_call(
    app_factory, store, other_store, add_leads, settle, clock
):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Another rep marks the lead do-not-call; this screen has not re-read yet.
        other_store.log_touch(lead.id, Outcome.DNC, clock.now(), rep="Ann")
        await pilot.press("n")
        await settle(pilot)
        assert outcomes(store, lead.id) == ["dnc"]
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("do-not-call" in m for m in errors)
        assert not any("logged for" in n.message for n in app._notifications)


async def test_a_call_outside_the_window_asks_and_records_the_override(
    app_factory, store, add_leads, settle
):
    (lead,) = add_leads(draft("Kenji", tz="Asia/Tokyo"))  # 00:00 in Tokyo
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.order == []  # not callable now: not on the due queue
        await pilot.press("A")
        await settle(pilot)
        assert queue.current_id == lead.id
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "outside the calling window" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert store.touches(lead.id) == []
        await pilot.press("n", "y")
        await settle(pilot)
        (touch,) = store.touches(lead.id)
        assert touch.outcome is Outcome.NO_ANSWER and touch.override_window is True


async def test_note_input_receives_every_letter(app_factory, store, add_leads, settle):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        text = "quiet? no, call at noon [b]x[/b]"
        await pilot.press(*["space" if ch == " " else ch for ch in text])
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert text in store.get_lead(lead.id).notes
        assert store.touches(lead.id) == []


async def test_keys_can_be_remapped(app_factory, store, add_leads, settle, settings):
    from dataclasses import replace

    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory(settings=replace(settings, keymap={"no_answer": "1"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert store.touches(lead.id) == []
        await pilot.press("1")
        await settle(pilot)
        assert outcomes(store, lead.id) == ["no-answer"]


async def test_logging_on_a_lead_another_rep_has_open_asks_first(
    app_factory, store, other_store, add_leads, settle, clock
):
    (lead,) = add_leads(draft("Ada Lovelace"))
    other_store.claim(lead.id, "Ann", "ann-session", clock.now(), 120)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Ann has Ada Lovelace open" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert store.touches(lead.id) == []
        await pilot.press("n", "y")
        await settle(pilot)
        assert outcomes(store, lead.id) == ["no-answer"]


async def test_undo_brings_back_a_lead_that_left_the_queue(app_factory, store, add_leads, settle):
    (lead,) = add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")  # won: the lead leaves the queue
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.order == []
        await pilot.press("u")
        await settle(pilot)
        assert store.touches(lead.id) == []
        assert queue.order == [lead.id]


async def test_undo_leaves_another_reps_touch_alone_unless_confirmed(
    app_factory, store, other_store, add_leads, settle, clock
):
    (lead,) = add_leads(draft("Ada Lovelace"))
    other_store.log_touch(lead.id, Outcome.EMAIL, clock.now(), rep="Ann")
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Nothing of yours to undo" in screen_text(app)
        assert "logged by Ann" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert outcomes(store, lead.id) == ["email"]
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert outcomes(store, lead.id) == []


async def test_undo_never_removes_a_touch_another_rep_logged_after_mine(
    app_factory, store, other_store, add_leads, settle, clock
):
    first, second = add_leads(draft("Lin Wei", minutes_ago=2), draft("Omar Haddad", minutes_ago=4))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")  # on Lin Wei
        await settle(pilot)
        clock.advance(minutes=1)
        theirs = other_store.log_touch(first.id, Outcome.TALKED, clock.now(), rep="Ben",
                                       note="booked follow-up", when=clock.now())  # fmt: skip
        await pilot.press("u")
        await settle(pilot)
        touches = store.touches(first.id)
        assert [t.outcome for t in touches] == [Outcome.NO_ANSWER, Outcome.TALKED]
        assert touches[-1] == theirs and touches[-1].note == "booked follow-up"
        assert store.touches(second.id) == []
        assert any("no longer the lead's last touch" in n.message for n in app._notifications)


async def test_undo_right_after_the_key_removes_that_touch(app_factory, store, add_leads, settle):
    (lead,) = add_leads(draft("Lin Wei"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h", "u")  # undo queued behind the write it undoes
        await settle(pilot)
        assert store.touches(lead.id) == []
