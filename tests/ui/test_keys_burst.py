"""Keys typed in one burst (one SSH packet) reach the prompt they belong to; Esc clears a
kept filter; after an outcome the cursor moves on along the rep's own path."""

from __future__ import annotations

from conftest import SIZE, draft
from textual import events
from textual.widgets import Input

from leadtui.domain.model import Outcome
from leadtui.tui.screens.text_prompt import TextPrompt
from leadtui.tui.screens.when_prompt import WhenPrompt
from leadtui.tui.screens.workstation import WorkstationScreen
from leadtui.tui.widgets.lead_queue import LeadQueue


def burst(app, keys: list[str]) -> None:
    """Post keys all at once, the way the terminal driver hands over one packet."""
    for key in keys:
        char = key if len(key) == 1 else None
        app.post_message(events.Key(key, char))


async def test_keys_typed_with_c_go_into_the_callback_prompt(app_factory, add_leads, settle):
    add_leads(draft("Rhea Okafor"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, ["c", "1", "1", "a", "m"])
        await settle(pilot)
        assert isinstance(app.screen, WhenPrompt)
        assert app.screen.query_one(Input).value == "11am"


async def test_q_typed_with_a_does_not_quit(app_factory, add_leads, settle):
    add_leads(draft("Rhea Okafor"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, ["a", "q"])
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, WhenPrompt)
        assert app.screen.query_one(Input).value == "q"


async def test_a_note_typed_in_one_burst_is_saved_and_the_next_key_logs(
    app_factory, store, add_leads, settle
):
    (lead,) = add_leads(draft("Rhea Okafor"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, ["o", *"gate code 41", "enter", "h"])
        await settle(pilot)
        await settle(pilot)
        assert "gate code 41" in store.get_lead(lead.id).notes
        assert [t.outcome for t in store.touches(lead.id)] == [Outcome.VM_HANGUP]


async def test_filter_letters_typed_with_slash_filter_and_esc_clears_the_kept_filter(
    app_factory, add_leads, settle
):
    add_leads(draft("Rhea Okafor", minutes_ago=1), draft("Ivo Brandt", minutes_ago=2))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, ["slash", *"brand", "enter"])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WorkstationScreen)
        assert screen.filter_text == "brand"
        queue = screen.query_one(LeadQueue)
        assert len(queue.order) == 1 and app.focused is queue  # kept, back on the queue
        await pilot.press("escape")
        await settle(pilot)
        assert screen.filter_text == ""
        assert len(queue.order) == 2


async def test_after_an_outcome_the_cursor_goes_on_down_the_path_not_to_the_top(
    app_factory, store, add_leads, settle
):
    first, second, third = add_leads(
        draft("Ann First", minutes_ago=1),
        draft("Ben Second", minutes_ago=2),
        draft("Cy Third", minutes_ago=3),
    )
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen.query_one(LeadQueue)
        assert queue.current_id == first.id
        await pilot.press("j")  # skip Ann for now
        assert queue.current_id == second.id
        await pilot.press("n")
        await settle(pilot)
        assert [t.outcome for t in store.touches(second.id)] == [Outcome.NO_ANSWER]
        assert queue.current_id == third.id  # on down, not back up to Ann


async def test_keys_after_a_closed_dialog_go_back_to_the_workstation(
    app_factory, store, add_leads, settle
):
    (lead,) = add_leads(draft("Rhea Okafor"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, ["o", "escape", "m"])
        await settle(pilot)
        await settle(pilot)
        assert not isinstance(app.screen, TextPrompt)
        assert [t.outcome for t in store.touches(lead.id)] == [Outcome.VM_MESSAGE]
