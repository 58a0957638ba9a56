"""Issue 11 through the command line at scripted times (`--now`): callback grace, zone doubt,
repeat inquiries, booked times, the plan at night, `log --at` before arrival, the report."""

from __future__ import annotations

import json

import pytest
from cli_helpers import Cli


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def queue_ids(cli: Cli, now: str, *extra: str) -> list[str]:
    return [e["id"] for e in cli.ok("queue", "--json", *extra, now=now).json()]


# --- a callback asked for outside the window --------------------------------------------


def test_a_missed_late_callback_waits_for_the_morning_still_ranked_first(cli: Cli) -> None:
    # Seattle (PDT, -7): asked at 09:00 for a call at 20:50, after the window shuts
    lead = cli.add("Sam Ortiz", "206-555-0143", now="2026-06-02T16:00:00Z")
    cli.ok("log", lead, "callback", "--when", "2026-06-02 20:50", now="2026-06-02T16:05:00Z")
    assert queue_ids(cli, "2026-06-03T03:50:00Z") == [lead]  # 20:50: the time asked for
    assert queue_ids(cli, "2026-06-03T04:15:00Z") == [lead]  # 21:15: inside the grace
    assert queue_ids(cli, "2026-06-03T04:30:00Z") == []  # 21:30: waits for the window
    assert queue_ids(cli, "2026-06-03T10:00:00Z") == []  # 03:00 at night
    shown = cli.ok("show", lead, now="2026-06-03T10:00:00Z").out
    assert "waits for the window: Wed 03 Jun 08:00 PDT" in shown
    (entry,) = cli.ok("queue", "--all", "--json", now="2026-06-03T10:00:00Z").json()
    assert entry["due"] is False and entry["next_action"]["kind"] == "callback"
    fresh = cli.add("New Lead", "503-555-0177", now="2026-06-03T14:58:00Z")
    assert queue_ids(cli, "2026-06-03T15:00:00Z") == [lead, fresh]  # 08:00: callback first


# --- zone doubt -----------------------------------------------------------------------------


def test_an_australian_mobile_waits_for_perth_and_says_the_zone_is_unsure(cli: Cli) -> None:
    at = "2026-01-19T22:30:00Z"  # 06:30 in Perth, 09:30 in Sydney
    lead = cli.add("Ann Webb", "+61 438 555 219", "--email", "ann@example.com.au", now=at)
    data = cli.ok("show", lead, "--json", now=at).json()["lead"]
    assert data["timezone"] == "Australia/Sydney"
    assert {"Australia/Perth", "Australia/Sydney"} <= set(data["zone_candidates"])
    assert "zone unsure: Perth to Sydney, 6 zones" in cli.ok("show", lead, now=at).out
    assert queue_ids(cli, at) == []
    (entry,) = cli.ok("queue", "--all", "--json", now=at).json()
    assert entry["due_at"] == "2026-01-20T11:00:00+11:00"  # 08:00 in Perth
    assert entry["zone_candidates"] == data["zone_candidates"]
    assert queue_ids(cli, "2026-01-20T00:00:00Z") == [lead]
    named = cli.add("Bo Hart", "+61 438 555 220", "--timezone", "Australia/Sydney", now=at)
    shown = cli.ok("show", named, "--json", now=at).json()["lead"]
    assert shown["zone_candidates"] == [] and queue_ids(cli, at) == [named]


def test_a_number_that_names_its_zone_is_used(cli: Cli) -> None:
    lead = cli.add("Ivan Petrov", "+7 499 555 2010", now="2026-02-02T09:00:00Z")
    data = cli.ok("show", lead, "--json", now="2026-02-02T09:00:00Z").json()["lead"]
    assert (data["timezone"], data["zone_candidates"]) == ("Europe/Moscow", [])


# --- a repeat inquiry -------------------------------------------------------------------------


