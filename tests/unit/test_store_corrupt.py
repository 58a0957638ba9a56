"""Damaged and unexpected databases: clear errors, files untouched, `doctor` restores."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, Outcome
from leadtui.store.files import encode_record, encode_snapshot
from leadtui.store.protocol import StoreError
from leadtui.store.repository import doctor, open_store

T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)
CADENCE = load_cadence()


def drafts(count: int, start: int = 0) -> list[LeadDraft]:
    return [
        LeadDraft(f"Lead {n}", f"+1212555{n:04d}", "", "web", "America/New_York", T0)
        for n in range(start, start + count)
    ]


def hashes(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file() and p.suffix != ".lock"
    }


def content(path: Path) -> tuple[list, dict]:
    store = open_store(path, cadence=CADENCE)
    try:
        leads = store.leads()
        return leads, {k: list(v) for k, v in store.touches_by_lead().items()}
    finally:
        store.close()


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("problem:")]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "leads.json"


def populate(path: Path, rounds: int = 3) -> None:
    """Leads and touches spread over several compactions (so .bak and journals exist)."""
    store = open_store(path, cadence=CADENCE, compact_bytes=3000)
    for r in range(rounds):
        leads = [res.lead for res in store.add_leads(drafts(5, start=5 * r), T0)]
        for lead in leads:
            store.log_touch(lead.id, Outcome.NO_ANSWER, T0 + timedelta(minutes=r))
    store.close()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],
        lambda data: b"\x89PNG\r\n\x1a\n" + os.urandom(64),
        lambda data: b'{"leads": {}}',
        lambda data: b'{"_leadtui": {"format": 1, "seq": 0}, "meta": {"1": {"schema": "x"}}}',
        lambda data: (
            b'{"_leadtui": {"format": 1, "seq": 0}, "meta": {"1": {"schema": 1}}, '
            b'"leads": {"1": {"name": "no id or phone"}}}'
        ),
    ],
    ids=["empty", "truncated", "garbage", "no-header", "bad-schema", "lead-shape"],
)
def test_damaged_database_is_refused_unchanged_and_doctor_restores_it(
    db_path: Path, damage
) -> None:
    populate(db_path)
    expected = content(db_path)
    db_path.write_bytes(damage(db_path.read_bytes()))
    before = hashes(db_path.parent)
    with pytest.raises(StoreError) as info:
        open_store(db_path, cadence=CADENCE)
    message = str(info.value)
    assert str(db_path) in message and "leadtui doctor" in message
    assert hashes(db_path.parent) == before

    report = doctor(db_path)
    assert problems(report) and any(line.startswith("fix:") for line in report)
    assert hashes(db_path.parent) == before  # checking changes nothing

    repaired = doctor(db_path, repair=True)
    assert not problems(repaired), repaired
    assert any(line.startswith("repaired: restored") for line in repaired)
    assert content(db_path) == expected
    assert list(db_path.parent.glob("leads.json.damaged-*"))
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_newer_schema_says_upgrade_and_doctor_does_not_touch_it(db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o700)
    tree = {"meta": {"1": {"schema": 7}}, "leads": {}}
    db_path.write_bytes(encode_snapshot(tree, 0))
    before = hashes(db_path.parent)
    with pytest.raises(StoreError, match="upgrade leadtui") as info:
        open_store(db_path, cadence=CADENCE)
    assert str(db_path) in str(info.value) and "schema 7" in str(info.value)
    report = doctor(db_path, repair=True)
    assert any("upgrade leadtui" in line for line in problems(report))
    assert hashes(db_path.parent) == before


def test_empty_snapshot_of_young_database_restores_from_the_journal(db_path: Path) -> None:
    store = open_store(db_path, cadence=CADENCE)
    lead = store.add_leads(drafts(2), T0)[0].lead
    store.log_touch(lead.id, Outcome.NO_ANSWER, T0)
    store.close()
    expected = content(db_path)
    db_path.write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        open_store(db_path, cadence=CADENCE)
    assert not problems(doctor(db_path, repair=True))
    assert content(db_path) == expected


def test_journal_damaged_in_the_middle_keeps_what_came_before(db_path: Path) -> None:
    store = open_store(db_path, cadence=CADENCE)
    lead = store.add_leads(drafts(1), T0)[0].lead
    kept = store.log_touch(lead.id, Outcome.NO_ANSWER, T0)
    store.log_touch(lead.id, Outcome.NO_ANSWER, T0 + timedelta(hours=1))
    store.log_touch(lead.id, Outcome.NO_ANSWER, T0 + timedelta(hours=2))
    store.close()
    journal = db_path.with_name("leads.json.journal")
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b"no-answer", b"no-answex")
    journal.write_bytes(b"".join(lines))
    with pytest.raises(StoreError, match="corrupt"):
        open_store(db_path, cadence=CADENCE)
    report = doctor(db_path, repair=True)
    assert not problems(report), report
    assert any("set aside" in line for line in report)
    store = open_store(db_path, cadence=CADENCE)
    assert [t.id for t in store.touches(lead.id)] == [kept.id]
    store.log_touch(lead.id, Outcome.VM_HANGUP, T0 + timedelta(hours=3))  # writable again
    store.close()
    assert len(content(db_path)[1][lead.id]) == 2


def test_doctor_on_a_healthy_database(db_path: Path) -> None:
    populate(db_path)
    report = doctor(db_path)
    assert not problems(report)
    assert any(line.startswith("ok: 15 leads, 15 touches") for line in report)
    before = hashes(db_path.parent)
    assert not problems(doctor(db_path, repair=True))
    assert hashes(db_path.parent) == before


def test_doctor_folds_a_torn_tail(db_path: Path) -> None:
    populate(db_path, rounds=1)
    expected = content(db_path)
    with open(db_path.with_name("leads.json.journal"), "ab") as handle:
        handle.write(encode_record(99, [])[:10])
    assert content(db_path) == expected
    report = doctor(db_path)
    assert any("interrupted write" in line for line in report) and not problems(report)
    repaired = doctor(db_path, repair=True)
    assert any("folded" in line for line in repaired)
    assert not any("interrupted" in line for line in repaired)
    assert content(db_path) == expected


def test_doctor_reports_and_fixes_loose_permissions(db_path: Path) -> None:
    populate(db_path, rounds=1)
    os.chmod(db_path, 0o644)
    os.chmod(db_path.parent, 0o755)
    report = doctor(db_path)
    assert any("mode should be 0600" in line for line in report)
    assert any("readable by others" in line and "never changes" in line for line in report)
    doctor(db_path, repair=True)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o755  # an existing folder: noted


def test_doctor_without_database(db_path: Path) -> None:
    report = doctor(db_path)
    assert not problems(report) and any("no database yet" in line for line in report)
    assert not db_path.parent.exists()


def test_cannot_restore_says_why(db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o700)
    db_path.write_bytes(b"")
    report = doctor(db_path, repair=True)
    assert any(line.startswith("problem: cannot restore") for line in report)
    assert db_path.read_bytes() == b""


def test_wrong_shape_journal_record_is_damage(db_path: Path) -> None:
    store = open_store(db_path, cadence=CADENCE)
    store.add_leads(drafts(1), T0)
    store.close()
    with open(db_path.with_name("leads.json.journal"), "ab") as handle:
        handle.write(encode_record(2, [["p", "leads", "x1", {}]]))
    with pytest.raises(StoreError, match="unexpected shape"):
        open_store(db_path, cadence=CADENCE)
    assert json.loads(db_path.read_bytes())["_leadtui"]["seq"] == 0


@pytest.mark.parametrize(
    "touch",
    [
        {"lead_id": "aaaaaaaa", "outcome": "no-answer", "at": "2024-05-06T14:00:00+00:00"},
        {"id": 5, "lead_id": "aaaaaaaa", "outcome": "no-answer", "at": "2024-05-06T14:00:00"},
        {"id": "t1", "lead_id": "aaaaaaaa", "outcome": "no-answer", "at": "yesterday"},
        {"id": "t1", "lead_id": ["x"], "outcome": "no-answer", "at": "2024-05-06T14:00:00Z"},
    ],
    ids=["no-id", "id-not-text", "bad-time", "bad-lead-id"],
)
def test_touch_of_the_wrong_shape_is_refused(db_path: Path, touch: dict) -> None:
    db_path.parent.mkdir(mode=0o700)
    tree = {"meta": {"1": {"schema": 1}}, "leads": {}, "touches": {"1": touch}}
    _refused_at_open(db_path, tree)


@pytest.mark.parametrize("missing", ["", "id", "name", "phone", "timezone", "received_at"])
def test_lead_of_the_wrong_shape_is_refused_at_open(db_path: Path, missing: str) -> None:
    db_path.parent.mkdir(mode=0o700)
    lead = {
        "id": "aaaaaaaa", "name": "A", "phone": "+12125550100", "email": "", "source": "",
        "timezone": "UTC", "received_at": "2024-05-06T14:00:00.000000+00:00", "status": "new",
    }  # fmt: skip
    tree = {"meta": {"1": {"schema": 1}}, "leads": {"1": lead}}
    if not missing:  # the control: a complete lead opens
        db_path.write_bytes(encode_snapshot(tree, 0))
        store = open_store(db_path, cadence=CADENCE)
        assert store.leads()[0].name == "A"
        store.close()
        return
    del lead[missing]
    _refused_at_open(db_path, tree)


def _refused_at_open(db_path: Path, tree: dict) -> None:
    db_path.write_bytes(encode_snapshot(tree, 0))
    with pytest.raises(StoreError, match="unexpected content") as info:
        open_store(db_path, cadence=CADENCE)
    assert str(db_path) in str(info.value)
