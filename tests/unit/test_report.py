"""io/report: the report dict's stable keys and values, and its plain-text rendering."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from report_fixture import at, fixture_data

from leadtui.domain.blitz import BlitzSession
from leadtui.domain.model import Lead, Outcome, Touch
from leadtui.io.report import (
    attempt_rows,
    bar,
    build_report,
    format_duration,
    format_share,
    render_text,
)

NOW = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)


class FakeStore:
    """The reading half of a LeadStore, in memory."""

    def __init__(self, leads: list[Lead], touches: dict[str, list[Touch]], blitzes=()) -> None:
        self._leads, self._touches, self._blitzes = leads, touches, list(blitzes)

    def leads(self) -> list[Lead]:
        return list(self._leads)

    def touches_by_lead(self) -> dict[str, list[Touch]]:
        return self._touches

    def blitzes(self) -> list[dict[str, Any]]:
        return list(self._blitzes)


def _blitz_record() -> dict[str, Any]:
    blitz = BlitzSession.start(at(8, 15), minutes=60, goal=40, id="b1")
    for n in range(7):
        blitz.record_touch(f"x{n}", Outcome.NO_ANSWER)
    blitz.record_touch("y", Outcome.APPOINTMENT)
    return blitz.to_record(at(8, 15, 20))  # crashed 20 minutes in


@pytest.fixture
def store() -> FakeStore:
    leads, touches = fixture_data()
    return FakeStore(leads, touches, [_blitz_record()])


def test_report_keys_are_stable(store: FakeStore) -> None:
    report = build_report(store, now=NOW, threshold=FIVE_MINUTES)
    assert set(report) == {
        "report_version", "generated_at", "scope", "overall", "by_source", "by_rep", "blitzes",
        "blitzes_unreadable",
    }  # fmt: skip
    assert set(report["scope"]) == {
        "since", "source", "rep", "threshold_seconds", "persistent_attempts",
    }  # fmt: skip
    overall = report["overall"]
    assert set(overall) == {
        "leads", "speed_to_lead", "contact", "persistency", "outcomes", "contact_by_local_hour",
    }  # fmt: skip
    assert set(overall["speed_to_lead"]) == {
        "called", "median_seconds", "p90_seconds", "within_threshold", "within_threshold_share",
        "never_called", "never_called_share", "histogram",
    }  # fmt: skip
    assert set(overall["contact"]) == {
        "dials", "contacts", "rate_per_dial", "leads_reached", "rate_per_lead",
    }  # fmt: skip
    assert set(overall["persistency"]) == {
        "mean_attempts", "median_attempts", "attempts_histogram", "unreached", "unreached_6_plus",
        "unreached_6_plus_share", "unreached_median_attempts", "exhausted",
        "follow_ups_exhausted",
    }  # fmt: skip
    assert set(report["blitzes"][0]) == {
        "id", "start", "end", "planned_minutes", "goal", "status", "ended_early",
        "minutes_used", "dials_per_hour", "tallies", "dialed", "dialed_per_hour",
        "median_seconds_between_dials",
    }  # fmt: skip
    json.dumps(report)  # JSON-ready as is


def test_report_values_match_the_hand_worked_fixture(store: FakeStore) -> None:
    report = build_report(store, now=NOW, threshold=FIVE_MINUTES)
    overall = report["overall"]
    assert report["generated_at"] == "2024-02-01T12:00:00+00:00"
    assert report["scope"]["threshold_seconds"] == 300
    speed = overall["speed_to_lead"]
    assert (speed["median_seconds"], speed["p90_seconds"]) == (300, 172800)
    assert speed["within_threshold_share"] == 0.5
    assert speed["never_called_share"] == 0.125
    assert speed["histogram"][1] == {"bucket": "1-5m", "leads": 3}
    assert overall["contact"]["rate_per_dial"] == 0.1739  # 4 / 23
    assert overall["persistency"]["unreached_6_plus_share"] == 0.5
    assert overall["persistency"]["mean_attempts"] == 2.88  # 23 / 8 = 2.875
    assert overall["contact_by_local_hour"][10] == {
        "hour": 10, "dials": 6, "contacts": 2, "rate": 0.3333,
    }  # fmt: skip
    assert list(report["by_source"]) == ["(no source)", "purchased", "web"]
    assert report["by_source"]["purchased"]["speed_to_lead"]["median_seconds"] == 3750
    blitz = report["blitzes"][0]
    assert blitz["status"] == "ended-early" and blitz["ended_early"] is True
    assert blitz["minutes_used"] == 20
    assert blitz["tallies"]["dials"] == 8
    assert blitz["dials_per_hour"] == 24.0  # 8 dials in 20 minutes


def test_since_and_source_narrow_the_scope(store: FakeStore) -> None:
    report = build_report(
        store, now=NOW, threshold=FIVE_MINUTES, since=at(8, 14), source="Purchased"
    )
    assert report["scope"] == {
        "since": "2024-01-08T14:00:00+00:00",
        "source": "Purchased",
        "rep": None,
        "threshold_seconds": 300.0,
        "persistent_attempts": 6,
    }
    assert report["overall"]["leads"] == 1  # only L6 (L4 and L5 arrived at 10:00)
    assert list(report["by_source"]) == ["purchased"]
    assert report["blitzes"][0]["id"] == "b1"  # started 15:00, after `since`
    later = build_report(store, now=NOW, threshold=FIVE_MINUTES, since=at(9, 0))
    assert later["overall"]["leads"] == 0
    assert later["overall"]["speed_to_lead"]["median_seconds"] is None
    assert later["blitzes"] == []


def test_every_leads_source_is_noted_in_the_same_pass_whatever_the_scope(
    store: FakeStore,
) -> None:
    everyone: set[str] = set()
    full = build_report(store, now=NOW, threshold=FIVE_MINUTES, sources=everyone)
    assert everyone == set(full["by_source"])  # the unfiltered report names every source
    narrowed: set[str] = set()
    build_report(
        store, now=NOW, threshold=FIVE_MINUTES, since=at(9, 0), source="Purchased",
        sources=narrowed,
    )  # fmt: skip
    assert narrowed == everyone  # leads out of scope still name their source


def test_text_report_fits_80_columns_and_says_the_figures(store: FakeStore) -> None:
    text = render_text(build_report(store, now=NOW, threshold=FIVE_MINUTES))
    assert all(len(line) <= 80 for line in text.splitlines())
    flowing = " ".join(text.split())  # the summary lines wrap
    assert "median 5m, 90th percentile 2d" in flowing
    assert "first call within 5m: 4 of 8 (50%)" in flowing
    assert "4 contacts in 23 dials (17%)" in flowing
    assert "of 4 unreached leads 2 got 6+ attempts (50%)" in flowing
    assert "and a typical unreached lead got 3.5" in flowing
    assert (
        "  purchased            3   1h02m      2h   33%   33%      0%      0%     1   33%" in text
    )
    assert "  09h |" in text and "40% (2/5)" in text
    assert "ended-early" in text
    assert "\x1b" not in text


def test_untrusted_source_names_reach_text_as_plain_visible_text() -> None:
    leads, touches = fixture_data()
    evil = leads[0].__class__(**{**_lead_fields(leads[0]), "source": "web\x1b[2J\u202eevil"})
    report = build_report(FakeStore([evil], touches), now=NOW, threshold=FIVE_MINUTES)
    text = render_text(report)
    assert "\x1b" not in text and "\u202e" not in text
    assert "web [2J evil" in text


def _lead_fields(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in lead.__slots__}


def test_unreadable_blitz_records_are_counted_not_fatal() -> None:
    leads, touches = fixture_data()
    report = build_report(
        FakeStore(leads, touches, [{"id": "bad"}]), now=NOW, threshold=FIVE_MINUTES
    )
    assert report["blitzes"] == [] and report["blitzes_unreadable"] == 1
    assert "1 unreadable session record(s) skipped" in render_text(report)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (0, "0s"), (59.4, "59s"), (60, "1m"), (150, "2m30s"), (3600, "1h"),
     (3750, "1h02m"), (86400, "1d"), (97200, "1d3h")],
)  # fmt: skip
def test_format_duration(seconds, text) -> None:
    assert format_duration(seconds) == text


def test_format_share_and_bars() -> None:
    assert format_share(None) == "-"
    assert format_share(0.125) == "13%"  # half up, not to even
    assert bar(0, 10, 20) == ""
    assert bar(1, 100, 20) == "#"  # any count shows
    assert bar(10, 10, 20) == "#" * 20
    rows = attempt_rows(
        {"persistency": {"attempts_histogram": [{"attempts": k, "leads": 1} for k in range(15)]}}
    )
    assert rows[-1] == ("12+", 3, "3")


# --- `leadtui report` -------------------------------------------------------------------
@pytest.fixture
def cli(capsys, monkeypatch):
    from cli_helpers import Cli

    return Cli(capsys, monkeypatch)


@pytest.fixture
def stored_fixture() -> None:
    """The hand-worked fixture in the real store under LEADTUI_HOME, plus one blitz."""
    from leadtui.domain.cadence import load_cadence
    from leadtui.domain.model import LeadDraft
    from leadtui.paths import resolve_paths
    from leadtui.store.repository import open_store

    paths = resolve_paths(None)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(paths.db, cadence=load_cadence())
    try:
        leads, touches = fixture_data()
        for lead in leads:
            draft = LeadDraft(name=lead.name, phone=lead.phone, email="", source=lead.source,
                              timezone=lead.timezone, received_at=lead.received_at)  # fmt: skip
            (added,) = store.add_leads([draft], lead.received_at)
            for touch in touches[lead.id]:
                store.log_touch(added.lead.id, touch.outcome, touch.at, when=touch.when)
        store.save_blitz(_blitz_record())
    finally:
        store.close()


def test_cli_report_json_has_the_documented_keys(cli, stored_fixture) -> None:
    data = cli.ok("report", "--json", now="2024-02-01T12:00:00Z").json()
    assert data["overall"]["leads"] == 8
    assert data["overall"]["speed_to_lead"]["median_seconds"] == 300
    assert data["overall"]["contact"]["dials"] == 23
    assert data["overall"]["persistency"]["exhausted"] == 1  # the store derived L4's status
    assert data["blitzes"][0]["status"] == "ended-early"
    narrowed = cli.ok("report", "--json", "--since", "2024-01-08T14:00:00Z", "--source", "web",
                      now="2024-02-01T12:00:00Z").json()  # fmt: skip
    assert narrowed["overall"]["leads"] == 4
    assert narrowed["scope"]["source"] == "web"


def test_cli_report_text_and_a_bad_since(cli, stored_fixture) -> None:
    out = cli.ok("report", now="2024-02-01T12:00:00Z").out
    assert out.startswith("leadtui report: 8 leads (all sources)")
    assert "Blitz history (1)" in out
    reason = cli.refused("report", "--since", "yesterday")
    assert "--since" in reason and "yesterday" in reason


def test_rep_keeps_only_that_reps_touches_and_leads() -> None:
    from datetime import UTC, datetime, timedelta

    from leadtui.domain.model import Lead, Outcome, Touch

    t0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)

    def lead(n: int) -> Lead:
        return Lead(f"l{n}", f"L {n}", f"+1415555{n:04d}", "", "web", "America/Chicago", t0)

    def touch(n: int, lead_id: str, outcome: Outcome, minutes: int, rep: str) -> Touch:
        return Touch(f"t{n}", lead_id, outcome, t0 + timedelta(minutes=minutes), rep=rep)

    leads = [lead(1), lead(2), lead(3)]
    touches = {
        "l1": [
            touch(1, "l1", Outcome.NO_ANSWER, 2, "Ana"),
            touch(2, "l1", Outcome.TALKED, 50, "bo"),
        ],
        "l2": [touch(3, "l2", Outcome.TALKED, 9, "ana ")],
        "l3": [touch(4, "l3", Outcome.NO_ANSWER, 30, "")],
    }
    store = FakeStore(leads, touches, [])
    report = build_report(store, now=t0 + timedelta(hours=2), threshold=FIVE_MINUTES, rep="ANA")
    assert report["scope"]["rep"] == "ANA"
    assert report["overall"]["leads"] == 2  # l1 and l2: the leads Ana touched
    assert report["overall"]["contact"]["dials"] == 2  # her two calls, not Bo's
    assert report["overall"]["speed_to_lead"]["median_seconds"] == 330  # 2 and 9 minutes
    everyone = build_report(store, now=t0 + timedelta(hours=2), threshold=FIVE_MINUTES)
    assert everyone["overall"]["contact"]["dials"] == 4 and everyone["scope"]["rep"] is None
