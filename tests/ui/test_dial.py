"""Dialling with `g`: the softphone command (no shell, a timeout, failures shown), or the
number copied and shown large; DNC never dialled; outside the window it asks first; the
call logged after a dial records when the dial started."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import timedelta

from conftest import SIZE, draft, screen_text
from textual.widgets import Digits

from leadtui.domain.model import Outcome
from leadtui.tui.screens.confirm import ConfirmScreen
from leadtui.tui.widgets.dial_banner import DialBanner
from leadtui.tui.widgets.lead_queue import LeadQueue

RECORD = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(' '.join(sys.argv[2:]))"


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_g_without_a_command_copies_and_shows_the_number_large_then_the_call_keeps_it(
    app_factory, store, add_leads, settle, clock
):
    (lead,) = add_leads(draft("Wren Adebayo", phone="+14155550188", tz="America/Los_Angeles"))
    clock.advance(hours=3)  # 10:00 in Los Angeles: inside the window
    app = app_factory()
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialed_at = clock.now()
        await pilot.press("g")
        await settle(pilot)
        assert copied == ["+14155550188"]
        banner = app.screen.query_one(DialBanner)
        assert banner.shown and banner.lead_id == lead.id
        assert "415" in str(banner.query_one(Digits).value)
        clock.advance(minutes=2)
        await pilot.press("n")
        await settle(pilot)
        (touch,) = store.touches(lead.id)
        assert touch.outcome is Outcome.NO_ANSWER
        assert touch.dialed_at == dialed_at and touch.at == dialed_at + timedelta(minutes=2)


async def test_esc_hides_the_large_number(app_factory, add_leads, settle):
    add_leads(draft("Wren Adebayo"))
    app = app_factory()
    app.copy_to_clipboard = lambda text: None  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        banner = app.screen.query_one(DialBanner)
        assert banner.shown
        await pilot.press("escape")
        assert not banner.shown


async def test_g_runs_the_dial_command_without_a_shell(
    app_factory, store, add_leads, settle, settings, tmp_path
):
    (lead,) = add_leads(draft("Wren; rm -rf ~", phone="+13125550177", tz="America/Chicago"))
    out = tmp_path / "dialled.txt"
    command = (sys.executable, "-c", RECORD, str(out), "call", "{phone}", "lead={lead_id}")
    app = app_factory(settings=replace(settings, dial_command=command))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        for _ in range(50):
            if out.exists():
                break
            await pilot.pause(0.05)
        assert out.read_text() == f"call +13125550177 lead={lead.id}"
        assert any("Dialling Wren; rm -rf ~" in m for m in _messages(app))
        assert not app.screen.query_one(DialBanner).shown


async def test_a_failing_dial_command_is_shown_and_the_app_goes_on(
    app_factory, store, add_leads, settle, settings, tmp_path
):
    (lead,) = add_leads(draft("Wren Adebayo"))
    command = (sys.executable, "-c", "import sys; sys.stderr.write('no SIP account\\n'); "
               "sys.exit(3)")  # fmt: skip
    app = app_factory(settings=replace(settings, dial_command=command))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        for _ in range(50):
            if any("Could not dial" in m for m in _messages(app)):
                break
            await pilot.pause(0.05)
        failed = [m for m in _messages(app) if "Could not dial" in m]
        assert failed and "status 3: no SIP account" in failed[0]
        assert app.is_running
        await pilot.press("h")  # the dial failed: the call logged now has no dial
        await settle(pilot)
        (touch,) = store.touches(lead.id)
        assert touch.outcome is Outcome.VM_HANGUP and touch.dialed_at is None


async def test_a_missing_dial_program_is_worded_not_a_traceback(
    app_factory, add_leads, settle, settings
):
    add_leads(draft("Wren Adebayo"))
    command = ("/nonexistent/softphone-xyz", "{phone}")
    app = app_factory(settings=replace(settings, dial_command=command))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        for _ in range(50):
            if any("program not found" in m for m in _messages(app)):
                break
            await pilot.pause(0.05)
        assert any("softphone-xyz: program not found" in m for m in _messages(app))


async def test_a_lead_marked_dnc_meanwhile_is_never_dialled(
    app_factory, add_leads, other_store, settle, settings, tmp_path, clock
):
    (lead,) = add_leads(draft("Wren Adebayo"))
    out = tmp_path / "dialled.txt"
    command = (sys.executable, "-c", RECORD, str(out), "{phone}")
    app = app_factory(settings=replace(settings, dial_command=command))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        other_store.log_touch(lead.id, Outcome.DNC, clock.now(), rep="Ann")  # not yet seen
        await pilot.press("g")
        await settle(pilot)
        for _ in range(20):
            await pilot.pause(0.05)
        assert not out.exists()
        assert any("do-not-call" in m for m in _messages(app))


async def test_outside_the_window_g_asks_first_and_the_call_is_an_override(
    app_factory, store, add_leads, settle, clock
):
    # 15:00 UTC is 00:00 in Tokyo: the window is shut there.
    (lead,) = add_leads(draft("Aiko Mori", phone="+81355550123", tz="Asia/Tokyo"))
    app = app_factory()
    app.copy_to_clipboard = lambda text: None  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")  # all active leads (this one is not due now)
        await settle(pilot)
        assert app.screen.query_one(LeadQueue).current_id == lead.id
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "outside the calling window" in screen_text(app)
        await pilot.press("n")  # no: nothing dialled
        await settle(pilot)
        assert not app.screen.query_one(DialBanner).shown
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.query_one(DialBanner).shown
        await pilot.press("n")  # logged at once: the rep already said yes to the window
        await settle(pilot)
        (touch,) = store.touches(lead.id)
        assert touch.override_window and touch.dialed_at == clock.now()


async def test_g_dials_in_the_blitz_and_the_notes_show_there(
    app_factory, store, add_leads, settle, clock
):
    lead = add_leads(draft("Wren Adebayo"))[0]
    store.add_note(lead.id, "Prefers mornings", clock.now())
    app = app_factory(blitz=(30, 5))
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Prefers mornings" in screen_text(app)
        assert "[2025-11-24 10:00 EST] Prefers mornings" in screen_text(app)  # local stamp
        await pilot.press("g")
        await settle(pilot)
        assert copied == [lead.phone]
        await pilot.press("n")
        await settle(pilot)
        (touch,) = store.touches(lead.id)
        assert touch.blitz_id is not None and touch.dialed_at is not None


async def test_shift_y_copies_the_id_in_the_blitz_too(app_factory, add_leads, settle):
    (lead,) = add_leads(draft("Wren Adebayo"))
    app = app_factory(blitz=(20, None))
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("Y")
        assert copied == [lead.id]
