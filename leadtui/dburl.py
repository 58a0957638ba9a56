"""Database URLs: which backend a `database` setting selects, and masking its password.

Pure standard library (config, the CLI and the store share it). A password, whether in
the URL (`postgresql://rep:secret@host/db`), a `password=` key word of a conninfo string
or a `?password=` parameter, is shown as *** in every message.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


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
    if "@" not in netloc or ":" not in netloc.rsplit("@", 1)[0]:
        return text
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
            found += [password, unquote(password)]
    return [s for s in found if s and s != "***"]


def redact(message: str, url: str) -> str:
    """A driver message with every password of `url` masked, on one line."""
    text = " ".join(str(message).split())
    for secret in secrets_of(url):
        text = text.replace(secret, "***")
    return text
