"""Pure pieces of issue 16: the dial command, dial gaps, finding leads, note stamps,
`dial_command` in the config, `find` and `queue --limit` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadtui.config import ConfigError, load_settings
from leadtui.domain.dial import check_dial, dial_argv, dial_gaps, median_gap
from leadtui.domain.find import find_leads
from leadtui.domain.model import Lead, LeadError, LeadStatus
from leadtui.domain.notes import local_stamps
from leadtui.domain.when import examples, parse_when
from leadtui.tui.dialer import Dial, Dials, run_dial_command

AT = datetime(2027, 2, 9, 16, 40, tzinfo=UTC)


def lead(name: str, phone: str, email: str = "", minutes_ago: int = 0, **kw) -> Lead:
    return Lead(
        id=kw.pop("id", name.lower().replace(" ", "")[:8]),
        name=name,
        phone=phone,
        email=email,
        source="",
        timezone=kw.pop("timezone", "America/Chicago"),
        received_at=AT - timedelta(minutes=minutes_ago),
        **kw,
    )


def test_dial_argv_fills_each_argument_on_its_own() -> None:
    who = lead("Zed Ortiz", "+13125550166", id="k2m4p6q8")
    argv = dial_argv(("baresip", "-e", "/dial {phone}", "--tag={lead_id}", "$(reboot)"), who)
    assert argv == ["baresip", "-e", "/dial +13125550166", "--tag=k2m4p6q8", "$(reboot)"]


def test_a_dnc_lead_is_never_dialled_and_no_command_is_refused() -> None:
    who = lead("Zed Ortiz", "+13125550166")
    with pytest.raises(LeadError, match="do-not-call"):
        check_dial(replace(who, status=LeadStatus.DNC))
    with pytest.raises(LeadError, match="no dial command"):
        dial_argv((), who)


def test_time_between_dials() -> None:
    starts = [AT + timedelta(seconds=s) for s in (0, 95, 40, 400)]
    assert dial_gaps(starts) == [40.0, 55.0, 305.0]
    assert median_gap(starts) == 55.0
    assert median_gap(starts[:3]) == pytest.approx(47.5)
    assert median_gap(starts[:1]) is None


def test_run_dial_command_reports_failures_in_one_line(tmp_path: Path) -> None:
    assert run_dial_command([sys.executable, "-c", "pass"]) == ""
    failed = run_dial_command([sys.executable, "-c", "import sys; print('x', file=sys.stderr); "
                               "print('line two', file=sys.stderr); sys.exit(7)"])  # fmt: skip
    assert failed.endswith("exited with status 7: line two")
    assert "program not found" in run_dial_command([str(tmp_path / "no-such-phone")])
    slow = run_dial_command([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3)
    assert "did not finish within 0.3s" in slow


def test_dials_are_taken_by_the_next_call_within_the_hour() -> None:
    dials = Dials()
    dials.start(Dial("a", AT, override_window=True))
    assert dials.peek("a", AT + timedelta(minutes=59)) is not None
    assert dials.peek("a", AT + timedelta(minutes=61)) is None
    assert dials.take("a", AT + timedelta(minutes=3)) == Dial("a", AT, True)
    assert dials.take("a", AT + timedelta(minutes=3)) is None


def test_find_ranks_phone_in_any_format_email_and_names() -> None:
    ana = lead("Ana Lima", "+13125550166", "ana.lima@example.org", minutes_ago=30, id="aaaa1111")
    anabel = lead("Anabel Kane", "+447700900123", minutes_ago=5, id="bbbb2222")
    liman = lead("Dora Liman", "+13125550999", "dl@example.org", minutes_ago=1, id="cccc3333")
    leads = [ana, anabel, liman]
    assert [f.lead.id for f in find_leads(leads, "(312) 555-0166")] == ["aaaa1111"]
    assert [f.lead.id for f in find_leads(leads, "312.555.0166", "US")] == ["aaaa1111"]
    assert find_leads(leads, "07700 900123", "GB")[0].lead.id == "bbbb2222"
    assert [f.lead.id for f in find_leads(leads, "ana")] == ["aaaa1111", "bbbb2222"]
    found = find_leads(leads, "lima")
    assert [f.lead.id for f in found] == ["aaaa1111", "cccc3333"]  # word first, then part
    assert find_leads(leads, "ANA.LIMA@EXAMPLE.ORG")[0].matched == "email"
    assert find_leads(leads, "bbbb2222")[0].matched == "id"
    digits = find_leads(leads, "555-09")
    assert [(f.lead.id, f.matched) for f in digits] == [("cccc3333", "phone")]
    assert find_leads(leads, "   ") == []


def test_note_stamps_show_in_the_leads_time() -> None:
    notes = "[2027-02-09 16:40 UTC] wants a quote\nsee [2027-13-45 99:99 UTC] as typed"
    shown = local_stamps(notes, "Australia/Perth")
    assert shown.startswith("[2027-02-10 00:40 AWST] wants a quote")
    assert "[2027-13-45 99:99 UTC]" in shown


def test_ten_am_tomorrow_and_examples_from_today() -> None:
    now = datetime(2028, 7, 3, 12, 0, tzinfo=UTC)
    for text in ("10am tomorrow", "tomorrow 10am", "10:00 tomorrow"):
        assert parse_when(text, now, "Asia/Kolkata") == datetime(2028, 7, 4, 4, 30, tzinfo=UTC)
    assert parse_when("9:15 fri", now, "UTC").weekday() == 4
    assert "2028-07-05 15:30" in examples(now)
    assert "2025" not in examples(now)


def test_dial_command_from_toml_array_string_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('dial_command = ["linphonecsh", "dial", "{phone}"]\n')
    assert load_settings(config, env={}).dial_command == ("linphonecsh", "dial", "{phone}")
    config.write_text("dial_command = \"xdg-open 'tel:{phone}'\"\n")
    assert load_settings(config, env={}).dial_command == ("xdg-open", "tel:{phone}")
    env = {"LEADTUI_DIAL_COMMAND": "sip-cli call {phone} --ref {lead_id}"}
    assert load_settings(config, env=env).dial_command[-1] == "{lead_id}"
    config.write_text('dial_command = ["softphone", "{number}"]\n')
    with pytest.raises(ConfigError, match=r"line 1: dial_command has an unknown placeholder"):
        load_settings(config, env={})
    config.write_text("dial_command = 3\n")
    with pytest.raises(ConfigError, match="dial_command must be a list"):
        load_settings(config, env={})


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadtui", "--home", str(home), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_find_and_queue_limit_on_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "h"
    first = _cli(home, "add", "--name", "Ines Duarte", "--phone", "+351 21 000 0917",
                 "--email", "ines@example.pt").stdout.strip()  # fmt: skip
    _cli(home, "add", "--name", "Ivo Duarte", "--phone", "(646) 555-0134")
    found = _cli(home, "find", "+351210000917")
    assert found.returncode == 0 and found.stdout.startswith(first)
    data = json.loads(_cli(home, "find", "duarte", "--json").stdout)
    assert {d["name"] for d in data} == {"Ines Duarte", "Ivo Duarte"}
    assert all(d["matched"] == "name" and d["phone"].startswith("+") for d in data)
    missing = _cli(home, "find", "nobody here")
    assert missing.returncode == 1 and missing.stderr.startswith("leadtui: no lead matches")
    zero = _cli(home, "queue", "--limit", "0")
    assert zero.returncode == 2 and "must be 1 or more" in zero.stderr
    unknown = _cli(home, "report", "--source", "radio")
    assert unknown.returncode == 1 and "no leads from source 'radio'" in unknown.stderr


def test_dialed_at_is_stored_reread_and_exported(tmp_path: Path) -> None:
    from leadtui.domain.cadence import load_cadence
    from leadtui.domain.model import LeadDraft, Outcome
    from leadtui.io.export import touch_to_dict
    from leadtui.store.repository import open_store

    cadence = load_cadence()
    store = open_store(tmp_path / "leads.json", cadence=cadence)
    draft = LeadDraft(name="Zed Ortiz", phone="+13125550166", email="", source="",
                      timezone="America/Chicago",
                      received_at=AT)  # fmt: skip
    (added,) = store.add_leads([draft], AT)
    dialed = AT + timedelta(minutes=1, seconds=12)
    touch = store.log_touch(added.lead.id, Outcome.NO_ANSWER, dialed + timedelta(seconds=40),
                            dialed_at=dialed)  # fmt: skip
    plain = store.log_touch(added.lead.id, Outcome.VM_HANGUP, AT + timedelta(hours=1))
    store.close()
    again = open_store(tmp_path / "leads.json", cadence=cadence)
    first, second = again.touches(added.lead.id)
    assert first == touch and first.dialed_at == dialed and second.dialed_at is None
    assert plain.dialed_at is None
    assert touch_to_dict(first)["dialed_at"] == "2027-02-09T16:41:12+00:00"
    again.close()
