"""Pure parsing for the intake services: a webhook body (JSON or form pairs) or the labelled
lines of an email, mapped to the fields of `add_lead` with the header aliases `import`
accepts (`leadtui.io.csv_import.header_field`, one alias list for all three ways in).

A problem raises `FieldError`, whose message names the field ("phone must be text").
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Mapping
from typing import Any

from leadtui.io.csv_import import header_field, squash_label

MAX_KEYS = 100  # a form with more keys than this is not a lead form


class FieldError(ValueError):
    """The body cannot give a lead; the message names the field."""


def map_pairs(
    pairs: Iterable[tuple[str, str]], extra: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, str]:
    """(key, value) pairs -> our fields (first non-empty value wins; unknown keys are
    ignored, as a web form has buttons and honeypots). `extra` adds labels per field."""
    own = {squash_label(label): name for name, labels in (extra or {}).items() for label in labels}
    fields: dict[str, str] = {}
    for count, (key, value) in enumerate(pairs):
        if count >= MAX_KEYS:
            raise FieldError(f"the body has more than {MAX_KEYS} fields")
        name = own.get(squash_label(key)) or header_field(key)
        if name is None or not value.strip() or fields.get(name):
            continue
        fields[name] = value.strip()
    if not fields.get("name"):
        parts = (fields.get("first_name", ""), fields.get("last_name", ""))
        joined = " ".join(part for part in parts if part)
        if joined:
            fields["name"] = joined
    fields.pop("first_name", None)
    fields.pop("last_name", None)
    return fields


def json_pairs(body: bytes) -> list[tuple[str, str]]:
    """A JSON object's members as text pairs; numbers become text, null is no value.
    FieldError for malformed JSON, a non-object, or a member that is not text."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise FieldError(f"the body is not UTF-8 (byte {err.start}): send JSON in UTF-8") from None
    except json.JSONDecodeError as err:
        raise FieldError(f"malformed JSON at line {err.lineno} column {err.colno}") from None
    except RecursionError:
        raise FieldError("malformed JSON: nested too deep") from None
    if not isinstance(data, dict):
        raise FieldError('the body must be a JSON object such as {"name": ..., "phone": ...}')
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        pairs.append((key, _text(key, value)))
    return pairs


def _text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    shown = "".join(ch for ch in key[:40] if ch.isprintable())
    raise FieldError(f"{header_field(key) or shown} must be text")


def form_pairs(body: bytes, charset: str | None) -> list[tuple[str, str]]:
    """application/x-www-form-urlencoded pairs (UTF-8 unless the type names a charset)."""
    from urllib.parse import parse_qsl

    encoding = (charset or "utf-8").strip().strip('"').lower()
    try:
        codecs.lookup(encoding)
        text = body.decode("ascii")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding=encoding,
            errors="strict",
            max_num_fields=MAX_KEYS,
        )
    except LookupError:
        raise FieldError(f"unknown charset {encoding[:30]!r}") from None
    except UnicodeDecodeError:
        raise FieldError(f"the form is not valid {encoding[:30]} (wrong charset?)") from None
    except ValueError:
        raise FieldError(f"the body has more than {MAX_KEYS} fields") from None
    return pairs
