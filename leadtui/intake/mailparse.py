"""Pure reading of a lead email: raw RFC 5322 bytes -> the fields of `add_lead`.

The body is the text/plain part, or the HTML part turned into lines (table cells of one
row joined by a space, so `<td>Phone:</td><td>…</td>` reads as "Phone: …"); parts of a
forwarded message (message/rfc822) are read too. A line "Label: value" gives a field when
the label is one of `import`'s header aliases or one configured for the sender
(`[intake.mail.labels]`); quoting marks ("> ") and bullets before it are skipped. The
first value of each field wins. `received` is the message's Date header, never a body
line (a forwarded header block has "Date:" lines of its own). The inquiry key is the
Message-ID, or a hash of the bytes when the message has none.

A message that cannot give a lead raises `NotALead` with the reason.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from leadtui.intake.fields import map_pairs

MAX_MESSAGE = 2 * 1024 * 1024
MAX_LINES = 2_000
_LABEL_LINE = re.compile(r"^[\s>*•·\-]*([^\W\d_][\w .'/()#-]{0,48}?)\s*[:：]\s*(.*?)\s*$")
_QUOTE = re.compile(r"^[\s>]*")  # a forward's quoting marks before a continued line
_FORWARD = re.compile(r"^-{3,}|^begin forwarded message", re.IGNORECASE)
_BLOCKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr",
           "ul", "ol", "dt", "dd", "blockquote", "pre", "section", "article"}  # fmt: skip


class NotALead(ValueError):
    """The message gives no lead; the message text says why (shown by --check)."""


@dataclass(frozen=True, slots=True)
class MailLead:
    """What a lead email said."""

    key: str  # "mail:<Message-ID>" (or "mail:sha256:<hex>")
    sender: str  # the From address, lower case
    fields: dict[str, str]  # our field names -> raw values (name, phone, email, notes, ...)
    received: datetime | None  # from the Date header (UTC), None without a usable one
    subject: str


class _Text(HTMLParser):
    """HTML -> text lines; script and style dropped, block elements end a line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(" ".join(data.split()) if "\n" in data else data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body, one line per block or table row."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _decoded(part: Message) -> str:
    """A text part's content: its declared charset, else UTF-8, else Windows-1252."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset()
    for charset in (declared, "utf-8", "cp1252", "latin-1"):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def body_text(message: Message) -> str:
    """Every text/plain part (HTML parts when there is none), forwarded parts included."""
    plain: list[str] = []
    html: list[str] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.get_content_disposition() == "attachment":
            continue
        if part.get_content_subtype() == "plain":
            plain.append(_decoded(part))
        elif part.get_content_subtype() == "html":
            html.append(html_to_text(_decoded(part)))
    return "\n".join(plain) if any(p.strip() for p in plain) else "\n".join(html)


def labelled_pairs(text: str) -> list[tuple[str, str]]:
    """("Label", "value") for each "Label: value" line. Lines that follow a labelled line
    without a blank line between (a comment the form wrapped or the sender typed over
    several lines) continue its value, one "\n" between lines; a blank line, the next
    label, a signature mark ("-- ") or a forward's header ends it. Only the notes keep the
    continuation (`read_message`): a name or a number is its first line."""
    pairs: list[tuple[str, str]] = []
    continuing = False
    for line in text.splitlines()[:MAX_LINES]:
        match = _LABEL_LINE.match(line)
        if match:
            continuing = bool(match.group(2))
            if continuing:
                pairs.append((match.group(1), match.group(2)))
            continue
        body = _QUOTE.sub("", line).strip()
        if not body or line.rstrip() == "--" or line.startswith("-- ") or _FORWARD.match(body):
            continuing = False
        elif continuing:
            label, value = pairs[-1]
            pairs[-1] = (label, f"{value}\n{body}")
    return pairs


def labels_for(sender: str, labels: Mapping[str, Mapping[str, tuple[str, ...]]]):
    """The configured labels for this sender: its address first, else its @domain."""
    address = sender.lower()
    domain = "@" + address.rpartition("@")[2] if "@" in address else ""
    return labels.get(address) or (labels.get(domain) if domain else None) or {}


def read_message(
    raw: bytes, labels: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None
) -> MailLead:
    """A lead email's fields; NotALead with the reason when there are none to use."""
    if len(raw) > MAX_MESSAGE:
        raise NotALead(f"the message is larger than {MAX_MESSAGE // 2**20} MB")
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    message_id = " ".join(str(message.get("Message-ID", "")).split())[:250]
    key = f"mail:{message_id}" if message_id else f"mail:sha256:{hashlib.sha256(raw).hexdigest()}"
    subject = _header_text(message, "Subject")
    fields = map_pairs(labelled_pairs(body_text(message)), labels_for(sender, labels or {}))
    fields.pop("received", None)
    for name, value in fields.items():  # only the notes run over several lines
        if name != "notes" and "\n" in value:
            fields[name] = value.partition("\n")[0].strip()
    missing = [name for name in ("name", "phone") if not fields.get(name)]
    if missing:
        raise NotALead(
            f"no {' and no '.join(missing)} found (expected lines such as 'Name: ...', "
            "'Phone: ...'; labels can be set per sender in [intake.mail.labels])"
        )
    if not fields.get("source") and sender:
        fields["source"] = sender
    return MailLead(key, sender, fields, _date(message), subject)


def headline(raw: bytes) -> tuple[str, str]:
    """(sender address, subject) of a message, for log lines and --check."""
    message = email.message_from_bytes(raw[:MAX_MESSAGE], policy=email.policy.compat32)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    return sender, _header_text(message, "Subject")


def _header_text(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(email.policy.default.header_factory(name, str(value)))[:200]
    except Exception:  # a malformed encoded word: show it as it came
        return str(value)[:200]


def _date(message: Message | EmailMessage) -> datetime | None:
    value = message.get("Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)  # RFC 5322 "-0000": the zone is unknown; read as UTC
    return parsed.astimezone(UTC)
