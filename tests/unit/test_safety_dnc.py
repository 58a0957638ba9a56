"""Do-not-call holds everywhere outside the workstation (issue 6).

Once a number is on the do-not-call list: `log` refuses every call outcome for it (exit 1,
nothing stored); `add` and `import` of the same number, however it is written, arrive
`dnc`; undoing other touches keeps it `dnc`; the queue never lists it; exports say `dnc`;
and a store that last read the lead before it was listed still refuses the call.
Every test runs on both backends (TinyDB and the test session's PostgreSQL server).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from safety_support import NOW, run_main

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadError, Outcome
from leadtui.store.repository import open_store

SAME_NUMBER = ["(212) 555-0101", "+1 212 555 0101", "212.555.0101", "1-212-555-0101",
               "+12125550101", "２１２ ５５５ ０１０１", "212 555 0101 "]  # fmt: skip
CALLS = [
    ("no-answer",), ("vm-hangup",), ("vm-message",), ("talked",), ("not-interested",),
    ("bad-number",), ("won",), ("callback", "--when=2025-03-11T15:00:00Z"),
    ("appointment", "--when=2025-03-11T15:00:00Z"), ("talked", "--when=+1d"),
]  # fmt: skip


class Home:
    def __init__(self, path: Path, db: str | None = None) -> None:
        self.path = str(path)
        self.db = db  # a PostgreSQL URL, or None for the TinyDB file in the home

    def __call__(self, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
        where = ("--db", self.db) if self.db else ()
        return run_main("--home", self.path, *where, "--now", NOW, *argv, stdin=stdin)

    def open_store(self):  # noqa: ANN201 - a second process's view of the same pool
        if self.db:
            from leadtui.store.postgres import open_pg_store

            return open_pg_store(self.db, cadence=load_cadence())
        return open_store(Path(self.path) / "leads.json", cadence=load_cadence())

    def ok(self, *argv: str, stdin: bytes = b"") -> str:
        code, out, err = self(*argv, stdin=stdin)
        assert code == 0, (argv, err)
        return out

    def refused(self, *argv: str) -> str:
        code, out, err = self(*argv)
        assert code == 1 and out == "", (argv, code, out, err)
        (line,) = err.splitlines()
        return line

    def show(self, lead: str) -> dict:
        return json.loads(self.ok("show", lead, "--json"))

    def queue_ids(self) -> set[str]:
        due = {entry["id"] for entry in json.loads(self.ok("queue", "--json"))}
        return due | {entry["id"] for entry in json.loads(self.ok("queue", "--all", "--json"))}


@pytest.fixture(params=["tinydb", "postgres"])
def home(tmp_path: Path, request: pytest.FixtureRequest) -> Home:
    db = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return Home(tmp_path / "home", db)


def listed_lead(home: Home) -> str:
    lead = home.ok("add", "--name=Dee Nocall", "--phone=(212) 555-0101",
                   "--email=dee@example.com").strip()  # fmt: skip
    home.ok("log", lead, "no-answer")
    home.ok("log", lead, "dnc", "--note=asked not to be called")
    return lead


def test_log_refuses_every_call_outcome_on_a_dnc_lead(home: Home) -> None:
    lead = listed_lead(home)
    touches = home.show(lead)["touches"]
    for argv in CALLS:
        line = home.refused("log", lead, *argv)
        assert "+12125550101 is on the do-not-call list" in line, line
    assert home.show(lead)["touches"] == touches  # nothing was stored
    for other in ("email", "text", "dnc"):  # other channels and a repeat request are fine
        home.ok("log", lead, other)
    assert home.show(lead)["lead"]["status"] == "dnc"
    assert "nothing left" in home.ok("plan", lead)
    assert home.show(lead)["next_action"] is None


def test_the_same_number_added_again_arrives_dnc_in_any_format(home: Home) -> None:
    lead = listed_lead(home)
    for raw in SAME_NUMBER:
        added = json.loads(home.ok("add", "--name=Someone Else", f"--phone={raw}", "--json"))
        assert (added["id"], added["status"], added["duplicate"]) == (lead, "dnc", True), raw
    # a new inquiry with a new number but the listed lead's email is the same person
    added = json.loads(
        home.ok("add", "--name=Dee", "--phone=212-555-0102", "--email=DEE@example.com", "--json")
    )
    assert (added["id"], added["status"]) == (lead, "dnc")
    assert lead not in home.queue_ids()


def test_import_of_a_listed_number_arrives_dnc(home: Home, tmp_path: Path) -> None:
    lead = listed_lead(home)
    rows = "".join(f'"Vendor {n}","{raw}",\r\n' for n, raw in enumerate(SAME_NUMBER))
    data = ("Full Name,Phone Number,E-mail\r\n" + rows + "Fresh Lead,212-555-0109,\r\n").encode()
    report = json.loads(home.ok("import", "-", "--json", stdin=data))
    assert report == {
        "imported": 1, "duplicates": len(SAME_NUMBER), "reopened": 0, "rejected": [],
        "rejected_total": 0, "format": None,
    }  # fmt: skip
    latin = [raw for raw in SAME_NUMBER if raw.isascii()]  # a cp1252 file, semicolons
    path = tmp_path / "again.csv"
    path.write_bytes(
        ("Name;Mobile\r\n" + "".join(f"Zoë {n};{raw}\r\n" for n, raw in enumerate(latin))).encode(
            "cp1252"
        )
    )
    assert home.ok("import", str(path)).startswith(f"imported 0, duplicates {len(latin)},")
    assert home.show(lead)["lead"]["status"] == "dnc"
    ids = home.queue_ids()
    assert lead not in ids and len(ids) == 1


def test_undo_of_other_touches_keeps_dnc(home: Home) -> None:
    lead = listed_lead(home)
    home.ok("log", lead, "email")
    home.ok("log", lead, "text")
    home.ok("log", lead, "dnc")  # listed twice
    for _ in range(3):  # undo the text, the email and the second dnc
        assert home.ok("undo", lead).startswith("removed ")
        assert home.show(lead)["lead"]["status"] == "dnc"
        assert lead not in home.queue_ids()
        assert "on the do-not-call list" in home.refused("log", lead, "no-answer")


def test_queue_never_lists_and_exports_say_dnc(home: Home) -> None:
    lead = listed_lead(home)
    other = home.ok("add", "--name=Callable", "--phone=212-555-0103").strip()
    assert home.queue_ids() == {other}
    assert "Dee" not in home.ok("queue", "--all")
    rows = home.ok("export").splitlines()
    (row,) = [r for r in rows if r.startswith(lead)]
    assert ",dnc," in row
    records = [json.loads(line) for line in home.ok("export", "--format", "jsonl").splitlines()]
    assert {r["id"]: r["status"] for r in records} == {lead: "dnc", other: "new"}


def test_a_store_with_a_stale_view_still_refuses_the_call(home: Home) -> None:
    """Two workstations: one lists the number while the other still shows the lead."""
    lead = home.ok("add", "--name=Race Case", "--phone=212-555-0104").strip()
    stale = home.open_store()
    try:
        assert stale.get_lead(lead).status.value == "new"
        home.ok("log", lead, "dnc")
        with pytest.raises(LeadError, match="do-not-call"):
            stale.log_touch(lead, Outcome.NO_ANSWER, datetime(2025, 3, 10, 18, 1, tzinfo=UTC))
        assert [t.outcome for t in stale.touches(lead)] == [Outcome.DNC]
    finally:
        stale.close()
