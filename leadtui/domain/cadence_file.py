"""The cadence as data: its types and the TOML loader with clear errors.

Schema (see the packaged `leadtui/data/cadence.toml` for the annotated default):

    version = 1                 # optional, must be 1
    name = "..."                # optional
    [follow_up]                 # optional; defaults below
    after = "1d"                # talked without a time -> follow-up call this long after
    retry = "1d"                # unanswered call after contact -> again this long after
    max_attempts = 6            # unanswered in a row after contact -> exhausted
    grace = "30m"               # a callback/appointment time ignores the calling window
                                # until this long after it; then it waits for the window
    [[step]]                    # one or more, in order
    stage = "day-0"             # required label
    channel = "call"            # call | email | text
    anchor = "previous"         # received | previous | day
    after = "30m"               # received/previous: offset from the anchor
    day = 1                     # day: day number (day 0 = local date of call 1) ...
    at = "16:30"                # ... and local clock time
    min_gap = "4h"              # never sooner than this after the previous call
    late_after = "60m"          # late this long after the anchor (shifts with the due time)
    same_day_only = false       # skip unless on day 0 inside the calling window
    message = "none"            # none | first | follow-up | final

Every error is a `CadenceError` whose message names the file (and the line when found).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from leadtui.domain.model import Channel, Message
from leadtui.domain.window import local_instant, zone

__all__ = ["Anchor", "Cadence", "CadenceError", "FollowUpRules", "Span", "Step", "load_cadence"]

PACKAGED = "leadtui/data/cadence.toml"


class CadenceError(ValueError):
    """The cadence file is unusable; the message names the file and the problem."""


class Anchor(StrEnum):
    """What a step's due time is measured from."""

    RECEIVED = "received"  # the lead's received_at
    PREVIOUS = "previous"  # the previous call
    DAY = "day"  # a local day (day 0 = date of call 1) and clock time


@dataclass(frozen=True, slots=True)
class Span:
    """A duration: whole days on the lead's local calendar plus elapsed time."""

    days: int = 0
    elapsed: timedelta = timedelta(0)

    def add(self, at: datetime, tz: str) -> datetime:
        """`at` moved by the span; days keep the local clock time across DST changes."""
        if self.days:
            local = at.astimezone(zone(tz))
            at = local_instant(local.date() + timedelta(days=self.days), local.time(), tz)
        return at + self.elapsed if self.elapsed else at

    @property
    def seconds(self) -> float:
        """Approximate length in seconds (a day counted as 24 hours), for comparisons."""
        return self.days * 86400 + self.elapsed.total_seconds()

    def __bool__(self) -> bool:
        return bool(self.days or self.elapsed)


@dataclass(frozen=True, slots=True)
class Step:
    """One touch of the plan for a lead not yet reached."""

    stage: str
    anchor: Anchor
    channel: Channel = Channel.CALL
    message: Message = Message.NONE
    after: Span = Span()
    day: int = 0
    at: time | None = None
    min_gap: timedelta = timedelta(0)
    late_after: Span | None = None
    same_day_only: bool = False
    day_offset: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "day_offset", timedelta(days=self.day))


@dataclass(frozen=True, slots=True)
class FollowUpRules:
    """What happens after the lead has been reached."""

    after: Span = Span(days=1)
    retry: Span = Span(days=1)
    max_attempts: int = 6
    grace: Span = Span(elapsed=timedelta(minutes=30))


@dataclass(frozen=True, slots=True)
class Cadence:
    """A whole plan: ordered steps plus the follow-up rules."""

    steps: tuple[Step, ...]
    follow_up: FollowUpRules = FollowUpRules()
    name: str = ""
    source: str = ""  # the file it came from

    @property
    def calls(self) -> int:
        """Number of call steps."""
        return sum(1 for s in self.steps if s.channel is Channel.CALL)


# ---------------------------------------------------------------------------- loading

_TOP_KEYS = ("version", "name", "follow_up", "step")
_FOLLOW_KEYS = ("after", "retry", "max_attempts", "grace")
_STEP_KEYS = (
    "stage",
    "channel",
    "anchor",
    "after",
    "day",
    "at",
    "min_gap",
    "late_after",
    "same_day_only",
    "message",
)
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_STAGE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_HEADER = re.compile(r"\s*\[")


