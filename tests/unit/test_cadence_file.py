"""Loading the cadence from TOML: the packaged default, user files and clear errors."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from leadtui.domain.cadence import CadenceError, load_cadence
from leadtui.domain.cadence_file import Anchor, Span, parse_cadence
from leadtui.domain.model import Channel, Message

MINIMAL = """
[[step]]
stage = "day-0"
anchor = "received"
"""


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "cadence.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str | bytes) -> str:
    path = write(tmp_path, text)
    with pytest.raises(CadenceError) as info:
        load_cadence(path)
    message = str(info.value)
    assert str(path) in message  # always names the file
    return message


def test_packaged_default_loads_and_is_cached() -> None:
    cadence = load_cadence()
    assert cadence is load_cadence(None)
    assert cadence.name == "article-001"
    assert cadence.source.endswith("cadence.toml")
    assert cadence.calls == 9
    assert cadence.follow_up.after == Span(days=1)
    assert cadence.follow_up.max_attempts == 6


def test_a_user_file_overrides_the_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MINIMAL
        + """
[[step]]
stage = "days-1-7"
anchor = "day"
day = 2
at = 09:15:00
min_gap = "1d2h"
message = "final"

[[step]]
stage = "nudge"
channel = "text"
anchor = "previous"
after = "1h30m"
late_after = "2h"

[follow_up]
retry = "2d"
max_attempts = 3
""",
    )
    cadence = load_cadence(path)
    assert cadence.source == str(path)
    assert len(cadence.steps) == 3
    day_step = cadence.steps[1]
    assert (day_step.anchor, day_step.day, day_step.at) == (Anchor.DAY, 2, time(9, 15))
    assert day_step.min_gap == timedelta(hours=26)
    assert day_step.message is Message.FINAL
    text_step = cadence.steps[2]
    assert text_step.channel is Channel.TEXT
    assert text_step.after == Span(0, timedelta(minutes=90))
    assert text_step.late_after == Span(0, timedelta(hours=2))
    assert cadence.follow_up.retry == Span(days=2)
    assert cadence.follow_up.after == Span(days=1)  # default kept
    assert cadence.follow_up.max_attempts == 3
    assert cadence.calls == 2


def test_bad_toml_names_the_file_and_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[[step]]\nstage = "day-0\n')
    assert "not valid TOML" in message
    assert "line 2" in message


def test_not_utf8(tmp_path: Path) -> None:
    assert "not UTF-8" in error_of(tmp_path, b'name = "caf\xe9"\n')


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(CadenceError, match="cannot read") as info:
        load_cadence(path)
    assert str(path) in str(info.value)


def test_unknown_key_in_a_step_names_step_line_and_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, MINIMAL + 'colour = "red"\n')
    assert "line 5" in message
    assert "step 1" in message
    assert "unknown key 'colour'" in message


def test_unknown_top_level_and_follow_up_keys(tmp_path: Path) -> None:
    assert "unknown key 'steps'" in error_of(tmp_path, "steps = 1\n" + MINIMAL)
    message = error_of(tmp_path, MINIMAL + '[follow_up]\nafter = "1d"\nwait = "1d"\n')
    assert "unknown key 'wait'" in message
    assert "line 7" in message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('message = "loud"', "message = 'loud': expected one of"),
        ('channel = "fax"', "channel = 'fax'"),
        ("same_day_only = 1", "expected true or false"),
        ('min_gap = "soon"', "expected a duration"),
        ("min_gap = 30", "expected a duration"),
        ('min_gap = ""', "expected a duration"),
        ("day = 2", 'only applies to anchor = "day"'),
    ],
)
def test_bad_values_in_a_step(tmp_path: Path, extra: str, expected: str) -> None:
    message = error_of(tmp_path, MINIMAL + extra + "\n")
    assert expected in message
    assert "step 1" in message
    assert "line 5" in message


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ('anchor = "later"', "anchor = 'later'"),
        ('anchor = "day"\nday = 1', "needs at"),
        ('anchor = "day"\nday = -1\nat = "10:00"', "day = -1"),
        ('anchor = "day"\nday = true\nat = "10:00"', "day = True"),
        ('anchor = "day"\nday = 1\nat = "25:00"', "at = '25:00'"),
        ('anchor = "day"\nday = 1\nat = "10:00"\nafter = "1h"', "does not apply"),
        ('anchor = "previous"', "needs after"),
        ('anchor = "previous"\nafter = "1h"\nlate_after = "30m"', "late_after must not"),
        ('stage = "Day Zero!"\nanchor = "received"', "stage = 'Day Zero!'"),
    ],
)
def test_bad_second_steps(tmp_path: Path, second: str, expected: str) -> None:
    stage = "" if second.startswith("stage") else 'stage = "x"\n'
    message = error_of(tmp_path, MINIMAL + "\n[[step]]\n" + stage + second + "\n")
    assert expected in message
    assert "step 2" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name = "x"\n', "no steps"),
        ('step = "call"\n', "no steps"),
        ("version = 2\n" + MINIMAL, "only version 1"),
        ('[[step]]\nstage = "x"\n', "missing key 'anchor'"),
        ('[[step]]\nanchor = "received"\n', "missing key 'stage'"),
        (MINIMAL.replace('"received"', '"previous"\nafter = "1h"'), 'needs anchor = "received"'),
        (MINIMAL.replace("day-0", 'x"\nchannel = "email'), "no call step"),
        (MINIMAL + "same_day_only = true\n", "same_day_only needs an earlier call"),
        (MINIMAL + "[follow_up]\nmax_attempts = 0\n", "max_attempts = 0"),
        (MINIMAL + '[follow_up]\nretry = "0m"\n', "retry must be longer than zero"),
        (
            '[[step]]\nstage = "e"\nchannel = "email"\nanchor = "previous"\nafter = "1h"\n'
            + MINIMAL,
            "needs an earlier call step",
        ),
    ],
)
def test_bad_cadences(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


def test_parse_cadence_accepts_text_and_names_its_source() -> None:
    with pytest.raises(CadenceError, match="^mine.toml: "):
        parse_cadence("", "mine.toml")
    assert parse_cadence(MINIMAL, "mine.toml").source == "mine.toml"
