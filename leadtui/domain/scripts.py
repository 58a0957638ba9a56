"""Call scripts: plain-text templates with named placeholders, filled in for a lead.

Scripts are files, one per script, named after it: `live-call.txt` (the Inviting Formula
guide), `vm-none.txt` (what to do on voicemail when no message is due), `vm-first.txt`,
`vm-follow-up.txt`, `vm-final.txt` (the three voicemail messages), `email.txt` and
`text.txt` (for email/text steps). The defaults ship in `leadtui/data/scripts/`; a file of
the same name in the user's scripts folder replaces one (an empty user file is ignored).
Lines starting with "#" are comments.

Placeholders are `{name}`-style: {first_name} {name} {phone} {source} from the lead and
{rep_name} {rep_first_name} {rep_phone} {offer} from the settings. `render` replaces the
placeholders it has a non-empty value for and leaves every other brace exactly as written,
so an unknown or unset placeholder stays visible (the rep sees the gap) and braces in a
script never break it. Values are untrusted (a lead's name comes from a web form): they
are cleaned to one line of plain text and never interpreted (no format specs, no
attribute access, no second round of substitution). The output is plain text for a
widget with markup off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from leadtui.domain.model import Channel, Lead, Message, NextAction
from leadtui.domain.phone import format_phone
from leadtui.domain.text import clean_text

__all__ = [
    "LIVE_CALL",
    "SCRIPT_NAMES",
    "VOICEMAIL",
    "ScriptView",
    "load_scripts",
    "render",
    "script_for",
    "script_problems",
]

LIVE_CALL = "live-call"
VOICEMAIL = {
    Message.NONE: "vm-none",
    Message.FIRST: "vm-first",
    Message.FOLLOW_UP: "vm-follow-up",
    Message.FINAL: "vm-final",
}
WRITTEN = {Channel.EMAIL: "email", Channel.TEXT: "text"}
SCRIPT_NAMES = (LIVE_CALL, *VOICEMAIL.values(), *WRITTEN.values())

MAX_SCRIPT_BYTES = 64 * 1024
MAX_SCRIPT_CHARS = 20_000
MAX_VALUE_CHARS = 200

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_VOICEMAIL_HINT = {
    Message.NONE: "voicemail: hang up, no message",
    Message.FIRST: "voicemail: leave the first message",
    Message.FOLLOW_UP: "voicemail: leave the follow-up message",
    Message.FINAL: "voicemail: leave the final message",
}


@dataclass(frozen=True, slots=True)
class ScriptView:
    """What to say for one lead's next action, filled in, as plain text.

    `voicemail` is what to do if the call reaches voicemail (for message "none" a line
    saying to hang up); None when the action is not a call. `written` is the email or
    text message to send for an email/text step, else None.
    """

    title: str
    live_call: str
    voicemail: str | None
    written: str | None = None


def _parse_script(raw: str) -> str:
    text = raw[: MAX_SCRIPT_CHARS * 2]
    text = clean_text(text, max_length=1 << 30, multiline=True, field="script")
    lines = [line.rstrip() for line in text.split("\n") if not line.lstrip().startswith("#")]
    return "\n".join(lines).strip()[:MAX_SCRIPT_CHARS]


@cache
def _packaged() -> dict[str, str]:
    folder = resources.files("leadtui").joinpath("data", "scripts")
    scripts: dict[str, str] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".txt") and entry.is_file():
            scripts[entry.name[:-4].lower()] = _parse_script(entry.read_text("utf-8"))
    return scripts


def _read_user(user_dir: Path) -> tuple[dict[str, str], list[str]]:
    scripts: dict[str, str] = {}
    problems: list[str] = []
    try:
        entries = sorted(user_dir.iterdir())
    except FileNotFoundError:
        return scripts, problems
    except OSError as exc:
        return scripts, [f"{user_dir}: cannot read the folder ({exc.strerror or exc})"]
    for path in entries:
        if path.suffix.lower() != ".txt" or not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_SCRIPT_BYTES + 1)
        except OSError as exc:
            problems.append(f"{path}: cannot read it ({exc.strerror or exc}); default kept")
            continue
        if len(data) > MAX_SCRIPT_BYTES:
            problems.append(f"{path}: longer than {MAX_SCRIPT_BYTES} bytes; only the start used")
            data = data[:MAX_SCRIPT_BYTES]
        try:
            raw = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(f"{path}: not UTF-8; unreadable characters shown as \ufffd")
            raw = data.decode("utf-8", errors="replace")
        text = _parse_script(raw)
        if text:
            scripts[path.stem.lower()] = text
    return scripts, problems


def load_scripts(user_dir: Path | None = None) -> dict[str, str]:
    """The packaged scripts by name, each replaced by the user's file of the same name.

    Never raises for a bad user file: it is skipped (see `script_problems`).
    """
    scripts = dict(_packaged())
    if user_dir is not None:
        scripts.update(_read_user(Path(user_dir))[0])
    return scripts


def script_problems(user_dir: Path) -> list[str]:
    """One line per user script file that could not be used as it is."""
    return _read_user(Path(user_dir))[1]


def _value(value: object) -> str:
    if value is None:
        return ""
    text = clean_text(str(value)[: MAX_VALUE_CHARS * 8], max_length=1 << 30)
    return text[:MAX_VALUE_CHARS]


def render(template: str, values: Mapping[str, str]) -> str:
    """`template` with each `{placeholder}` that has a non-empty value replaced by it.

    Unknown or empty placeholders and any other braces are left exactly as written. One
    pass: a value that itself contains "{rep_name}" is not substituted again.
    """
    safe = {key: _value(val) for key, val in values.items()}

    def substitute(match: re.Match[str]) -> str:
        return safe.get(match.group(1)) or match.group(0)

    return _PLACEHOLDER.sub(substitute, template)


def lead_values(lead: Lead) -> dict[str, str]:
    """The placeholders that come from the lead itself."""
    return {
        "first_name": lead.first_name or lead.name,
        "name": lead.name,
        "phone": format_phone(lead.phone),
        "source": lead.source,
    }


def _title(action: NextAction | None, name: str) -> str:
    if action is None:
        return f"{name}: no next action"
    if action.channel is Channel.EMAIL:
        return f"Email {name}"
    if action.channel is Channel.TEXT:
        return f"Text {name}"
    verb = {
        "callback": "Callback:",
        "appointment": "Appointment:",
        "follow-up": "Follow-up call:",
    }.get(action.kind, "Call")
    return f"{verb} {name} ({_VOICEMAIL_HINT.get(action.message, 'voicemail')})"


def script_for(
    action: NextAction | None,
    lead: Lead,
    values: Mapping[str, str],
    scripts: dict[str, str],
) -> ScriptView:
    """The filled-in script for a lead's next action (lead values, overridden by `values`)."""
    merged = {**lead_values(lead), **values}

    def text(name: str) -> str:
        template = scripts.get(name)
        if template is None:
            template = _packaged().get(name, f"(no {name!r} script)")
        return render(template, merged)

    title = _title(action, _value(lead.name) or "(no name)")
    voicemail: str | None = None
    written: str | None = None
    if action is not None and action.channel is Channel.CALL:
        voicemail = text(VOICEMAIL.get(action.message, VOICEMAIL[Message.NONE]))
    elif action is not None:
        written = text(WRITTEN[action.channel])
    return ScriptView(title=title, live_call=text(LIVE_CALL), voicemail=voicemail, written=written)
