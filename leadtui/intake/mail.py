"""The mailbox watcher: `leadtui intake mail`, IMAP IDLE with IMAPClient (polling where the
server has no IDLE), each new message read as a lead through `leadtui.service.add_lead`.

A sweep asks for the messages that carry neither of our keywords, reads each without
marking it seen (BODY.PEEK[]), stores the lead with the Message-ID as its inquiry key, and
only then marks the message: keyword `$LeadtuiLead` (or a move to the configured folder).
A crash between the store's write and the mark is harmless: the next sweep reads the
message again and the store, knowing the key, writes nothing. A message that gives no lead
stays where it is, gets `\\Flagged` and `$LeadtuiRejected`, and `--check` lists it with
its reason. A lost connection (server restart, network) reconnects with back-off (1 s
doubling to 60 s); SIGTERM stops after the message in hand.
"""

from __future__ import annotations

import signal
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from leadtui.config import Settings
from leadtui.domain.model import LeadError
from leadtui.domain.text import one_line
from leadtui.intake.fields import FieldError
from leadtui.intake.mailparse import MailLead, NotALead, headline, read_message
from leadtui.intake.settings import IntakeSettings
from leadtui.service.add_lead import Arrival, add_arrivals, prepare
from leadtui.store.protocol import LeadStore, StoreError

DONE = b"$LeadtuiLead"
REJECTED = b"$LeadtuiRejected"
FETCH_BATCH = 200
IDLE_RENEW_SECONDS = 9 * 60  # servers end an IDLE after 30 minutes; renew well before
POLL_SECONDS = 5.0
MAX_BACKOFF = 60.0


class MailError(Exception):
    """The mailbox cannot be used (login refused, no such folder); one line."""