def load_cadence(path: Path | None = None) -> Cadence:
    """Load a cadence file; None -> the packaged default. Raises CadenceError."""
    if path is None:
        return _packaged()
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CadenceError(f"{path}: cannot read the cadence file: {exc.strerror}") from exc
    return parse_cadence(raw, str(path))


@cache
def _packaged() -> Cadence:
    raw = resources.files("leadtui").joinpath("data", "cadence.toml").read_bytes()
    return parse_cadence(raw, PACKAGED)


def parse_cadence(raw: bytes | str, source: str) -> Cadence:
    """Parse and validate cadence TOML; `source` names it in error messages."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise CadenceError(f"{source}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CadenceError(f"{source}: not valid TOML: {exc}") from exc
    return _Parser(text, source).cadence(data)


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def fail(
        self, problem: str, table: str | None = None, index: int = 0, key: str = ""
    ) -> NoReturn:
        line = self.line_of(table, index, key)
        where = f"{self.source} line {line}" if line else self.source
        prefix = f"step {index + 1}: " if table == "step" else ""
        raise CadenceError(f"{where}: {prefix}{problem}")

    def line_of(self, table: str | None, index: int, key: str) -> int | None:
        """Best effort: the line of `key` in the `index`-th `table` (1-based), or None."""
        start, seen = 0, -1
        if table is not None:
            header = re.compile(r"\s*\[\[?\s*" + re.escape(table) + r"\s*\]")
            for n, line in enumerate(self.lines):
                if header.match(line):
                    seen += 1
                    if seen == index:
                        start = n
                        break
            else:
                return None
            if not key:
                return start + 1
            start += 1
        if not key:
            return None
        pattern = re.compile(r"\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
        for n in range(start, len(self.lines)):
            line = self.lines[n]
            if _HEADER.match(line):
                break
            if pattern.match(line):
                return n + 1
        return None

    def keys(
        self, data: dict[str, Any], allowed: tuple[str, ...], table: str | None, index: int = 0
    ) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"unknown key {key!r} (known: {', '.join(allowed)})", table, index, key)

    def span(self, value: Any, table: str | None, index: int, key: str) -> Span:
        match = _DURATION.fullmatch(value) if isinstance(value, str) else None
        if not match or not value:
            self.fail(
                f'{key} = {value!r}: expected a duration such as "30m", "3h", "1d"',
                table,
                index,
                key,
            )
        d, h, m, s = (int(g or 0) for g in match.groups())
        return Span(d, timedelta(hours=h, minutes=m, seconds=s))

    def choice(self, value: Any, kind: Any, table: str | None, index: int, key: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            names = ", ".join(f'"{v.value}"' for v in kind)
            self.fail(f"{key} = {value!r}: expected one of {names}", table, index, key)

    def cadence(self, data: dict[str, Any]) -> Cadence:
        self.keys(data, _TOP_KEYS, None)
        version = data.get("version", 1)
        if version != 1 or isinstance(version, bool):
            self.fail(f"version = {version!r}: only version 1 is understood", None, 0, "version")
        name = data.get("name", "")
        if not isinstance(name, str):
            self.fail("name must be a string", None, 0, "name")
        follow = data.get("follow_up", {})
        if not isinstance(follow, dict):
            self.fail("follow_up must be a table: [follow_up]", None, 0, "follow_up")
        rules = self.follow_up(follow)
        raw_steps = data.get("step")
        if not isinstance(raw_steps, list) or not raw_steps:
            self.fail("no steps: add at least one [[step]] table")
        steps = tuple(self.step(item, i) for i, item in enumerate(raw_steps))
        self.check_order(steps)
        return Cadence(steps=steps, follow_up=rules, name=name, source=self.source)

    def follow_up(self, data: dict[str, Any]) -> FollowUpRules:
        t = "follow_up"
        self.keys(data, _FOLLOW_KEYS, t)
        default = FollowUpRules()
        after = self.span(data["after"], t, 0, "after") if "after" in data else default.after
        retry = self.span(data["retry"], t, 0, "retry") if "retry" in data else default.retry
        for key, span in (("after", after), ("retry", retry)):
            if not span:
                self.fail(f"{key} must be longer than zero", t, 0, key)
        attempts = data.get("max_attempts", default.max_attempts)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 100:
            self.fail(
                f"max_attempts = {attempts!r}: expected a whole number from 1 to 100",
                t,
                0,
                "max_attempts",
            )
        grace = self.span(data["grace"], t, 0, "grace") if "grace" in data else default.grace
        return FollowUpRules(after=after, retry=retry, max_attempts=attempts, grace=grace)

    def step(self, data: Any, i: int) -> Step:
        t = "step"
        if not isinstance(data, dict):
            self.fail("each step must be a table: [[step]]", t, i)
        self.keys(data, _STEP_KEYS, t, i)
        for required in ("stage", "anchor"):
            if required not in data:
                self.fail(f"missing key {required!r}", t, i)
        stage = data["stage"]
        if not isinstance(stage, str) or not _STAGE.fullmatch(stage):
            self.fail(
                f'stage = {stage!r}: expected a short lowercase label such as "day-0"',
                t,
                i,
                "stage",
            )
        anchor = self.choice(data["anchor"], Anchor, t, i, "anchor")
        channel = self.choice(data.get("channel", "call"), Channel, t, i, "channel")
        message = self.choice(data.get("message", "none"), Message, t, i, "message")
        fields: dict[str, Any] = {}
        if anchor is Anchor.DAY:
            for key in ("after",):
                if key in data:
                    self.fail(f'{key} does not apply to anchor = "day" (use day and at)', t, i, key)
            for key in ("day", "at"):
                if key not in data:
                    self.fail(f'anchor = "day" needs {key}', t, i, "anchor")
            day = data["day"]
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 366:
                self.fail(f"day = {day!r}: expected a whole number from 0 to 366", t, i, "day")
            fields["day"], fields["at"] = day, self.clock(data["at"], i)
        else:
            for key in ("day", "at"):
                if key in data:
                    self.fail(f'{key} only applies to anchor = "day"', t, i, key)
            if anchor is Anchor.PREVIOUS and "after" not in data:
                self.fail('anchor = "previous" needs after (e.g. after = "30m")', t, i, "anchor")
            if "after" in data:
                fields["after"] = self.span(data["after"], t, i, "after")
        if "min_gap" in data:
            gap = self.span(data["min_gap"], t, i, "min_gap")
            fields["min_gap"] = timedelta(days=gap.days) + gap.elapsed
        if "late_after" in data:
            late = self.span(data["late_after"], t, i, "late_after")
            if late.seconds < fields.get("after", Span()).seconds:
                self.fail("late_after must not be shorter than after", t, i, "late_after")
            fields["late_after"] = late
        same_day = data.get("same_day_only", False)
        if not isinstance(same_day, bool):
            self.fail(
                f"same_day_only = {same_day!r}: expected true or false", t, i, "same_day_only"
            )
        return Step(
            stage=stage,
            anchor=anchor,
            channel=channel,
            message=message,
            same_day_only=same_day,
            **fields,
        )

    def clock(self, value: Any, i: int) -> time:
        if isinstance(value, time) and value.tzinfo is None:
            return value
        match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
        if not match:
            self.fail(f'at = {value!r}: expected a local time "HH:MM"', "step", i, "at")
        return time(int(match.group(1)), int(match.group(2)))

    def check_order(self, steps: tuple[Step, ...]) -> None:
        calls = [i for i, s in enumerate(steps) if s.channel is Channel.CALL]
        if not calls:
            self.fail("the cadence has no call step (email and text never replace a call)")
        first = calls[0]
        if steps[first].anchor is not Anchor.RECEIVED:
            self.fail('the first call step needs anchor = "received"', "step", first, "anchor")
        for i, s in enumerate(steps[: first + 1]):
            if s.anchor is not Anchor.RECEIVED:
                self.fail(f'anchor = "{s.anchor}" needs an earlier call step', "step", i, "anchor")
            if s.same_day_only:
                self.fail(
                    "same_day_only needs an earlier call step (day 0 is its date)",
                    "step",
                    i,
                    "same_day_only",
                )