def test_a_repeat_inquiry_reopens_a_closed_lead_and_keeps_the_new_number(cli: Cli) -> None:
    first = "2026-05-11T09:00:00Z"
    lead = cli.add("Rui Costa", "+44 7700 900321", "--email", "rui@example.pt", now=first)
    cli.ok("log", lead, "bad-number", now="2026-05-11T09:03:00Z")
    assert queue_ids(cli, "2026-05-11T09:04:00Z", "--all") == []
    later = "2026-06-20T13:15:00Z"
    added = cli.ok("add", "--name", "Rui Costa", "--phone", "+44 7700 900654", "--email",
                   "RUI@example.pt", "--json", now=later).json()  # fmt: skip
    assert (added["id"], added["duplicate"], added["reopened"]) == (lead, True, True)
    assert added["phone"] == "+447700900654" and added["other_phones"] == ["+447700900321"]
    assert added["status"] == "new" and added["reopened_at"].startswith("2026-06-20T13:15")
    (entry,) = cli.ok("queue", "--json", now="2026-06-20T13:20:00Z").json()
    assert (entry["id"], entry["attempts"], entry["age_seconds"]) == (lead, 0, 300)
    assert entry["aging"] is False  # the speed-to-lead clock restarted at the inquiry
    shown = cli.ok("show", lead, now="2026-06-20T13:20:00Z").out
    assert "earlier:  +44 7700 900321" in shown and "bad-number" in shown  # history kept
    assert "reopened the lead" in shown
    csv = cli.ok("export", now="2026-06-20T13:20:00Z").out
    assert "+447700900654" in csv and "+447700900321" in csv
    # a call logged before the reopening inquiry is refused
    assert "before the lead arrived" in cli.refused(
        "log", lead, "no-answer", "--at", "2026-06-01T10:00:00Z", now="2026-06-20T13:20:00Z"
    )


def test_a_dnc_lead_stays_dnc_whatever_arrives(cli: Cli) -> None:
    lead = cli.add("Dana Fox", "+1 415 555 0187", "--email", "dana@example.com",
                   now="2026-03-02T17:00:00Z")  # fmt: skip
    cli.ok("log", lead, "dnc", now="2026-03-02T17:05:00Z")
    added = cli.ok("add", "--name", "Dana", "--phone", "+1 415 555 0190", "--email",
                   "dana@example.com", "--json", now="2026-04-02T17:00:00Z").json()  # fmt: skip
    assert (added["id"], added["status"], added["reopened"]) == (lead, "dnc", False)
    assert added["phone"] == "+14155550187" and "+14155550190" in added["other_phones"]


def test_the_import_summary_counts_reopened_leads(cli: Cli) -> None:
    lead = cli.add("Kai Lund", "+46 70 555 0123", "--email", "kai@example.se",
                   now="2026-02-10T08:00:00Z")  # fmt: skip
    cli.ok("log", lead, "not-interested", now="2026-02-10T08:02:00Z")
    data = (
        b"Name,Phone,Email,Created At\r\n"
        b"Kai Lund,+46 70 555 0999,kai@example.se,2026-03-01T10:00:00Z\r\n"
        b"Eva Berg,+46 70 555 0456,,2026-03-01T10:05:00Z\r\n"
    )
    out = cli.ok("import", "-", stdin=data, now="2026-03-01T10:10:00Z").out
    assert out.splitlines()[0] == "imported 1, duplicates 1 (1 closed lead(s) reopened), rejected 0"
    report = json.loads(cli.ok("import", "-", "--json", stdin=data, now="2026-03-01T10:11:00Z").out)
    assert (report["duplicates"], report["reopened"]) == (2, 0)  # the same rows again


# --- a booked time ------------------------------------------------------------------------------


def test_a_call_before_the_booked_time_keeps_the_booking_unless_it_reached(cli: Cli) -> None:
    lead = cli.add("Meera Rao", "+91 98205 55102", now="2026-09-14T04:30:00Z")  # 10:00 IST
    cli.ok("log", lead, "callback", "--when", "tomorrow 11:00", now="2026-09-14T04:35:00Z")
    out = cli.ok("log", lead, "no-answer", now="2026-09-14T09:00:00Z").out
    assert "(the callback booked for Tue 15 Sep 11:00 IST stands)" in out
    assert "next: callback" in out
    out = cli.ok("log", lead, "talked", now="2026-09-14T09:30:00Z").out
    assert "(replaces the callback booked for Tue 15 Sep 11:00 IST)" in out
    assert "next: follow-up call" in out


# --- the plan, times, the report -----------------------------------------------------------------


