"""Connecting to PostgreSQL: the optional driver, URL masking, one-line errors.

psycopg 3 is an optional extra (`pip install 'leadtui[postgres]'`); without it a
`postgresql://` database gives one clear line naming the extra. A password (in the URL, a
`password=` key word or a `?password=` parameter) is never shown: every message that names
the database goes through `mask_url`, and every driver message through `redact`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from leadtui.store.protocol import StoreError

MISSING_DRIVER = (
    "the PostgreSQL backend needs the 'postgres' extra: pip install 'leadtui[postgres]'"
)
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def is_postgres_url(value: str) -> bool:
    """True for a libpq URL (postgresql:// or postgres://) or a key=value conninfo."""
    text = value.strip()
    if text.startswith(("postgresql://", "postgres://")):
        return True
    return "=" in text and "/" not in text.split("=", 1)[0]


def mask_url(url: str) -> str:
    """The URL or conninfo with any password replaced by ***."""
    text = _KEYWORD_PASSWORD.sub(r"\1***", url)
    if "://" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def secrets_of(url: str) -> list[str]:
    """The password strings in `url`, to strip from driver messages."""
    found = [m.group(2).strip("'") for m in _KEYWORD_PASSWORD.finditer(url)]
    if "://" in url:
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            found.append(password)
    return [s for s in found if s and s != "***"]


def redact(message: str, url: str) -> str:
    """A driver message with every password of `url` masked, on one line."""
    text = " ".join(str(message).split())
    for secret in secrets_of(url):
        text = text.replace(secret, "***")
    return text


def driver() -> Any:
    """The psycopg module; StoreError naming the extra when it is not installed."""
    try:
        import psycopg
    except ImportError:
        raise StoreError(MISSING_DRIVER) from None
    return psycopg


def pool_module() -> Any:
    try:
        import psycopg_pool
    except ImportError:
        raise StoreError(MISSING_DRIVER) from None
    return psycopg_pool


def connect(url: str, **kwargs: Any) -> Any:
    """One connection; StoreError (masked, one line) when the server cannot be reached."""
    psycopg = driver()
    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.Error as exc:
        raise StoreError(f"{mask_url(url)}: {redact(str(exc), url)}") from None
