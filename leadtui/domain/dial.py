"""Dialling: the rep's softphone command filled in for one lead, and the pace of dials.

`parse_dial_command` reads the `dial_command` setting; `dial_argv` fills its placeholders
(`{phone}`: E.164, `{lead_id}`) in each argument on its own: the result is an argument
list for a program run without a shell, so a number or id can never become shell syntax.
`dial_gaps` and `median_gap` give the time between dials (from `Touch.dialed_at`) for the
blitz history.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from leadtui.domain.model import Lead, LeadError, LeadStatus

PLACEHOLDERS = ("{phone}", "{lead_id}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def parse_dial_command(value: Any) -> tuple[str, ...]:
    """The `dial_command` setting: a list of strings, or one string split as a shell would
    (quotes respected; nothing else of a shell happens: the command runs without one).
    ValueError says what is wrong, for the config's message."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as err:
            raise ValueError(f"cannot be split into arguments ({err})") from None
    if not isinstance(value, list) or not all(isinstance(arg, str) for arg in value):
        kind = "a number" if isinstance(value, int | float) else type(value).__name__
        raise ValueError('must be a list like ["linphonecsh", "dial", "{phone}"] or one '
                         f"string, got {kind}")  # fmt: skip
    if any(_CONTROL.search(arg) for arg in value):
        raise ValueError("must not contain control characters")
    if value and not value[0].strip():
        raise ValueError("must start with the program to run")
    for arg in value:
        for name in _PLACEHOLDER.findall(arg):
            if "{" + name + "}" not in PLACEHOLDERS:
                raise ValueError(
                    f"has an unknown placeholder {{{name}}} (known: {{phone}}, {{lead_id}})"
                )
    return tuple(value)


def check_dial(lead: Lead) -> None:
    """Refuse (LeadError) to dial a lead on the do-not-call list."""
    if lead.status is LeadStatus.DNC:
        raise LeadError(f"{lead.phone} is on the do-not-call list: it is never dialled")


def dial_argv(template: Sequence[str], lead: Lead) -> list[str]:
    """The command to run for `lead`; LeadError when the lead is DNC or there is no command."""
    check_dial(lead)
    if not template:
        raise LeadError("no dial command is set (dial_command in the config)")
    values = {"{phone}": lead.phone, "{lead_id}": lead.id}
    argv = []
    for arg in template:
        for placeholder, value in values.items():
            arg = arg.replace(placeholder, value)
        argv.append(arg)
    return argv


def dial_gaps(dialed: Iterable[datetime]) -> list[float]:
    """Seconds between consecutive dials, in time order."""
    times = sorted(dialed)
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


def median_gap(dialed: Iterable[datetime]) -> float | None:
    """The typical time between dials (median seconds), None with fewer than two dials."""
    gaps = sorted(dial_gaps(dialed))
    if not gaps:
        return None
    middle = len(gaps) // 2
    return gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
