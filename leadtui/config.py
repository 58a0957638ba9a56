"""Settings: defaults <- the TOML config file <- LEADTUI_* environment variables <- flags.

Every problem is a `ConfigError` whose message names where the bad value came from: the
file and line (found by scanning the file's text, since tomllib reports no positions for
keys), the environment variable, or the command-line option.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from leadtui.dburl import is_postgres_url, mask_url
from leadtui.domain.dial import parse_dial_command
from leadtui.domain.text import UNSAFE
from leadtui.domain.window import CallingWindow
from leadtui.intake.settings import IntakeSettings, parse_intake
from leadtui.paths import ensure_private_dir, write_private_file


class ConfigError(ValueError):
    """A bad config file, environment variable or option; the message says where and what."""


@dataclass(frozen=True)
class Settings:
    """Everything the rep can configure. Defaults work out of the box."""

    rep_name: str = ""
    rep_phone: str = ""
    offer: str = "a short look at how we can help"
    speed_to_lead_minutes: float = 5.0
    window: CallingWindow = field(default_factory=CallingWindow)
    default_region: str = "US"
    default_timezone: str = "America/New_York"
    cadence_file: Path | None = None
    theme: str = "leadtui-dark"
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys
    claim_ttl_seconds: int = 120
    intake: IntakeSettings = field(default_factory=IntakeSettings)  # [intake] (webhook, mail)
    import_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> headers
    database: str = ""  # "" = the TinyDB file in the data folder; else a PostgreSQL URL
    dial_command: tuple[str, ...] = ()  # argv with {phone} and {lead_id}; () = copy instead

    @property
    def threshold(self) -> timedelta:
        """The speed-to-lead threshold: a never-called lead older than this is aging."""
        return timedelta(minutes=self.speed_to_lead_minutes)


# Environment variable -> setting key (flags use the setting keys directly).
ENV_VARS: dict[str, str] = {
    "LEADTUI_REP_NAME": "rep_name",
    "LEADTUI_REP_PHONE": "rep_phone",
    "LEADTUI_OFFER": "offer",
    "LEADTUI_SPEED_TO_LEAD_MINUTES": "speed_to_lead_minutes",
    "LEADTUI_WINDOW_START": "window_start",
    "LEADTUI_WINDOW_END": "window_end",
    "LEADTUI_DEFAULT_REGION": "default_region",
    "LEADTUI_DEFAULT_TIMEZONE": "default_timezone",
    "LEADTUI_CADENCE_FILE": "cadence_file",
    "LEADTUI_THEME": "theme",
    "LEADTUI_DB": "database",
    "LEADTUI_DIAL_COMMAND": "dial_command",
}

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_THEME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_BINDING_ID = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


# What to do about a config file that cannot be read at all.
_FIX_FILE = "; fix it (or move it aside to use the defaults)"


class _Bad(ValueError):
    """A bad value; the caller adds where it came from."""


def _plain_text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _Bad(f"must be text, got {_kind(value)}")
        if UNSAFE.search(value):
            raise _Bad("must not contain control or bidi characters")
        text = unicodedata.normalize("NFC", value).strip()
        if len(text) > max_length:
            raise _Bad(f"must be at most {max_length} characters")
        return text

    return check


def _minutes(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise _Bad(f"must be a number of minutes, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"must be a number of minutes, got {_kind(value)}")
    if not 0 < value <= 7 * 24 * 60 or value != value:
        raise _Bad(f"must be more than 0 and at most 10080 minutes, got {value}")
    return float(value)


def _hhmm(value: Any) -> time:
    if isinstance(value, time):  # TOML local time: window_start = 08:00:00
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if not isinstance(value, str) or not _HHMM.match(value.strip()):
        raise _Bad(f'must be a 24-hour time like "08:00", got {_show(value)}')
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def _region(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise _Bad(f'must be a two-letter country code like "US" or "GB", got {_show(value)}')
    return value.strip().upper()


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or ".." in value or value.startswith("/"):
        raise _Bad(f'must be an IANA time zone like "America/Chicago", got {_show(value)}')
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _Bad(f"is not a known time zone: {value!r}") from None
    return value.strip()


def _theme(value: Any) -> str:
    if not isinstance(value, str) or not _THEME.match(value.strip()):
        raise _Bad(f"must be a theme name (letters, digits, - _ .), got {_show(value)}")
    return value.strip()


def _ttl(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"must be a whole number of seconds, got {_kind(value)}")
    if not 10 <= value <= 86_400:
        raise _Bad(f"must be between 10 and 86400 seconds, got {value}")
    return value


def _database(value: Any) -> str:
    """"" (the TinyDB file) or a PostgreSQL URL / conninfo; never echoes the value (it may
    hold a password)."""
    if not isinstance(value, str):
        raise _Bad(f"must be a PostgreSQL URL like postgresql://rep@host/leads, got {_kind(value)}")
    text = value.strip()
    if not text:
        return ""
    if UNSAFE.search(text):
        raise _Bad("must not contain control characters")
    if not is_postgres_url(text):
        raise _Bad(
            f"must be a PostgreSQL URL (postgresql://…) or conninfo (host=… dbname=…), "
            f"got {mask_url(text)!r}"
        )
    return text


def _keymap(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _Bad('must be a table: [keymap] then lines like no_answer = "n"')
    keymap: dict[str, str] = {}
    for binding, keys in value.items():
        if not _BINDING_ID.match(binding):
            raise _Bad(f"has a bad binding id {binding!r}")
        if not isinstance(keys, str) or not keys.strip() or UNSAFE.search(keys):
            raise _Bad(f'{binding!r} must be keys like "n" or "ctrl+n,f2", got {_show(keys)}')
        keymap[binding] = keys.strip()
    return keymap


def _intake(value: Any) -> IntakeSettings:
    try:
        return parse_intake(value)
    except ValueError as err:
        raise _Bad(str(err)) from None


_ALIAS_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "mobile",
    "phone",
    "email",
    "source",
    "timezone",
    "received",
    "notes",
)  # fmt: skip  (the fields of leadtui/data/import_aliases.toml)


def _import_aliases(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise _Bad('must be a table: [import_aliases] then lines like phone = ["Direct Dial"]')
    aliases: dict[str, tuple[str, ...]] = {}
    for name, headers in value.items():
        if name not in _ALIAS_FIELDS:
            raise _Bad(f"has an unknown field {name!r} (fields: {', '.join(_ALIAS_FIELDS)})")
        if isinstance(headers, str):
            headers = [headers]
        if not isinstance(headers, list) or not all(
            isinstance(h, str) and h.strip() and len(h) <= 100 and not UNSAFE.search(h)
            for h in headers
        ):
            raise _Bad(f'{name!r} must be a list of column names like ["Cell Number"]')
        aliases[name] = tuple(h.strip() for h in headers)
    return aliases


def _dial_command(value: Any) -> tuple[str, ...]:
    try:
        return parse_dial_command(value)
    except ValueError as err:
        raise _Bad(str(err)) from None


# Setting key -> parser. window_start/window_end combine into Settings.window.
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "rep_name": _plain_text(80),
    "rep_phone": _plain_text(40),
    "offer": _plain_text(200),
    "speed_to_lead_minutes": _minutes,
    "window_start": _hhmm,
    "window_end": _hhmm,
    "default_region": _region,
    "default_timezone": _timezone,
    "cadence_file": lambda value: value,  # resolved against its origin below
    "theme": _theme,
    "claim_ttl_seconds": _ttl,
    "keymap": _keymap,
    "intake": _intake,
    "import_aliases": _import_aliases,
    "database": _database,
    "dial_command": _dial_command,
}
KEYS = tuple(_PARSERS)


def _kind(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        dict: "a table",
        list: "a list",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else _kind(value)


def load_settings(
    path: Path,
    env: Mapping[str, str] = os.environ,
    overrides: Mapping[str, Any] = {},  # noqa: B006 - read only
) -> Settings:
    """Read the config file at `path` (missing = all defaults), then env, then `overrides`.

    `overrides` uses the setting keys (e.g. {"theme": "leadtui-light"}); None values are
    ignored so argparse namespaces can be passed through unchanged.
    """
    values: dict[str, Any] = {}
    text = _read_text(path)
    if text is not None:
        values.update(_from_file(path, text))
    for var, key in ENV_VARS.items():
        raw = env.get(var)
        if raw is not None and (raw.strip() or key in ("rep_name", "rep_phone", "dial_command")):
            values[key] = _checked(key, raw, f"environment variable {var}", base=Path.cwd())
    for key, raw in overrides.items():
        if raw is None:
            continue
        if key not in _PARSERS:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = _checked(key, raw, f"option for {key}", base=Path.cwd())
    return _build(values, path)


def _read_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot read the config file ({err.strerror}){_FIX_FILE}"
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} line {line}: the config file is not valid UTF-8{_FIX_FILE}"
        ) from None


def _from_file(path: Path, text: str) -> dict[str, Any]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        reason = re.sub(r"\s*\(at .*\)$", "", message)
        where = f"line {found.group(1)}" if found else f"line {text.count(chr(10)) + 1}"
        raise ConfigError(f"{path} {where}: invalid TOML: {reason}{_FIX_FILE}") from None
    values: dict[str, Any] = {}
    for key, raw in doc.items():
        line = find_key_line(text, key)
        if key not in _PARSERS:
            raise ConfigError(
                f"{path} line {line}: unknown key {key!r} (known keys: {', '.join(KEYS)})"
            )
        if key == "import_aliases" and isinstance(raw, dict):
            for name, headers in raw.items():
                try:
                    _import_aliases({name: headers})
                except _Bad as err:
                    line = find_key_line(text, name, table="import_aliases")
                    raise ConfigError(f"{path} line {line}: import_aliases {err}") from None
        if key == "keymap" and isinstance(raw, dict):
            for binding, keys in raw.items():
                try:
                    _keymap({binding: keys})
                except _Bad as err:
                    line = find_key_line(text, binding, table="keymap")
                    raise ConfigError(f"{path} line {line}: keymap {err}") from None
        values[key] = _checked(key, raw, f"{path} line {line}", base=path.parent)
    return values


def _checked(key: str, raw: Any, where: str, *, base: Path) -> Any:
    try:
        if key == "cadence_file":
            return _cadence_path(raw, base)
        return _PARSERS[key](raw)
    except _Bad as err:
        raise ConfigError(f"{where}: {key} {err}") from None


def _cadence_path(value: Any, base: Path) -> Path | None:
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str):
        raise _Bad(f"must be the path of a cadence TOML file, got {_kind(value)}")
    if not value.strip():
        return None  # empty = the packaged default cadence
    candidate = Path(value.strip()).expanduser()
    if not candidate.is_absolute():
        candidate = base / candidate
    if not candidate.is_file():
        raise _Bad(f"points to {str(candidate)!r}, which is not a file")
    return candidate


def _build(values: dict[str, Any], path: Path) -> Settings:
    defaults = Settings()
    start = values.pop("window_start", defaults.window.start)
    end = values.pop("window_end", defaults.window.end)
    if not start < end:
        raise ConfigError(
            f"{path}: window_start ({start:%H:%M}) must be earlier than window_end ({end:%H:%M})"
        )
    return replace(defaults, window=CallingWindow(start=start, end=end), **values)


def find_key_line(text: str, key: str, *, table: str | None = None) -> int:
    """The 1-based line where `key` is set (in `[table]` when given), or 1 if not found.

    Handles bare, quoted and dotted keys and `[key]` table headers; good enough for
    pointing a rep at the right line, not a TOML parser.
    """
    escaped = re.escape(key)
    name = rf"(?:{escaped}|\"{escaped}\"|'{escaped}')"
    assign = re.compile(rf"^\s*{name}\s*(?:=|\.)")
    header = re.compile(rf"^\s*\[\[?\s*{name}\s*(?:\]|\.)")
    dotted = re.compile(rf"^\s*{re.escape(table)}\s*\.\s*{name}\s*=") if table else None
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        table_header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]", stripped)
        if table_header:
            current = table_header.group(1).strip("\"'")
            if table is None and header.match(stripped):
                return number
            continue
        if table is None and current is None and assign.match(line):
            return number
        if table is not None and (
            (current == table and assign.match(line)) or (dotted and dotted.match(line))
        ):
            return number
    return 1


def save_settings_values(path: Path, **values: Any) -> None:
    """Set top-level keys in the config file, keeping every other key (and its comments).

    Values are validated first. The file is replaced atomically with mode 0600. A file
    that does not parse is left alone (ConfigError) rather than overwritten.
    """
    for key, value in values.items():
        if key not in _PARSERS or key in ("keymap", "import_aliases", "intake"):
            raise ConfigError(f"cannot save unknown setting {key!r}")
        _checked(key, value, f"value for {key}", base=path.parent)
    plain = {
        key: (str(value) if isinstance(value, Path) else value) for key, value in values.items()
    }
    plain = {
        key: (f"{value:%H:%M}" if isinstance(value, time) else value)
        for key, value in plain.items()
    }
    text = _read_text(path) or ""
    try:
        current = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        _from_file(path, text)  # raises a ConfigError with the line
        raise
    import tomlkit  # only when saving: it costs tens of ms to import at every start

    wanted = {**current, **plain}
    new_text = _edited(text, plain)
    if new_text is None or tomllib.loads(new_text) != wanted:
        # tomlkit could not keep this layout: write the settings afresh (comments lost).
        new_text = tomlkit.dumps(wanted)
    ensure_private_dir(path.parent)
    write_private_file(path, new_text)


def _edited(text: str, values: Mapping[str, Any]) -> str | None:
    """`text` with top-level `values` set by tomlkit, which keeps every comment, blank line
    and the order of keys (a new key goes before the first table); None if it cannot."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
        for key, value in values.items():
            document[key] = value
        edited = tomlkit.dumps(document)
        tomllib.loads(edited)
    except (TOMLKitError, tomllib.TOMLDecodeError):
        return None
    return edited
