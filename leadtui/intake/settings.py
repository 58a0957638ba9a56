"""The `[intake]` table of the config file, checked: tokens, signing secrets, rate limit
and the mailbox's handling and labels. Pure (no I/O); `leadtui.config` calls `parse_intake`
and reports a ValueError with the file and line.

    [intake]
    rate_limit = 20            # posts per second per source (a burst of 5x is allowed)
    [intake.tokens]            # source name -> bearer token (at least 16 characters)
    webform = "..."
    [intake.secrets]           # source name -> HMAC-SHA256 secret for signed bodies
    vendor = "..."
    [intake.mail]
    handled = "flag"           # or "move" (then move_to names the folder)
    move_to = "Leads/Done"
    [intake.mail.labels."leads@vendor.example"]   # a sender address or "@domain"
    phone = ["Best number", "Daytime phone"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("name", "first_name", "last_name", "phone", "email", "source", "timezone",
          "received", "notes")  # fmt: skip
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f]")
MIN_TOKEN = 16


@dataclass(frozen=True)
class IntakeSettings:
    """What `leadtui intake serve` and `leadtui intake mail` read from the config."""

    tokens: dict[str, str] = field(default_factory=dict)  # source -> bearer token
    secrets: dict[str, str] = field(default_factory=dict)  # source -> HMAC secret
    rate_limit: float = 20.0
    mail_handled: str = "flag"  # "flag" or "move"
    mail_move_to: str = ""
    # sender address or "@domain" (lower case) -> our field -> extra labels
    mail_labels: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show a token or secret (logs, tracebacks)
        return (
            f"IntakeSettings(tokens={sorted(self.tokens)}, secrets={sorted(self.secrets)}, "
            f"rate_limit={self.rate_limit}, mail_handled={self.mail_handled!r})"
        )


def _credentials(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(f'{what} must be a table of source name = "..."')
    found: dict[str, str] = {}
    for name, secret in value.items():
        if not _SOURCE.match(name):
            raise ValueError(
                f"{what}: {name!r} is not a usable source name (letters, digits, _.@-)"
            )
        if not isinstance(secret, str) or len(secret) < MIN_TOKEN or _UNSAFE.search(secret):
            raise ValueError(
                f"{what}.{name} must be at least {MIN_TOKEN} characters without spaces "
                "(e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe())'`)"
            )
        found[name] = secret
    return found


def _labels(value: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    if not isinstance(value, dict):
        raise ValueError('mail.labels must be a table: [intake.mail.labels."sender@example.com"]')
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for sender, table in value.items():
        if not isinstance(table, dict) or "@" not in sender:
            raise ValueError(
                f"mail.labels.{sender!r}: expected a sender address or @domain and a table"
            )
        fields: dict[str, tuple[str, ...]] = {}
        for name, labels in table.items():
            if name not in FIELDS:
                raise ValueError(
                    f"mail.labels.{sender!r}: unknown field {name!r} (known: {', '.join(FIELDS)})"
                )
            if isinstance(labels, str):
                labels = [labels]
            if not isinstance(labels, list) or not all(
                isinstance(label, str) and label.strip() and len(label) <= 60 for label in labels
            ):
                raise ValueError(f"mail.labels.{sender!r}.{name} must be a list of labels")
            fields[name] = tuple(label.strip() for label in labels)
        result[sender.strip().lower()] = fields
    return result


def parse_intake(value: Any) -> IntakeSettings:
    """The `[intake]` table as settings; ValueError with a one-line reason."""
    if not isinstance(value, dict):
        raise ValueError("must be a table: [intake]")
    known = {"tokens", "secrets", "rate_limit", "mail"}
    for key in value:
        if key not in known:
            raise ValueError(f"has an unknown key {key!r} (known: {', '.join(sorted(known))})")
    rate = value.get("rate_limit", 20.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.1 <= rate <= 100_000:
        raise ValueError("rate_limit must be a number of posts per second, 0.1 to 100000")
    mail = value.get("mail", {})
    if not isinstance(mail, dict):
        raise ValueError("mail must be a table: [intake.mail]")
    for key in mail:
        if key not in ("handled", "move_to", "labels"):
            raise ValueError(f"mail has an unknown key {key!r} (known: handled, move_to, labels)")
    handled = mail.get("handled", "flag")
    if handled not in ("flag", "move"):
        raise ValueError(f'mail.handled must be "flag" or "move", got {handled!r}')
    move_to = mail.get("move_to", "")
    if not isinstance(move_to, str) or _UNSAFE.search(move_to.replace(" ", "")):
        raise ValueError("mail.move_to must be a folder name")
    if handled == "move" and not move_to.strip():
        raise ValueError('mail.handled = "move" needs mail.move_to, the folder to move to')
    return IntakeSettings(
        tokens=_credentials(value.get("tokens", {}), "tokens"),
        secrets=_credentials(value.get("secrets", {}), "secrets"),
        rate_limit=float(rate),
        mail_handled=handled,
        mail_move_to=move_to.strip(),
        mail_labels=_labels(mail.get("labels", {})),
    )
