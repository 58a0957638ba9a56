"""Column aliases for CSV import: which header feeds which lead field, and which export
format a header looks like. Data, not code: `leadtui/data/import_aliases.toml`, extended by
the `[import_aliases]` table of the user's config (tried first).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["FIELDS", "Aliases", "load_aliases", "squash"]

# Our fields, in the order the dry run lists them.
FIELDS = (
    "name", "first_name", "last_name", "mobile", "phone", "email", "source", "timezone",
    "received", "notes",
)  # fmt: skip


def squash(header: str) -> str:
    """A header compared ignoring case, spaces and punctuation."""
    return re.sub(r"[\W_]", "", header.replace("\ufeff", "").casefold())


@dataclass(frozen=True)
class Aliases:
    """Squashed header -> (field, rank); export formats as (name, squashed columns)."""

    by_header: Mapping[str, tuple[str, int]]
    formats: tuple[tuple[str, frozenset[str]], ...]

    def field_of(self, header: str) -> tuple[str, int] | None:
        """(field, rank) for a header cell, None when no alias knows it."""
        return self.by_header.get(squash(header))

    def detect(self, header: Sequence[str]) -> str | None:
        """The name of the first export format whose columns are all in `header`."""
        present = {squash(cell) for cell in header}
        for name, columns in self.formats:
            if columns <= present:
                return name
        return None


@cache
def _packaged() -> tuple[dict[str, tuple[str, ...]], tuple[tuple[str, frozenset[str]], ...]]:
    raw = resources.files("leadtui").joinpath("data", "import_aliases.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    fields = {name: tuple(values) for name, values in data["fields"].items()}
    unknown = set(fields) - set(FIELDS)
    if unknown:  # pragma: no cover - a packaging mistake, caught by the unit tests
        raise RuntimeError(f"import_aliases.toml: unknown fields {sorted(unknown)}")
    formats = tuple(
        (entry["name"], frozenset(squash(column) for column in entry["columns"]))
        for entry in data.get("formats", ())
    )
    return fields, formats


def load_aliases(extra: Mapping[str, Sequence[str]] | None = None) -> Aliases:
    """The packaged aliases with the user's `extra` ones (field -> headers) tried first.
    A header claimed by two fields belongs to the first that lists it (user's first)."""
    if not extra:
        return _default()
    return _build(extra)


@cache
def _default() -> Aliases:
    return _build({})


def _build(extra: Mapping[str, Sequence[str]]) -> Aliases:
    fields, formats = _packaged()
    by_header: dict[str, tuple[str, int]] = {}
    for source in extra, fields:
        for name in FIELDS:
            for rank, header in enumerate(source.get(name, ())):
                key = squash(header)
                if key and key not in by_header:
                    offset = 0 if source is not fields else 1000
                    by_header[key] = (name, offset + rank)
    return Aliases(by_header, formats)