@dataclass(frozen=True)
class Mailbox:
    """Where to read: server, login and folder. The password is never shown."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    tls: str = "ssl"  # "ssl", "starttls" or "none"
    timeout: float = 30.0

    def connect(self) -> IMAPClient:
        """Logged in, the folder selected (read-write)."""
        client = IMAPClient(self.host, port=self.port, ssl=self.tls == "ssl", timeout=self.timeout)
        try:
            if self.tls == "starttls":
                client.starttls(ssl.create_default_context())
            client.login(self.user, self.password)
            if not client.folder_exists(self.folder):
                raise MailError(f"the mailbox has no folder {one_line(self.folder, 60)!r}")
            client.select_folder(self.folder)
        except BaseException:
            _close(client)
            raise
        return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        try:
            client.shutdown()
        except (IMAPClientError, OSError):
            pass


def _describe(uid: int, raw: bytes) -> str:
    sender, subject = headline(raw)
    return f"message {uid} from {one_line(sender, 60) or '?'} ({one_line(subject, 60)!r})"


def rejection(raw: bytes, settings: Settings, now: datetime) -> str | None:
    """Why this message gives no lead, or None when it gives one (nothing is stored)."""
    try:
        arrival = _arrival(read_message(raw, settings.intake.mail_labels))
        prepare(
            arrival,
            region=settings.default_region,
            default_timezone=settings.default_timezone,
            now=now,
        )
    except (NotALead, FieldError, LeadError) as err:
        return one_line(str(err), 200)
    return None


def _arrival(message: MailLead) -> Arrival:
    f = message.fields
    return Arrival(
        name=f.get("name", ""),
        phone=f.get("phone", ""),
        email=f.get("email", ""),
        source=f.get("source", ""),
        timezone=f.get("timezone") or None,
        received_at=message.received,
        notes=f.get("notes", ""),
        inquiry_key=message.key,
    )


class Watcher:
    """Sweep, wait (IDLE or poll), sweep again; reconnect with back-off on any loss."""

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        store: LeadStore,
        settings: Settings,
        now: Callable[[], datetime],
        say: Callable[[str], None],
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.store = store
        self.settings = settings
        self.intake: IntakeSettings = settings.intake
        self.now = now
        self.say = say
        self.stop_event = threading.Event()
        self._sleep = sleep or (lambda seconds: self.stop_event.wait(seconds))
        self.stored = 0
        self.rejected = 0

    def stop(self) -> None:
        """Stop after the message in hand (from another thread or a signal handler)."""
        self.stop_event.set()

    def run(self, *, once: bool = False) -> None:
        """Until `stop()` (SIGTERM, SIGINT); with `once`, one sweep and return."""
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: self.stop())
        backoff, connected_before = 1.0, False
        while not self.stop_event.is_set():
            try:
                client = self.mailbox.connect()
            except LoginError:
                if not connected_before:
                    raise MailError(
                        f"the IMAP server refused the login of {one_line(self.mailbox.user, 60)!r}"
                    ) from None
                client, problem = None, "the login was refused"
            except (IMAPClientError, OSError) as err:
                if not connected_before:
                    raise MailError(
                        f"cannot reach {self.mailbox.host}: {one_line(str(err), 100)}"
                    ) from None
                client, problem = None, one_line(str(err), 80) or type(err).__name__
            if client is None:
                self.say(f"cannot reach {self.mailbox.host} ({problem}); retry in {backoff:.0f}s")
                self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self.say(f"watching {self.mailbox.folder} on {self.mailbox.host}")
            connected_before = True
            try:
                self.sweep(client)
                backoff = 1.0  # a working connection: the next loss starts the back-off anew
                if once:
                    return
                self._watch(client)
            except (TimeoutError, IMAPClientError, OSError) as err:
                self.say(f"lost the connection ({one_line(str(err), 80)}); reconnecting")
            except StoreError as err:
                self.say(f"the lead store cannot be written ({one_line(str(err), 80)})")
                self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                _close(client)

    def _watch(self, client: IMAPClient) -> None:
        idle = client.has_capability("IDLE")
        while not self.stop_event.is_set():
            if idle:
                self._idle(client)
            else:
                self._poll(client)
            self.sweep(client)

    def _idle(self, client: IMAPClient) -> None:
        client.idle()
        try:
            deadline = time.monotonic() + IDLE_RENEW_SECONDS
            while not self.stop_event.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=1)
                if any(_bye(r) for r in responses):
                    raise OSError("the server said BYE")
                if responses:
                    return
        finally:
            client.idle_done()

    def _poll(self, client: IMAPClient) -> None:
        self._sleep(POLL_SECONDS)
        client.noop()

    def sweep(self, client: IMAPClient) -> int:
        """Read every message without our keywords; how many were handled."""
        uids = client.search(["NOT", "DELETED", "UNKEYWORD", DONE, "UNKEYWORD", REJECTED])
        handled = 0
        for start in range(0, len(uids), FETCH_BATCH):
            if self.stop_event.is_set():
                break
            chunk = uids[start : start + FETCH_BATCH]
            data = client.fetch(chunk, ["BODY.PEEK[]"])
            raws = [(uid, data.get(uid, {}).get(b"BODY[]")) for uid in chunk]
            handled += self._handle(client, [(uid, raw) for uid, raw in raws if raw])
        return handled

    def _handle(self, client: IMAPClient, messages: list[tuple[int, bytes]]) -> int:
        """Store the leads of a batch in one durable write, then mark the messages."""
        arrivals: list[tuple[int, bytes, Arrival]] = []
        refused: list[tuple[int, bytes, str]] = []
        for uid, raw in messages:
            try:
                arrivals.append((uid, raw, _arrival(read_message(raw, self.intake.mail_labels))))
            except (NotALead, FieldError) as err:
                refused.append((uid, raw, str(err)))
        answers = add_arrivals(
            self.store,
            [arrival for _, _, arrival in arrivals],
            region=self.settings.default_region,
            default_timezone=self.settings.default_timezone,
            now=self.now(),
        )
        done: list[int] = []
        for (uid, raw, _), answer in zip(arrivals, answers, strict=True):
            if isinstance(answer, LeadError):
                refused.append((uid, raw, str(answer)))
                continue
            done.append(uid)
            what = (
                "already stored"
                if answer.replayed
                else ("new lead" if answer.created else "repeat inquiry")
            )
            self.say(f"{_describe(uid, raw)}: {what} {answer.lead.id}")
        if refused:
            client.add_flags([uid for uid, _, _ in refused], [b"\\Flagged", REJECTED])
            for uid, raw, reason in refused:
                self.say(f"{_describe(uid, raw)}: not a lead: {one_line(reason, 160)}")
        if done:
            self._mark(client, done)
        self.stored += len(done)
        self.rejected += len(refused)
        return len(messages)

    def _mark(self, client: IMAPClient, uids: Iterable[int]) -> None:
        uids = list(uids)
        if self.intake.mail_handled == "move":
            target = self.intake.mail_move_to
            if not client.folder_exists(target):
                client.create_folder(target)
            client.add_flags(uids, [DONE])
            if client.has_capability("MOVE"):
                client.move(uids, target)
            else:
                client.copy(uids, target)
                client.delete_messages(uids)
                client.expunge(uids)
        else:
            client.add_flags(uids, [DONE])


def _bye(response: object) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"


def check(mailbox: Mailbox, settings: Settings, now: datetime) -> list[str]:
    """One line per message left in the folder that gave no lead, with its reason."""
    try:
        client = mailbox.connect()
    except LoginError:
        raise MailError(
            f"the IMAP server refused the login of {one_line(mailbox.user, 60)!r}"
        ) from None
    except (IMAPClientError, OSError) as err:
        raise MailError(f"cannot reach {mailbox.host}: {one_line(str(err), 100)}") from None
    lines = []
    try:
        uids = client.search(["NOT", "DELETED", "KEYWORD", REJECTED])
        for start in range(0, len(uids), FETCH_BATCH):
            chunk = uids[start : start + FETCH_BATCH]
            data = client.fetch(chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                raw = data.get(uid, {}).get(b"BODY[]") or b""
                reason = rejection(raw, settings, now) or "gives a lead now (labels changed?)"
                lines.append(f"{_describe(uid, raw)}: {reason}")
    finally:
        _close(client)
    return lines
