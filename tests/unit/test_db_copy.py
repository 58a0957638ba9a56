"""`leadtui db copy`: a rep's TinyDB pool becomes a team's PostgreSQL pool and back,
verified per table, and running it again copies nothing and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import Cli
from store_backends import CADENCE

from leadtui.domain.model import LeadDraft, Outcome
from leadtui.store.copy import checksum, copy_pool
from leadtui.store.postgres import open_pg_store
from leadtui.store.repository import open_store

T0 = datetime(2025, 11, 3, 16, 45, tzinfo=UTC)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def fill(store) -> None:
    drafts = [
        LeadDraft(name=f"Rep Lead {n}", phone=f"+1617555{n:04d}", email=f"r{n}@example.net",
                  source="expo", timezone="America/Denver",
                  received_at=T0 - timedelta(hours=n), notes=f"note {n}")
        for n in range(1, 9)
    ]  # fmt: skip
    leads = [r.lead for r in store.add_leads(drafts, T0)]
    from dataclasses import replace

    store.add_leads([replace(drafts[0], inquiry_key="form-77")], T0 + timedelta(minutes=3))
    store.log_touch(leads[0].id, Outcome.NO_ANSWER, T0, rep="ana", note="rang twice")
    store.log_touch(leads[1].id, Outcome.CALLBACK, T0, when=T0 + timedelta(days=1), rep="bo")
    store.log_touch(leads[2].id, Outcome.DNC, T0, rep="ana")
    store.log_touch(leads[3].id, Outcome.WON, T0, override_window=True, blitz_id="bz1")
    store.add_note(leads[4].id, "prefers text", T0)
    store.claim(leads[5].id, "ana", "sess-a", T0, 600)
    store.save_blitz({"id": "bz1", "goal": 14, "tallies": {"dials": 6, "talked": 1.5}})


def view(store) -> tuple:
    return (store.leads(), dict(store.touches_by_lead()), store.claims(T0), store.blitzes())


def test_tinydb_to_postgres_and_back_is_verified_and_repeatable(
    tmp_path: Path, pg_url: str
) -> None:
    tiny = open_store(tmp_path / "rep" / "leads.json", cadence=CADENCE)
    fill(tiny)
    team = open_pg_store(pg_url, cadence=CADENCE)
    checks = copy_pool(tiny, team)
    assert {c.table: (c.source, c.copied) for c in checks} == {
        "leads": (8, 8), "touches": (4, 4), "dnc": (1, 1), "claims": (1, 1), "blitzes": (1, 1),
    }  # fmt: skip
    assert all(c.matches for c in checks)
    assert view(team) == view(tiny)
    assert team.is_dnc("+16175550003")
    (replay,) = team.add_leads([LeadDraft("Rep Lead 1", "+16175550001", "", "expo",
                                          "America/Denver", T0, inquiry_key="form-77")], T0)
    assert replay.replayed  # the inquiry keys came along
    again = copy_pool(tiny, team)  # safe to run again: nothing new, same checksums
    assert [c.copied for c in again] == [0] * 5
    assert [c.checksum for c in again] == [c.checksum for c in checks]
    assert view(team) == view(tiny)
    # and back into an empty TinyDB pool: the same rows, the same checksums
    back = open_store(tmp_path / "back" / "leads.json", cadence=CADENCE)
    returned = copy_pool(team, back)
    assert [c.checksum for c in returned] == [c.checksum for c in checks]
    assert view(back) == view(tiny)
    # the team's stored next actions were computed: its first screen equals TinyDB's
    from leadtui.domain.window import CallingWindow

    now = T0 + timedelta(minutes=30)
    window = CallingWindow()
    assert [x.id for x in team.queue_head(now, 10, window)] == [
        x.id for x in tiny.queue_head(now, 10, window)
    ]
    # the TinyDB copy stored its derived tables in the copy's write, as touches would:
    # every active lead's next action and every lead's report figures
    storage = back._storage
    active = {lead.id for lead in tiny.leads() if lead.status.active}
    assert {d["lead_id"] for d in storage.table("next").values()} == active
    assert len(storage.table("figures")) == 8
    assert back.due_queue(now, window) == tiny.due_queue(now, window)
    for store in (tiny, team, back):
        store.close()


def test_a_row_that_differs_is_reported(tmp_path: Path, pg_url: str) -> None:
    tiny = open_store(tmp_path / "rep" / "leads.json", cadence=CADENCE)
    fill(tiny)
    team = open_pg_store(pg_url, cadence=CADENCE)
    copy_pool(tiny, team)
    lead = tiny.leads()[6]
    team.add_note(lead.id, "changed on the team side", T0)
    from leadtui.store.protocol import StoreError

    with pytest.raises(StoreError, match="leads"):
        copy_pool(tiny, team)
    tiny.close()
    team.close()


def test_checksum_ignores_order_but_not_content() -> None:
    a, b = {"id": "x", "n": 1}, {"id": "y", "n": 2}
    assert checksum([a, b]) == checksum([b, a])
    assert checksum([a, b]) != checksum([a, {"id": "y", "n": 3}])


def test_db_copy_command(cli: Cli, tmp_path: Path, pg_url: str) -> None:
    home = tmp_path / "rephome"
    for n in range(3):
        cli.ok("--home", str(home), "add", "--name", f"Cmd {n}", "--phone", f"+1303555{n:04d}")
    url = pg_url.replace("postgres@", "postgres:Sekr1t-x@", 1)
    out = cli.ok("db", "copy", "--from", str(home), "--to", url, "--json").json()
    assert "Sekr1t-x" not in str(out) and ":***@" in out["to"]
    assert {t["table"]: t["copied"] for t in out["tables"]}["leads"] == 3
    assert all(t["verified"] for t in out["tables"])
    text = cli.ok("db", "copy", "--from", str(home), "--to", url).out
    assert "Sekr1t-x" not in text and "0 new" in text
    assert len(cli.ok("--db", url, "queue", "--all", "--json").json()) == 3
    line = cli.refused("db", "copy", "--from", str(tmp_path / "nowhere"), "--to", url)
    assert "no leadtui pool" in line
