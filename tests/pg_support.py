"""A private PostgreSQL server for the tests: started in a temporary folder on 127.0.0.1.

One server per test session (per xdist worker), one template database that already holds
the schema, and one database per test made from it with `CREATE DATABASE … TEMPLATE`.
Runs the server binaries of Debian's `postgresql` package (or any found on PATH or in
LEADTUI_PG_BIN); as root they run as the `postgres` user, because initdb refuses root.

If the server cannot start, the PostgreSQL tests FAIL (never skip) unless the environment
says LEADTUI_PG_TESTS=0 explicitly (CI never sets it).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

TEMPLATE = "leadtui_template"


class PgUnavailable(RuntimeError):
    """The test server could not be started."""


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl."""
    explicit = os.environ.get("LEADTUI_PG_BIN")
    candidates = [explicit] if explicit else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise PgUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's 'postgresql' "
        "package or set LEADTUI_PG_BIN"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One throwaway server. `url(name)` is a libpq URL of one of its databases."""

    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="leadtui-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self._names = itertools.count(1)
        if self.as_root:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PgUnavailable("running as root but there is no 'postgres' user") from exc
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        os.chmod(self.dir, 0o755)

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PgUnavailable(
                f"{' '.join(argv[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
            )
        return done

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c shared_buffers=32MB -c track_wal_io_timing=on"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, dbname: str = "postgres", password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser in the `postgres` database (autocommit)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def make_template(self) -> None:
        from leadtui.store.postgres.schema import init_schema

        self.admin(f"CREATE DATABASE {TEMPLATE}")
        init_schema(self.url(TEMPLATE))

    def new_database(self, *, empty: bool = False) -> str:
        """A fresh database (with the schema unless `empty`); returns its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        template = "template0" if empty else TEMPLATE
        self.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def start_server() -> PgServer:
    """initdb + start + template database; PgUnavailable with the reason otherwise."""
    server = PgServer()
    try:
        server.init()
        server.start()
        server.make_template()
    except BaseException:
        server.destroy()
        raise
    return server


def tests_disabled() -> bool:
    """True only when LEADTUI_PG_TESTS=0 is set explicitly."""
    return os.environ.get("LEADTUI_PG_TESTS", "").strip() == "0"


def own_server():
    """A generator for a module-scoped fixture: a private server a test may stop and
    start (the session's shared one is left alone). Fails, never skips, unless
    LEADTUI_PG_TESTS=0."""
    import pytest

    if tests_disabled():
        pytest.skip("LEADTUI_PG_TESTS=0: PostgreSQL tests switched off explicitly")
    try:
        server = start_server()
    except PgUnavailable as exc:
        pytest.fail(f"the PostgreSQL test server did not start: {exc}", pytrace=False)
    yield server
    server.destroy()
