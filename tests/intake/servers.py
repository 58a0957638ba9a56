"""Real servers for the intake tests: a private dovecot IMAP server on loopback, and the
webhook (`leadtui intake serve`) as a child process. Shared by the tests and benchmarks/."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from leadtui.domain.cadence import load_cadence
from leadtui.store.repository import TinyLeadStore, open_store

FORM_TOKEN = "tok-formsite-5f0c1b7e2d"
VENDOR_SECRET = "sec-vendorx-9a8b7c6d5e4f"
CONFIG = f"""
default_timezone = "America/Chicago"
[intake]
rate_limit = 2000
[intake.tokens]
formsite = "{FORM_TOKEN}"
[intake.secrets]
vendorx = "{VENDOR_SECRET}"
"""


DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
USER, PASSWORD = "rep", "imap-test-secret-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


class Dovecot:
    """One dovecot on 127.0.0.1:port with one user, its mail under `root/mail`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.conf = root / "dovecot.conf"

    def write_config(self) -> None:
        nobody = pwd.getpwnam("nobody")
        root = self.root
        for folder in (root, root / "run"):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o755)
        (root / "mail").mkdir(exist_ok=True)
        os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
        (root / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{nobody.pw_uid}:{nobody.pw_gid}::{root}/mail/{USER}\n"
        )
        self.conf.write_text(
            "\n".join(
                [
                    "protocols = imap",
                    "listen = 127.0.0.1",
                    f"base_dir = {root}/run",
                    "ssl = no",
                    "disable_plaintext_auth = no",
                    "auth_mechanisms = plain login",
                    f"passdb {{\n  driver = passwd-file\n  args = {root}/passwd\n}}",
                    f"userdb {{\n  driver = passwd-file\n  args = {root}/passwd\n}}",
                    "mail_location = maildir:~/Maildir",
                    "mail_fsync = never",  # a test server: APPEND of 1,000 messages in 1 s
                    "auth_failure_delay = 0",
                    f"log_path = {root}/log",
                    "default_internal_user = nobody",
                    "default_login_user = nobody",
                    "service imap-login {",
                    "  inet_listener imap {",
                    "    address = 127.0.0.1",
                    f"    port = {self.port}",
                    "  }",
                    "  inet_listener imaps {",
                    "    port = 0",
                    "  }",
                    "  chroot =",
                    "}",
                    "service anvil {",
                    "  chroot =",
                    "}",
                    "",
                ]
            )
        )

    def start(self) -> None:
        if not self.conf.exists():
            self.write_config()
        subprocess.run(
            [DOVECOT, "-c", str(self.conf)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    def stop(self) -> None:
        """Like a restart of the server: every client connection ends too (dovecot keeps
        serving logged-in connections after `stop` unless they are kicked first)."""
        for command in (["kick", USER], ["stop"]):
            subprocess.run(
                [DOVEADM, "-c", str(self.conf), *command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        imap.login(USER, PASSWORD)
        return imap

    def create_folder(self, name: str) -> None:
        imap = self.client()
        try:
            imap.create(name)
        finally:
            imap.logout()

    def append(self, folder: str, *messages: bytes) -> None:
        imap = self.client()
        try:
            for message in messages:
                status, _ = imap.append(folder, None, None, message)
                assert status == "OK"
        finally:
            imap.logout()

    def flags(self, folder: str) -> list[set[str]]:
        """The flags of every message in the folder, in order."""
        imap = self.client()
        try:
            imap.select(folder, readonly=True)
            status, data = imap.fetch("1:*", "(FLAGS)")
            if status != "OK" or data == [None]:
                return []
            found = []
            for line in data:
                text = line.decode() if isinstance(line, bytes) else str(line)
                inner = text.split("FLAGS (", 1)[1].split(")", 1)[0]
                found.append(set(inner.split()))
            return found
        except imaplib.IMAP4.error:
            return []
        finally:
            imap.logout()


class Webhook:
    """`leadtui intake serve` in a child process, with its own home and config."""

    def __init__(
        self,
        home: Path,
        config: str,
        env: dict[str, str] | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        self.home = home
        self.options = options  # global options before `intake serve` (e.g. --now)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(config)
        self.env = {**os.environ, **(env or {})}
        if env is None:
            self.env.pop("LEADTUI_INTAKE_TOKEN", None)
        self.log = home / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "leadtui", "--home", str(self.home), *self.options]
        args += ["intake", "serve"]
        args += ["--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the webhook exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the webhook did not start")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        finally:
            self.process = None


def stored(home: Path) -> TinyLeadStore:
    """A reader's view of the leads a service wrote under `home`."""
    return open_store(home / "leads.json", cadence=load_cadence())