def test_the_plan_at_night_equals_the_plan_at_the_opening(cli: Cli) -> None:
    lead = cli.add("Liam Shaw", "+61 8 5550 1234", "--timezone", "Australia/Perth",
                   "--received", "2026-11-03T11:30:00Z", now="2026-11-03T11:30:00Z")  # fmt: skip
    night = cli.ok("plan", lead, "--json", now="2026-11-03T15:50:00Z").json()["steps"]
    morning = cli.ok("plan", lead, "--json", now="2026-11-04T00:00:00Z").json()["steps"]
    assert night == morning and len(night) == 9
    assert night[0]["due_at"] == "2026-11-04T08:00:00+08:00"
    assert [s["message"] for s in night if s["message"] != "none"] == [
        "first", "follow-up", "follow-up", "final"
    ]  # fmt: skip


def test_log_at_before_the_arrival_is_refused(cli: Cli) -> None:
    lead = cli.add("Noa Levi", "+1 312 555 0166", "--received", "2026-07-07T15:00:00Z",
                   now="2026-07-07T15:10:00Z")  # fmt: skip
    line = cli.refused("log", lead, "no-answer", "--at", "2026-07-07T14:59:00Z",
                       now="2026-07-07T15:10:00Z")  # fmt: skip
    assert "before the lead arrived" in line and "10:00 CDT" in line
    assert cli.ok("show", lead, "--json", now="2026-07-07T15:10:00Z").json()["touches"] == []
    cli.ok("log", lead, "no-answer", "--at", "2026-07-07T15:00:00Z", now="2026-07-07T15:10:00Z")


def test_the_report_counts_exhausted_leads_by_whether_they_were_reached(cli: Cli) -> None:
    now = "2026-08-31T12:00:00Z"
    never = cli.add("Una Reach", "+1 617 555 0101", "--received", "2026-08-01T13:00:00Z", now=now)
    reached = cli.add("Rita Talk", "+1 617 555 0102", "--received", "2026-08-01T13:00:00Z",
                      now=now)  # fmt: skip
    for hour in range(9):
        cli.ok("log", never, "no-answer", "--at", f"2026-08-0{hour + 1}T14:00:00Z", now=now)
    cli.ok("log", reached, "talked", "--at", "2026-08-01T14:00:00Z", now=now)
    for day in range(6):
        cli.ok("log", reached, "no-answer", "--at", f"2026-08-1{day}T15:00:00Z", now=now)
    persistency = cli.ok("report", "--json", now=now).json()["overall"]["persistency"]
    assert (persistency["exhausted"], persistency["follow_ups_exhausted"]) == (1, 1)


def test_the_queue_table_says_when_a_waiting_callback_may_happen(cli: Cli) -> None:
    lead = cli.add("Gus Hale", "+1 702 555 0131", now="2026-10-05T16:00:00Z")  # 09:00 PDT
    cli.ok("log", lead, "appointment", "--when", "2026-10-05 21:00", now="2026-10-05T16:02:00Z")
    out = cli.ok("queue", "--all", now="2026-10-06T06:00:00Z").out  # 23:00 in Las Vegas
    (row,) = [line for line in out.splitlines() if lead in line]
    assert "appointment" in row and "in 9h" in row  # 08:00 the next morning


def test_messages_follow_what_was_really_left(cli: Cli) -> None:
    # London, 18:05 BST: too late for the same-day third call
    lead = cli.add("Ola Berg", "+44 20 7946 0321", now="2026-05-04T17:05:00Z")
    cli.ok("log", lead, "vm-hangup", now="2026-05-04T17:05:00Z")
    cli.ok("log", lead, "no-answer", now="2026-05-04T17:36:00Z")  # first message not left
    nxt = cli.ok("show", lead, "--json", now="2026-05-04T17:40:00Z").json()["next_action"]
    assert (nxt["stage"], nxt["message"]) == ("days-1-7", "first")  # carried, not skipped
    messages = [s["message"] for s in cli.ok("plan", lead, "--json", now="2026-05-04T17:40:00Z")
                .json()["steps"] if s["message"] != "none"]  # fmt: skip
    assert messages == ["first", "follow-up", "follow-up", "final"]
    early = cli.add("Pat Early", "+44 20 7946 0322", now="2026-05-04T09:00:00Z")
    out = cli.ok("log", early, "vm-message", now="2026-05-04T09:00:00Z").out
    assert "next: call, due" in out  # the first message was left early: not asked again
