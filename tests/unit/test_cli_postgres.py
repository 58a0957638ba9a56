"""Choosing the backend: --db, LEADTUI_DB, the config's `database`; passwords never shown.

Runs the real CLI against the private PostgreSQL server the test session starts.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import Cli

from leadtui.store.postgres.schema import SCHEMA

SECRET = "Zq7-hunter-91"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def with_password(url: str) -> str:
    return url.replace("postgres@", f"postgres:{SECRET}@", 1)


def test_db_option_uses_the_server_and_names_it_masked(cli: Cli, pg_url: str) -> None:
    url = with_password(pg_url)
    lead = cli.ok("--db", url, "add", "--name", "Ines Ortega", "--phone", "+14155550142").out
    lead = lead.strip()
    cli.ok("--db", url, "log", lead, "no-answer")
    shown = cli.ok("--db", url, "show", lead, "--json").json()
    assert shown["lead"]["name"] == "Ines Ortega"
    assert [t["outcome"] for t in shown["touches"]] == ["no-answer"]
    data = cli.ok("--db", url, "paths", "--json").json()
    assert data["backend"] == "postgresql"
    assert SECRET not in data["database"] and ":***@" in data["database"]
    doctor = cli.ok("--db", url, "doctor").out
    assert "backend postgresql" in doctor and "1 leads, 1 touches" in doctor
    assert SECRET not in doctor
    # the TinyDB file was never made: the lead lives on the server only
    assert cli.ok("queue", "--all", "--json").json() == []


def test_environment_and_config_select_the_server(
    cli: Cli, pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEADTUI_DB", pg_url)
    lead = cli.ok("add", "--name", "Env Lead", "--phone", "+442079460958").out.strip()
    monkeypatch.delenv("LEADTUI_DB")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(f'database = "{pg_url}"\n')
    found = cli.ok("--home", str(home), "queue", "--all", "--json").json()
    assert [entry["id"] for entry in found] == [lead]


def test_bad_database_setting_is_one_line_without_the_password(
    cli: Cli, tmp_path: Path
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.toml").write_text(f'database = "mysql://al:{SECRET}@db/leads"\n')
    line = cli.refused("--home", str(home), "queue")
    assert "database" in line and "line 1" in line and SECRET not in line


def test_unreachable_server_is_one_masked_line(cli: Cli) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://rep:{SECRET}@127.0.0.1:{port}/pool?connect_timeout=2"
    line = cli.refused("--db", url, "queue")
    assert SECRET not in line and f"127.0.0.1:{port}" in line


def test_a_database_without_schema_or_newer_is_refused(cli: Cli, pg_server) -> None:
    empty = pg_server.new_database(empty=True)
    line = cli.refused("--db", empty, "queue")
    assert "db init" in line
    cli.ok("--db", empty, "db", "init")
    cli.ok("--db", empty, "queue")
    import psycopg

    with psycopg.connect(empty, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA + 1,))
    line = cli.refused("--db", empty, "queue")
    assert f"schema {SCHEMA + 1}" in line and "upgrade leadtui" in line


def test_missing_driver_names_the_extra(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg_pool'] = None\n"
        "from leadtui.cli import main\n"
        f"sys.exit(main(['--home', {str(tmp_path)!r}, '--db', "
        f"'postgresql://al:{SECRET}@127.0.0.1/x', 'queue']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "leadtui: the PostgreSQL backend needs the 'postgres' extra: "
        "pip install 'leadtui[postgres]'"
    )


def test_a_least_privilege_rep_works_and_is_recorded_on_each_touch(
    cli: Cli, pg_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's Team set-up: an owner creates the schema, reps only get row rights."""
    import psycopg

    url = pg_server.new_database(empty=True)
    for sql in (
        "DO $$ BEGIN CREATE ROLE reps NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        "DO $$ BEGIN CREATE ROLE rep_dana LOGIN IN ROLE reps; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    ):
        pg_server.admin(sql)
    cli.ok("--db", url, "db", "init")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO reps")
    dana = url.replace("postgres@", "rep_dana@", 1)
    monkeypatch.setenv("LEADTUI_REP_NAME", "Dana Rivera")
    lead = cli.ok("--db", dana, "add", "--name", "Ola", "--phone", "+14155550177").out.strip()
    cli.ok("--db", dana, "log", lead, "talked")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT rep, db_role FROM touches").fetchone()
    assert row == ("Dana Rivera", "rep_dana")


@pytest.mark.parametrize("kind", ["tinydb", "postgres"])
def test_queue_limit_is_the_head_of_the_whole_queue(
    cli: Cli, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    where = ["--db", request.getfixturevalue("pg_url")] if kind == "postgres" else []
    where += ["--home", str(tmp_path / "h")]
    now = "2025-04-08T17:20:00Z"  # a Tuesday: 13:20 in New York, 10:20 in Los Angeles
    at_now = datetime(2025, 4, 8, 17, 20, tzinfo=UTC)
    ids = []
    for n, (phone, minutes) in enumerate([("+12125550131", 50), ("+13105550132", 5),
                                          ("+12125550133", 300), ("+13105550134", 90),
                                          ("+12125550135", 2), ("+81355550136", 1)]):  # fmt: skip
        received = (at_now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids.append(cli.ok(*where, "add", "--name", f"Q {n}", "--phone", phone,
                          "--received", received, now=now).out.strip())  # fmt: skip
    cli.ok(*where, "log", ids[0], "no-answer", "--at", "2025-04-08T16:40:00Z", now=now)
    cli.ok(*where, "log", ids[2], "callback", "--when", "2025-04-08T17:00:00Z",
           now="2025-04-08T16:10:00Z")  # fmt: skip
    cli.ok(*where, "log", ids[3], "won", now=now)
    whole = [e["id"] for e in cli.ok(*where, "queue", "--json", now=now).json()]
    assert ids[3] not in whole and len(whole) >= 3
    for limit in range(1, len(whole) + 2):
        head = cli.ok(*where, "queue", "--json", "--limit", str(limit), now=now).json()
        assert [e["id"] for e in head] == whole[:limit]


def test_db_migrate_carries_an_older_schema_forward(cli: Cli, pg_server) -> None:
    import psycopg

    from leadtui.store.postgres.schema import MIGRATIONS

    url = pg_server.new_database(empty=True)
    with psycopg.connect(url) as conn:  # a database made by a leadtui with schema 1
        conn.execute("CREATE TABLE schema_version (version integer PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")  # fmt: skip
        conn.execute(MIGRATIONS[0])
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute(
            "INSERT INTO leads (id, name, phone, timezone, received_at) VALUES "
            "('old00001', 'Old Timer', '+19175550150', 'America/New_York', now())"
        )
    line = cli.refused("--db", url, "queue")
    assert "schema 1" in line and "db migrate" in line
    out = cli.ok("--db", url, "db", "migrate").out
    assert f"migrated schema 1 -> {SCHEMA}" in out
    assert "nothing to do" in cli.ok("--db", url, "db", "migrate").out
    shown = cli.ok("--db", url, "show", "old00001", "--json").json()
    assert shown["lead"]["name"] == "Old Timer"
