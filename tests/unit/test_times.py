"""One accepted range for every time that enters (domain/times.py), at every door:
the pure checker, the when-parser, the CLI options, a CSV row and the store itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_helpers import Cli

from leadtui.domain.model import LeadError
from leadtui.domain.times import (
    TimeRangeError,
    check_clock,
    check_event,
    check_received,
    stored_time_problem,
    to_utc,
)
from leadtui.domain.when import WhenError, parse_when

NOW = datetime(2027, 8, 17, 9, 40, tzinfo=UTC)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


# --- the pure checker -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3))),
        datetime(9999, 12, 31, 20, tzinfo=timezone(timedelta(hours=-7))),
    ],
)
def test_to_utc_refuses_what_python_cannot_move_to_utc(value: datetime) -> None:
    with pytest.raises(TimeRangeError, match="out of range"):
        to_utc(value, "received time")


def test_event_range_is_2000_to_a_day_after_now() -> None:
    assert check_event(datetime(2000, 1, 1, tzinfo=UTC), NOW) == datetime(2000, 1, 1, tzinfo=UTC)
    edge = NOW + timedelta(days=1)
    assert check_event(edge, NOW) == edge
    with pytest.raises(TimeRangeError, match="received time .* out of range"):
        check_received(edge + timedelta(seconds=1), NOW)
    with pytest.raises(TimeRangeError, match="out of range"):
        check_received(datetime(1999, 12, 31, 23, 59, tzinfo=UTC), NOW)


def test_clock_range_has_room_for_any_zone_and_cadence_arithmetic() -> None:
    for year in (1970, 2999):
        value = check_clock(datetime(year, 6, 1, tzinfo=UTC))
        for hours in (-14, 14):
            value.astimezone(timezone(timedelta(hours=hours)))  # never overflows
        assert value + timedelta(weeks=52) > value
    with pytest.raises(TimeRangeError):
        check_clock(datetime(3000, 1, 1, 0, 0, 1, tzinfo=UTC))
    with pytest.raises(TimeRangeError):
        check_clock(datetime(1969, 12, 31, tzinfo=UTC))


def test_stored_time_problem() -> None:
    assert stored_time_problem("2024-02-29T12:00:00+00:00", NOW, "event") is None
    assert "out of range" in (stored_time_problem("0001-01-01T00:00:00+00:00", NOW, "event") or "")
    assert "out of range" in (stored_time_problem("9999-12-31T00:00:00+00:00", NOW, "clock") or "")
    assert "not a time" in (stored_time_problem("soon", NOW, "clock") or "")
    assert "not a time" in (stored_time_problem(17, NOW, "event") or "")


# --- the when-parser (callback prompt and log --when) -----------------------------------


@pytest.mark.parametrize(
    "text", ["+88888888888h", "in 2500000 days", "+7777777777777777777777777777m",
             "in 60000 weeks", "9998-11-30 22:00", "0002-02-02 02:00"],
)  # fmt: skip
def test_when_far_away_is_a_clear_refusal_never_an_overflow(text: str) -> None:
    with pytest.raises(WhenError, match="out of range|in the past"):
        parse_when(text, NOW, "Pacific/Auckland")


def test_when_still_reads_ordinary_times() -> None:
    assert parse_when("+3h", NOW, "Asia/Kolkata") == NOW + timedelta(hours=3)


# --- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "now", ["0001-01-01T00:00:00Z", "9999-12-31T22:00:00-06:00", "0001-01-01T04:00:00+05:00"]
)
def test_now_out_of_range_is_a_usage_error_and_stores_nothing(cli: Cli, now: str) -> None:
    result = cli("add", "--name", "Ivo Sand", "--phone", "+31 20 555 0142", now=now)
    assert result.code == 2 and "out of range" in result.err
    assert "Traceback" not in result.err
    assert cli.ok("queue", "--all", "--json").json() == []


@pytest.mark.parametrize(
    "argv",
    [
        ("report", "--since", "9999-12-31T20:00:00-08:00"),
        ("report", "--since", "0001-01-01T01:00:00+02:00"),
        ("add", "--name", "Pia Holm", "--phone", "+46 8 555 012 34",
         "--received", "0001-01-01T00:00:00+01:00"),
        ("add", "--name", "Pia Holm", "--phone", "+46 8 555 012 34",
         "--received", "1998-05-05T10:00:00Z"),
    ],
)  # fmt: skip
def test_options_out_of_range_are_one_line(cli: Cli, argv: tuple[str, ...]) -> None:
    line = cli.refused(*argv, now="2027-08-17T09:40:00Z")
    assert "out of range" in line
    assert cli.ok("queue", "--all", "--json").json() == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("--at", "0001-01-01T00:00:00+00:30"), ("--at", "1999-02-03T04:05:06Z"),
     ("--when", "+99999999999h"), ("--when", "in 3000000 days")],
)  # fmt: skip
def test_log_times_out_of_range_change_nothing(cli: Cli, option: str, value: str) -> None:
    now = "2027-08-17T15:40:00Z"
    lead = cli.add("Rui Costa", "+351 21 555 0199", now=now)
    line = cli.refused("log", lead, "callback", f"{option}={value}",
                       *([] if option == "--when" else ["--when", "+2h"]), now=now)  # fmt: skip
    assert "out of range" in line
    assert cli.ok("show", lead, "--json", now=now).json()["touches"] == []


def test_import_row_out_of_range_is_rejected_with_its_line(cli: Cli, tmp_path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Name,Phone,Received\n"
        "Ola Berg,+47 22 55 01 01,2027-08-16 10:00\n"
        "Kai Lund,+47 22 55 01 02,9999-12-31 23:59:59\n"
        "Ada Dahl,+47 22 55 01 03,12/31/9999 11:59 PM\n"
        "Eli Moe,+47 22 55 01 04,0001-01-01T00:00:00+01:00\n"
        "Siv Aas,+47 22 55 01 05,2027-08-17 08:00\n",
        encoding="utf-8",
    )
    data = cli.ok("import", str(path), "--json", now="2027-08-17T09:40:00Z").json()
    assert data["imported"] == 2
    assert [r["line"] for r in data["rejected"]] == [3, 4, 5]
    assert all("received time" in r["reason"] and "out of range" in r["reason"]
               for r in data["rejected"])  # fmt: skip


# --- the store is the last door -------------------------------------------------------------


def test_store_refuses_out_of_range_times(tmp_path) -> None:
    from dataclasses import replace

    from leadtui.domain.cadence_file import load_cadence
    from leadtui.domain.model import LeadDraft, Outcome
    from leadtui.store.repository import open_store

    store = open_store(tmp_path / "leads.json", cadence=load_cadence())
    draft = LeadDraft("Noa Katz", "+97225550123", "", "", "Asia/Jerusalem",
                      datetime(1, 1, 1, tzinfo=UTC))  # fmt: skip
    with pytest.raises(LeadError, match="out of range"):
        store.add_leads([draft], NOW)
    (ok,) = store.add_leads([replace(draft, received_at=NOW)], NOW)
    with pytest.raises(LeadError, match="out of range"):
        store.log_touch(ok.lead.id, Outcome.NO_ANSWER, datetime(1, 1, 1, tzinfo=UTC))
    with pytest.raises(LeadError, match="out of range"):
        store.log_touch(ok.lead.id, Outcome.CALLBACK, NOW, when=datetime(9999, 1, 1, tzinfo=UTC))
    assert store.touches(ok.lead.id) == []
    store.close()


# --- times stored before the ranges existed: doctor finds, --repair sets aside --------------


def _poison(db: Path, lead_id: str, table: str, field: str, value: str) -> None:
    """Write an out-of-range time into a stored document, as an older leadtui could."""
    from leadtui.domain.cadence import load_cadence
    from leadtui.store.repository import open_store

    store = open_store(db, cadence=load_cadence())
    try:
        with store._storage.transaction():
            index = store._index
            if table == "leads":
                key, doc = index.leads[lead_id]
            else:
                key = index.touch_keys(lead_id)[-1]
                doc = index.touch_docs[key]
            store._storage.put(table, int(key), {**doc, field: value})
    finally:
        store.close()


def test_doctor_finds_and_repair_sets_aside_out_of_range_times(cli: Cli, tmp_path) -> None:
    now = "2027-08-17T14:00:00Z"
    good = cli.add("Tove Lind", "+46 31 555 0110", now=now)
    old = cli.add("Arvid Berg", "+1 415 555 0111", now=now)  # a zone behind UTC
    far = cli.add("Maja Ek", "+46 31 555 0112", now=now)
    cli.ok("log", far, "no-answer", now=now)
    cli.ok("log", far, "callback", "--when", "+3h", now=now)
    db = Path(cli.ok("paths", "--json", now=now).json()["db"])
    _poison(db, old, "leads", "received_at", "0001-01-01T00:00:00+00:00")
    _poison(db, far, "touches", "when", "9999-12-30T12:00:00+00:00")

    assert "out of range" in cli.refused("show", old, now=now)  # one line, no traceback
    queued = {e["id"] for e in cli.ok("queue", "--all", "--json", now=now).json()}
    assert good in queued and old not in queued  # the queue works around it
    report = cli("doctor", now=now)
    assert report.code == 1
    assert report.out.count("problem: stored time out of range") == 2

    repaired = cli.ok("doctor", "--repair", now=now).out
    kept = [line for line in repaired.splitlines() if "kept, readable, in" in line]
    assert kept, repaired
    quarantine = Path(kept[0].rsplit(" in ", 1)[1])
    assert quarantine.parent == db.parent and oct(quarantine.stat().st_mode)[-3:] == "600"
    rows = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert {(r["table"], r["doc"].get("id")) for r in rows if r["table"] == "leads"} == {
        ("leads", old)
    }
    assert any(r["doc"].get("when", "").startswith("9999") for r in rows)

    assert cli.ok("doctor", now=now).out.count("problem") == 0
    assert "no lead with id" in cli.refused("show", old, now=now)
    shown = cli.ok("show", far, "--json", now=now).json()
    assert [t["outcome"] for t in shown["touches"]] == ["no-answer"]  # callback set aside
    assert shown["lead"]["status"] == "working"  # re-derived from what remains
    assert {e["id"] for e in cli.ok("queue", "--all", "--json", now=now).json()} == {good, far}
