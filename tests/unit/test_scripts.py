"""Scripts: packaged defaults, user overrides, safe rendering, the view for a next action."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadtui.domain.model import Channel, Lead, Message, NextAction
from leadtui.domain.scripts import (
    SCRIPT_NAMES,
    ScriptView,
    load_scripts,
    render,
    script_for,
    script_problems,
)

AT = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)
LEAD = Lead(
    id="abc12345",
    name="Dana Scully",
    phone="+14155552671",
    email="dana@example.com",
    source="web",
    timezone="America/Los_Angeles",
    received_at=AT,
)
REP = {"rep_name": "Sam Rep", "rep_first_name": "Sam", "rep_phone": "555-0100", "offer": "a demo"}


def action(message: Message = Message.NONE, channel: Channel = Channel.CALL, kind: str = "cadence"):
    return NextAction(channel=channel, kind=kind, message=message, due_at=AT, stage="day-0")


# --- packaged scripts ----------------------------------------------------------------------


def test_every_script_ships() -> None:
    scripts = load_scripts()
    for name in SCRIPT_NAMES:
        assert scripts.get(name), name


def test_comments_are_dropped() -> None:
    for text in load_scripts().values():
        assert not any(line.lstrip().startswith("#") for line in text.splitlines())


def test_live_call_follows_the_inviting_formula() -> None:
    guide = load_scripts()["live-call"]
    steps = ["GREET", "QUALIFY", "INVITE", "CLOSE TO ACTION", "FOLLOW UP", "OBJECTIONS"]
    positions = [guide.index(step) for step in steps]
    assert positions == sorted(positions)
    assert guide.count("(back to ") >= 4  # objections return to the step they came up in


def test_voicemails_carry_the_essentials() -> None:
    scripts = load_scripts()
    first = scripts["vm-first"]
    assert first.count("{rep_phone}") == 2  # number twice
    assert "{rep_name}" in first and "{first_name}" in first
    assert "again" in first.lower() or "try" in first.lower()  # you'll try again
    assert scripts["vm-follow-up"].count("{rep_phone}") == 2
    assert "catch up" in scripts["vm-follow-up"]
    final = scripts["vm-final"]
    assert "{rep_phone}" in final and "changes" in final
    assert "hang up" in scripts["vm-none"].lower()


def test_default_scripts_use_only_known_placeholders() -> None:
    known = {"first_name", "name", "phone", "source", "rep_name", "rep_first_name",
             "rep_phone", "offer"}  # fmt: skip
    values = dict.fromkeys(known, "X")
    for name, text in load_scripts().items():
        assert "{" not in render(text, values), name


# --- user overrides ------------------------------------------------------------------------


def test_user_files_override_by_name(tmp_path: Path) -> None:
    (tmp_path / "vm-first.txt").write_text("# mine\nHey {first_name}!\n", encoding="utf-8")
    (tmp_path / "Extra.TXT").write_text("extra script", encoding="utf-8")
    (tmp_path / "vm-final.txt").write_text("   \n# only a comment\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    (tmp_path / "dir.txt").mkdir()
    scripts = load_scripts(tmp_path)
    assert scripts["vm-first"] == "Hey {first_name}!"
    assert scripts["extra"] == "extra script"
    assert scripts["vm-final"] == load_scripts()["vm-final"]  # empty file: default kept
    assert "notes" not in scripts and "dir" not in scripts
    assert script_problems(tmp_path) == []


def test_missing_user_dir_gives_defaults(tmp_path: Path) -> None:
    assert load_scripts(tmp_path / "nope") == load_scripts(None)


def test_hostile_user_files_are_cleaned_and_reported(tmp_path: Path) -> None:
    (tmp_path / "vm-first.txt").write_bytes(b"Hi \x1b]0;t\x07{first_name}\xff\xfe\r\nbye")
    (tmp_path / "live-call.txt").write_bytes(b"x" * (200 * 1024))
    scripts = load_scripts(tmp_path)
    assert scripts["vm-first"] == "Hi {first_name}\ufffd\ufffd\nbye"
    assert len(scripts["live-call"]) <= 20_000
    problems = script_problems(tmp_path)
    assert len(problems) == 2
    assert any("not UTF-8" in p and "vm-first.txt" in p for p in problems)
    assert any("longer than" in p and "live-call.txt" in p for p in problems)


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "text.txt").write_bytes("\ufeffHi {first_name}".encode())
    assert load_scripts(tmp_path)["text"] == "Hi {first_name}"


# --- render ----------------------------------------------------------------------------------


def test_render_replaces_known_and_keeps_the_rest() -> None:
    out = render("Hi {first_name}, I'm {rep_name}. {unknown} {} {0} {{x}} {a.b} {x!r} {y:>10}",
                 {"first_name": "Dana", "rep_name": "Sam"})  # fmt: skip
    assert out == "Hi Dana, I'm Sam. {unknown} {} {0} {{x}} {a.b} {x!r} {y:>10}"


def test_empty_value_leaves_the_placeholder_visible() -> None:
    assert render("Call {rep_phone}", {"rep_phone": ""}) == "Call {rep_phone}"
    assert render("Call {rep_phone}", {"rep_phone": " \x1b[0m "}) == "Call {rep_phone}"


def test_values_are_not_substituted_twice_or_formatted() -> None:
    values = {"first_name": "{rep_name} {0.__class__} {x:>999999999}", "rep_name": "Sam"}
    assert render("{first_name}/{rep_name}", values) == (
        "{rep_name} {0.__class__} {x:>999999999}/Sam"
    )


def test_values_are_cleaned_to_one_plain_line() -> None:
    values = {"first_name": "Bob\x1b[2J\nEvil\u202e\x00", "offer": "x" * 10_000}
    out = render("{first_name}|{offer}", values)
    assert out == "Bob Evil|" + "x" * 200


@settings(max_examples=300)
@given(template=st.text(max_size=200), value=st.text(max_size=100))
def test_render_never_raises_and_never_leaks_escapes(template: str, value: str) -> None:
    out = render(template, {"first_name": value, "name": value})
    assert isinstance(out, str)
    cleaned_template = template.replace("{first_name}", "").replace("{name}", "")
    if "\x1b" not in cleaned_template:
        assert "\x1b" not in out


# --- script_for ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "needle"),
    [
        (Message.NONE, "Hang up, no message"),
        (Message.FIRST, "Once more, that's 555-0100"),
        (Message.FOLLOW_UP, "catch up"),
        (Message.FINAL, "If anything changes"),
    ],
)
def test_call_actions_get_the_right_voicemail(message: Message, needle: str) -> None:
    view = script_for(action(message), LEAD, REP, load_scripts())
    assert isinstance(view, ScriptView)
    assert view.voicemail is not None and needle in view.voicemail
    assert view.live_call.startswith("Sound glad")
    assert "Hi Dana, it's Sam Rep." in view.live_call
    assert view.title.startswith("Call Dana Scully (voicemail:")
    assert view.written is None


def test_first_message_is_fully_filled_in() -> None:
    view = script_for(action(Message.FIRST), LEAD, REP, load_scripts())
    assert view.voicemail is not None
    assert "{" not in view.voicemail
    assert view.voicemail.startswith("Hi Dana, this is Sam Rep.")
    assert view.voicemail.count("555-0100") == 2


def test_titles_by_kind() -> None:
    scripts = load_scripts()
    assert script_for(action(kind="callback"), LEAD, REP, scripts).title.startswith(
        "Callback: Dana Scully"
    )
    assert script_for(action(kind="follow-up"), LEAD, REP, scripts).title.startswith(
        "Follow-up call: Dana Scully"
    )
    none = script_for(None, LEAD, REP, scripts)
    assert none.title == "Dana Scully: no next action" and none.voicemail is None


def test_email_and_text_steps_get_a_written_message() -> None:
    scripts = load_scripts()
    email = script_for(action(channel=Channel.EMAIL, kind="email"), LEAD, REP, scripts)
    assert email.title == "Email Dana Scully" and email.voicemail is None
    assert email.written is not None and email.written.startswith("Subject: Your request, Dana")
    text = script_for(action(channel=Channel.TEXT, kind="text"), LEAD, REP, scripts)
    assert text.written is not None and "Sam Rep" in text.written


def test_unset_rep_details_stay_visible() -> None:
    view = script_for(action(Message.FIRST), LEAD, {"offer": "a demo"}, load_scripts())
    assert view.voicemail is not None and "{rep_phone}" in view.voicemail


def test_hostile_lead_name_is_plain_text() -> None:
    lead = Lead(**{**{f: getattr(LEAD, f) for f in LEAD.__slots__},
                   "name": "[red]Bob[/red] \x1b]52;c;eA==\x07{rep_phone}"})  # fmt: skip
    view = script_for(action(Message.FIRST), lead, {"rep_phone": "555-0100"}, load_scripts())
    for part in (view.title, view.live_call, view.voicemail or ""):
        assert "\x1b" not in part and "\x07" not in part
    assert view.title.startswith("Call [red]Bob[/red] {rep_phone} (")  # not substituted
    assert (view.voicemail or "").startswith("Hi [red]Bob[/red], this is {rep_name}.")


def test_missing_script_falls_back_to_the_default() -> None:
    view = script_for(action(Message.FINAL), LEAD, REP, {"live-call": "Custom {first_name}"})
    assert view.live_call == "Custom Dana"
    assert view.voicemail is not None and "If anything changes" in view.voicemail
