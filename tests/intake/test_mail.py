"""The mailbox watcher against a real dovecot on loopback: messages APPENDed to a fresh
folder, the watcher in a thread (IDLE), leads checked in the store and flags on the server."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from servers import PASSWORD, USER, stored

from leadtui.config import Settings
from leadtui.domain.cadence import load_cadence
from leadtui.intake.mail import DONE, REJECTED, Mailbox, MailError, Watcher, check
from leadtui.intake.settings import parse_intake
from leadtui.service.add_lead import add_lead
from leadtui.store.repository import open_store

NOW = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)


def message(body: str, *, subject="New lead", sender="leads@vendor.example", msgid=None,
            content_type="text/plain; charset=utf-8", date="Mon, 09 Mar 2026 11:20:00 -0500",
            encoding: str = "utf-8") -> bytes:  # fmt: skip
    head = [f"From: Lead Vendor <{sender}>", "To: rep@example.com", f"Subject: {subject}",
            f"Date: {date}", "MIME-Version: 1.0", f"Content-Type: {content_type}"]  # fmt: skip
    if msgid is not False:
        head.append(f"Message-ID: <{msgid or time.monotonic_ns()}@vendor.example>")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body.replace("\n", "\r\n").encode(encoding)


class Running:
    """A watcher in a thread over `home`'s store, stopped at the end."""

    def __init__(self, dovecot, folder: str, home: Path, settings: Settings) -> None:
        self.store = open_store(home / "leads.json", cadence=load_cadence())
        self.lines: list[str] = []
        box = Mailbox("127.0.0.1", dovecot.port, USER, PASSWORD, folder, tls="none", timeout=10)
        self.watcher = Watcher(box, store=self.store, settings=settings, now=lambda: NOW,
                               say=self.lines.append)  # fmt: skip
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        wait_for(lambda: any(line.startswith("watching") for line in self.lines))
        return self

    def __exit__(self, *exc: object) -> None:
        self.watcher.stop()
        self.thread.join(timeout=10)
        self.store.close()

    def leads(self):
        return self.store.leads()


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


@pytest.fixture
def settings() -> Settings:
    return Settings(default_timezone="America/Denver")


def test_plain_html_forwarded_and_non_utf8_messages_become_leads(dovecot, folder, tmp_path,
                                                                 settings):  # fmt: skip
    with Running(dovecot, folder, tmp_path, settings) as run:
        dovecot.append(
            folder,
            message(
                "Hello,\nName: Greta Olsen\nPhone: (720) 555-0113\n"
                "Email: greta@example.net\nComments: wants a quote\n"
            ),
        )
        wait_for(lambda: len(run.leads()) == 1)
        html = (
            "<html><head><style>td{}</style></head><body><table>"
            "<tr><td>Full Name:</td><td>Hugo &amp; Co</td></tr>"
            "<tr><td>Phone Number:</td><td>+1 305 555 0150</td></tr></table></body></html>"
        )
        dovecot.append(folder, message(html, content_type="text/html; charset=utf-8"))
        forwarded = (
            "---------- Forwarded message ---------\nFrom: Web Form <form@site.example>\n"
            "Date: Fri, 6 Mar 2026 09:00:00 +0000\nSubject: Contact\n\n"
            "> First Name: Ines\n> Last Name: Moreau\n> Cell: 206-555-0171\n"
        )
        dovecot.append(folder, message(forwarded, subject="Fwd: Contact"))
        latin = message(
            "Name: Jörg Ærø\nTelephone: 617 555 0184\n",
            content_type="text/plain; charset=iso-8859-1",
            encoding="latin-1",
        )
        dovecot.append(folder, latin)
        wait_for(lambda: len(run.leads()) == 4)
        leads = {lead.name: lead for lead in run.leads()}
    greta = leads["Greta Olsen"]
    assert (greta.phone, greta.email, greta.notes) == ("+17205550113", "greta@example.net",
                                                       "wants a quote")  # fmt: skip
    assert greta.received_at == datetime(2026, 3, 9, 16, 20, tzinfo=UTC)  # the Date header
    assert greta.source == "leads@vendor.example"
    assert leads["Hugo & Co"].phone == "+13055550150"
    assert leads["Ines Moreau"].phone == "+12065550171"
    assert leads["Jörg Ærø"].phone == "+16175550184"
    assert all(DONE.decode() in flags for flags in dovecot.flags(folder))


