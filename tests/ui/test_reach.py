"""Everything reachable from the keyboard at 80x24: the pane scrolls and zooms, the footer
shows what fits, the lead id shows and copies, prompts say things right, toasts keep clear."""

from __future__ import annotations

from dataclasses import replace

from conftest import SIZE, draft, screen_text
from rich.text import Text
from textual.widgets import Input

from leadtui.domain.model import LeadStatus, Outcome
from leadtui.tui.screens.rep_details import RepDetailsScreen
from leadtui.tui.screens.text_prompt import TextPrompt
from leadtui.tui.screens.when_prompt import WhenPrompt
from leadtui.tui.widgets.key_bar import KeyBar
from leadtui.tui.widgets.lead_detail import LeadDetail
from leadtui.tui.widgets.lead_queue import LeadQueue
from leadtui.tui.widgets.script_pane import ScriptPane

WIDE = (160, 48)


async def test_shift_j_scrolls_the_script_pane_and_z_zooms_it(app_factory, add_leads, settle):
    add_leads(draft("Odile Marchetti"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right")  # the script pane
        script = app.screen.query_one(ScriptPane)
        assert script.scroll_y == 0
        await pilot.press("J")
        await pilot.pause()
        assert script.scroll_y > 0
        await pilot.press("K")
        await pilot.pause()
        assert script.scroll_y == 0
        queue = app.screen.query_one(LeadQueue)
        tall = script.size.height
        await pilot.press("z")
        await pilot.pause()
        assert not queue.display or queue.size.height == 0
        assert script.size.height > tall
        await pilot.press("escape")  # leaves the zoom
        await pilot.pause()
        assert queue.size.height > 0


async def test_long_notes_scroll_in_the_lead_pane(app_factory, store, add_leads, settle, clock):
    (lead,) = add_leads(draft("Odile Marchetti"))
    for n in range(12):
        store.add_note(lead.id, f"note number {n}", clock.now())
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = app.screen.query_one(LeadDetail)
        assert detail.max_scroll_y > 0
        await pilot.press("shift+down")
        await pilot.pause()
        assert detail.scroll_y > 0


async def test_footer_shows_what_fits(app_factory, add_leads, settle):
    add_leads(draft("Odile Marchetti"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        narrow = str(app.screen.query_one(KeyBar).render())
        assert "n h m t c log" in narrow and "g dial" in narrow and "q quit" in narrow
        assert len(narrow) <= SIZE[0]
    app = app_factory()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        wide = str(app.screen.query_one(KeyBar).render())
        for part in ("x b d w e s log", "o note", "u undo", "Y copy id", "z zoom", "/ filter",
                     "A due/all", "B blitz", "R report", "? help"):  # fmt: skip
            assert part in wide, part


async def test_the_footer_follows_the_keymap(app_factory, add_leads, settle, settings):
    add_leads(draft("Odile Marchetti"))
    app = app_factory(settings=replace(settings, keymap={"dial": "ctrl+g"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "^g dial" in str(app.screen.query_one(KeyBar).render())


async def test_lead_id_shows_and_shift_y_copies_it_and_the_number_is_a_tel_link(
    app_factory, add_leads, settle
):
    (lead,) = add_leads(draft("Odile Marchetti", phone="+12125550142"))
    app = app_factory()
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert f"id {lead.id}" in screen_text(app)
        await pilot.press("Y")
        assert copied == [lead.id]
        body = app.screen.query_one("#detail-body").render()
        text = body if isinstance(body, Text) else None
        if text is None:  # a Static renders to Content
            links = {span.style.link for span in body.spans if hasattr(span.style, "link")}
        else:
            links = {getattr(span.style, "link", None) for span in text.spans}
        assert "tel:+12125550142" in links


async def test_the_callback_prompt_warns_outside_the_window_and_asks_again(
    app_factory, store, add_leads, settle
):
    (lead,) = add_leads(draft("Odile Marchetti", tz="Europe/Paris"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, WhenPrompt)
        await pilot.press(*"10pm tomorrow")
        await pilot.pause()
        shown = screen_text(app)
        assert "outside their calling window (08:00–20:30 their time)" in shown
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WhenPrompt)  # not yet
        assert store.touches(lead.id) == []
        await pilot.press("enter")
        await settle(pilot)
        (touch,) = store.touches(lead.id)
        assert touch.outcome is Outcome.CALLBACK
        assert touch.when is not None and touch.when.astimezone().hour >= 0
        local = touch.when.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
        assert (local.hour, local.day) == (22, 25)


async def test_setup_refuses_a_name_as_the_phone(app_factory, add_leads, settle, settings):
    add_leads(draft("Odile Marchetti"))
    app = app_factory(settings=replace(settings, rep_name="", rep_phone=""))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RepDetailsScreen)
        await pilot.press(*"Dana Rivera", "enter", *"Dana Rivera", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RepDetailsScreen)
        assert "is not a valid number" in screen_text(app)
        phone = app.screen.query_one("#rep-phone", Input)
        phone.value = ""
        await pilot.press(*"(312) 555-0143", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, RepDetailsScreen)
        assert app.settings.rep_phone == "(312) 555-0143"


async def test_a_burst_of_new_leads_is_one_toast_held_while_a_dialog_is_open(
    app_factory, add_leads, other_store, settle, clock
):
    add_leads(draft("Odile Marchetti"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")  # a dialog is open
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        other_store.add_leads([draft(f"Caller {n}", source="ads") for n in range(7)], clock.now())
        app.live.tick()
        await settle(pilot)
        await pilot.pause(1.0)
        titles = [n.title for n in app._notifications]
        assert not any("new lead" in (t or "").lower() for t in titles)  # not over the dialog
        await pilot.press("escape")
        await settle(pilot)
        titles = [n.title for n in app._notifications]
        assert titles.count("7 new leads") == 1
        assert not any(t == "New lead" for t in titles)


async def test_the_palette_import_of_a_missing_file_is_worded_as_the_cli_does(
    app_factory, add_leads, settle, tmp_path
):
    add_leads(draft("Odile Marchetti"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_import_csv()
        await settle(pilot)
        missing = tmp_path / "nope.csv"
        await pilot.press(*str(missing), "enter")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert f"cannot read {missing}: No such file or directory" in messages
        assert not any("Errno" in m for m in messages)


async def test_the_help_lists_the_new_keys_and_dates_from_today(app_factory, add_leads, settle):
    add_leads(draft("Odile Marchetti"))
    app = app_factory()
    app.demo_home = "/tmp/leadtui-demo-xyz"
    async with app.run_test(size=(100, 80)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        shown = screen_text(app)
        for part in ("Dial the lead", "Y ", "J shift+down", "z ", "Home End  G",
                     "2025-11-26 15:30", "/tmp/leadtui-demo-xyz"):  # fmt: skip
            assert part in shown, part
        assert "2025-11-24 15:30" not in shown.replace("2025-11-26", "")


async def test_dnc_status_stays_undialled_in_the_domain(add_leads):
    from leadtui.domain.dial import dial_argv
    from leadtui.domain.model import LeadError

    (lead,) = add_leads(draft("Odile Marchetti"))
    try:
        dial_argv(("softphone", "{phone}"), replace(lead, status=LeadStatus.DNC))
    except LeadError as exc:
        assert "do-not-call" in str(exc)
    else:
        raise AssertionError("a DNC lead was dialled")
