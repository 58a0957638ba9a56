"""Themes from TOML files: one `textual.theme.Theme` per file, plus our own `[variables]`.

A theme file holds Textual's `Theme` fields (`name`, `primary`, `background`, `dark`, ...)
and a `[variables]` table for leadtui's own colours (`lead-aging`, `lead-hot`, ...) and any
Textual variable (`block-cursor-background`, ...). The packaged themes live in
`leadtui/themes` (wheel) or the repository's `themes/` (dev install); a user's own go in the
config folder's `themes/`. A file that cannot be read is skipped and reported, never fatal.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.css.stylesheet import Stylesheet, StylesheetParseError
from textual.theme import Theme

import leadtui

DEFAULT_THEME = "leadtui-dark"
CONTRAST_THEME = "leadtui-contrast"

#: Defaults for leadtui's own theme variables; a theme file may override any of them.
THEME_VARIABLE_DEFAULTS: dict[str, str] = {
    "lead-aging": "#f0524f",  # past the speed-to-lead threshold, never called
    "lead-hot": "#f5b642",  # brand new, inside the threshold: call now
    "lead-due": "#58b368",  # a callback or appointment that is due
    "lead-taken": "#8a8a8a",  # another rep has it open
    "lead-unsaved": "#f0524f",  # an outcome waiting to be written
}

_COLOR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent",
                 "foreground", "background", "surface", "panel", "boost")  # fmt: skip
_THEME_FIELDS = {f.name for f in fields(Theme)}


@dataclass(frozen=True, slots=True)
class ThemeProblem:
    """A theme file that could not be used, and why (one line, names the file)."""

    path: Path
    message: str
    name: str | None = None  # the theme's name, when the file says it

    def __str__(self) -> str:
        return f"theme {self.path}: {self.message} (skipped)"


def packaged_theme_dirs() -> list[Path]:
    """The folders holding the themes that ship with leadtui (wheel and dev install)."""
    package = Path(leadtui.__file__).resolve().parent
    candidates = [package / "themes", package.parent / "themes"]
    return [path for path in candidates if path.is_dir()]


def load_theme_file(path: Path) -> Theme:
    """Read one theme file; raises ValueError with a one-line reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError("not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from exc
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("needs a name")
    if not isinstance(data.get("primary"), str):
        raise ValueError("needs a primary colour")
    for key in _COLOR_FIELDS:
        if key in data:
            _check_color(key, data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError("[variables] must be a table")
    for key in ("dark", "ansi"):
        if key in data and not isinstance(data[key], bool):
            raise ValueError(f"{key} must be true or false")
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            _check_fraction(key, data[key])
    for key, value in variables.items():
        _check_variable(str(key), value)
    theme = Theme(**{**data, "name": name.strip(), "variables": dict(variables)})
    try:  # what Textual computes from the theme when it is chosen
        theme.to_color_system().generate()
    except Exception as exc:  # noqa: BLE001 - any failure here would end the app later
        raise ValueError(f"Textual cannot use it ({type(exc).__name__}: {exc})") from exc
    return theme


def _check_color(key: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ValueError(f"{key}: {value!r} is not a colour") from exc


def _check_fraction(key: str, value: object) -> None:
    """A finite number from 0 to 1 (Textual mixes colours with it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise ValueError(f"{key}: {value!r} must be a number from 0 to 1")


@cache
def _variable_kinds() -> dict[str, str]:
    """Every variable Textual's themes define, and how its stylesheets use it."""
    generated = Theme(name="-", primary="#336699").to_color_system().generate()
    kinds = {key: ("text-style" if key.endswith("-style") else "color") for key in generated}
    kinds.update({key: "color" for key in THEME_VARIABLE_DEFAULTS})
    return kinds


def _check_variable(key: str, value: object) -> None:
    """A `[variables]` value, parsed as Textual's stylesheet will parse it: a colour for
    colour variables (ours included), a text style for `*-style` ones."""
    if not isinstance(value, str):
        raise ValueError(f"variable {key!r} must be a string")
    kind = _variable_kinds().get(key)
    if kind is None:
        return  # not used by any stylesheet: harmless
    if kind == "color" and key in THEME_VARIABLE_DEFAULTS:
        _check_color(f"variable {key!r}", value)
    sheet = Stylesheet(variables={key: value})
    sheet.add_source(f"Screen {{ {kind}: ${key}; }}", read_from=("theme", key))
    try:
        sheet.parse()
    except StylesheetParseError:
        what = kind.replace("-", " ")
        raise ValueError(f"variable {key!r}: {value[:40]!r} is not a {what}") from None


def load_themes(folders: Iterable[Path]) -> tuple[list[Theme], list[ThemeProblem]]:
    """Every `*.toml` theme in `folders` (later folders override earlier ones by name)."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for folder in folders:
        try:
            files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        except OSError as exc:
            problems.append(ThemeProblem(folder, f"cannot list the folder ({exc.strerror})"))
            continue
        for path in files:
            try:
                theme = load_theme_file(path)
            except OSError as exc:
                problems.append(ThemeProblem(path, f"cannot read ({exc.strerror})"))
            except (ValueError, TypeError) as exc:
                problems.append(ThemeProblem(path, str(exc), _name_in(path)))
            else:
                themes[theme.name] = theme
    return list(themes.values()), problems


def _name_in(path: Path) -> str | None:
    """The `name` a theme file gives, if it can be read at all (to skip it by name)."""
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError):
        return None
    return name.strip() if isinstance(name, str) else None