def test_a_message_without_fields_is_flagged_left_and_listed_by_check(dovecot, folder, tmp_path,
                                                                      settings):  # fmt: skip
    with Running(dovecot, folder, tmp_path, settings) as run:
        dovecot.append(folder, message("Hi, just saying hello. No details here.",
                                       subject="Lunch?"))  # fmt: skip
        dovecot.append(folder, message("Name: Bad Number\nPhone: 12\n", subject="Bad one"))
        wait_for(lambda: run.watcher.rejected == 2)
        assert run.leads() == []
    flags = dovecot.flags(folder)
    assert len(flags) == 2
    assert all({"\\Flagged", REJECTED.decode()} <= f for f in flags)
    box = Mailbox("127.0.0.1", dovecot.port, USER, PASSWORD, folder, tls="none")
    lines = check(box, settings, NOW)
    assert len(lines) == 2
    assert "'Lunch?'" in lines[0] and "no name and no phone found" in lines[0]
    assert "'Bad one'" in lines[1] and "phone" in lines[1]


def test_labels_per_sender_from_the_config(dovecot, folder, tmp_path):
    intake = parse_intake({"mail": {"labels": {"@autoleads.example": {
        "name": ["Customer"], "phone": ["Best number to reach"]}}}})  # fmt: skip
    settings = Settings(intake=intake)
    with Running(dovecot, folder, tmp_path, settings) as run:
        body = "Customer: Pat Quinn\nBest number to reach: 214-555-0135\n"
        dovecot.append(folder, message(body, sender="feed@autoleads.example"))
        dovecot.append(folder, message(body.replace("214", "469"), sender="x@other.example"))
        wait_for(lambda: run.watcher.stored + run.watcher.rejected == 2)
        assert [lead.name for lead in run.leads()] == ["Pat Quinn"]


def test_stored_but_not_flagged_is_never_stored_twice(dovecot, folder, tmp_path, settings):
    raw = message("Name: Crash Test\nPhone: 503 555 0166\n", msgid="crash-1")
    dovecot.append(folder, raw)
    with open_store(tmp_path / "leads.json", cadence=load_cadence()) as store:
        # what a crash after the store's write and before the flag leaves behind
        key = "mail:<crash-1@vendor.example>"
        add_lead(store, name="Crash Test", phone="503 555 0166", inquiry_key=key, now=NOW)
    with Running(dovecot, folder, tmp_path, settings) as run:
        wait_for(lambda: run.watcher.stored == 1)
        (lead,) = run.leads()
    assert lead.inquiries == ()  # not even a repeat inquiry
    assert DONE.decode() in dovecot.flags(folder)[0]


def test_move_mode_moves_handled_messages(dovecot, folder, tmp_path):
    settings = Settings(
        intake=parse_intake({"mail": {"handled": "move", "move_to": f"{folder}-done"}})
    )
    with Running(dovecot, folder, tmp_path, settings) as run:
        dovecot.append(folder, message("Name: Mo Ved\nPhone: 404 555 0148\n"))
        wait_for(lambda: run.watcher.stored == 1)
    wait_for(lambda: dovecot.flags(folder) == [])
    assert len(dovecot.flags(f"{folder}-done")) == 1


def test_a_thousand_messages_at_once(dovecot, folder, tmp_path, settings):
    messages = [message(f"Name: Bulk {i}\nPhone: +1 312 555 {i:04d}\n") for i in range(1000)]
    dovecot.append(folder, *messages)
    with Running(dovecot, folder, tmp_path, settings) as run:
        wait_for(lambda: run.watcher.stored == 1000, timeout=120)
        assert len(run.leads()) == 1000
    assert all(DONE.decode() in flags for flags in dovecot.flags(folder))


def test_a_server_restart_mid_watch_reconnects(dovecot, folder, tmp_path, settings):
    with Running(dovecot, folder, tmp_path, settings) as run:
        dovecot.append(folder, message("Name: Before Restart\nPhone: 801 555 0101\n"))
        wait_for(lambda: len(run.leads()) == 1)
        dovecot.stop()
        time.sleep(0.5)
        dovecot.start()
        dovecot.append(folder, message("Name: After Restart\nPhone: 801 555 0102\n"))
        wait_for(lambda: len(run.leads()) == 2, timeout=40)
    lost = [line for line in run.lines if "lost the connection" in line or "cannot reach" in line]
    assert lost, run.lines


def test_bad_login_is_one_line(dovecot, folder, tmp_path):
    box = Mailbox("127.0.0.1", dovecot.port, USER, "wrong-password", folder, tls="none")
    with pytest.raises(MailError, match="refused the login"):
        check(box, Settings(), NOW)
    env = {"LEADTUI_HOME": str(tmp_path), "LEADTUI_IMAP_PASSWORD": "wrong-password",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "leadtui", "intake", "mail", "--imap", "127.0.0.1", "--port",
         str(dovecot.port), "--tls", "none", "--user", USER, "--folder", folder, "--once"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == "leadtui: the IMAP server refused the login of 'rep'"
    assert "wrong-password" not in done.stderr


def test_mail_command_end_to_end_once(dovecot, folder, tmp_path):
    dovecot.append(folder, message("Name: Cli Person\nPhone: 919 555 0122\n"))
    env = {
        "LEADTUI_HOME": str(tmp_path),
        "LEADTUI_IMAP_PASSWORD": PASSWORD,
        "PATH": "/usr/bin:/bin",
    }
    args = [sys.executable, "-m", "leadtui", "intake", "mail", "--imap", "127.0.0.1", "--port",
            str(dovecot.port), "--tls", "none", "--user", USER, "--folder", folder]  # fmt: skip
    done = subprocess.run([*args, "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "new lead" in done.stderr
    with stored(tmp_path) as store:
        assert [lead.name for lead in store.leads()] == ["Cli Person"]
    listed = subprocess.run([*args, "--check"], env=env, capture_output=True, text=True, timeout=60)
    assert listed.stdout.strip() == f"no message in {folder} was refused as a lead"


def test_polling_where_the_server_has_no_idle(dovecot, folder, tmp_path, settings, monkeypatch):
    from imapclient import IMAPClient

    import leadtui.intake.mail as mail

    real = IMAPClient.has_capability
    monkeypatch.setattr(
        IMAPClient, "has_capability", lambda self, name: name != "IDLE" and real(self, name)
    )  # a server without IDLE (dovecot always offers it)
    monkeypatch.setattr(mail, "POLL_SECONDS", 0.3)
    idles: list[int] = []
    monkeypatch.setattr(IMAPClient, "idle", lambda self: idles.append(1))
    with Running(dovecot, folder, tmp_path, settings) as run:
        time.sleep(0.5)
        dovecot.append(folder, message("Name: Polly Poll\nPhone: 651 555 0139\n"))
        wait_for(lambda: len(run.leads()) == 1)
    assert idles == []


def test_sigterm_stops_the_watcher_cleanly(dovecot, folder, tmp_path):
    env = {"LEADTUI_HOME": str(tmp_path), "LEADTUI_IMAP_PASSWORD": PASSWORD,
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    args = [sys.executable, "-m", "leadtui", "intake", "mail", "--imap", "127.0.0.1", "--port",
            str(dovecot.port), "--tls", "none", "--user", USER, "--folder", folder]  # fmt: skip
    watcher = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    assert watcher.stderr is not None
    assert watcher.stderr.readline().startswith("watching")
    dovecot.append(folder, message("Name: Term Inal\nPhone: 612 555 0170\n"))
    assert "new lead" in watcher.stderr.readline()
    started = time.monotonic()
    watcher.send_signal(signal.SIGTERM)
    assert watcher.wait(timeout=10) == 0
    assert time.monotonic() - started < 3
