"""Hostile input through the whole command line never reaches the terminal (issue 6).

Property-based (hypothesis): any Unicode, C0/C1 controls, ANSI CSI and OSC sequences (7-
and 8-bit), bidi overrides, NUL bytes, lone surrogates, megabyte-long fields, wrong
encodings, missing and duplicated headers, through `add`, `import`, `log --note`, command
arguments and the config file. Each run must end with exit status 0 or 1 (never a
traceback), and nothing that `queue`, `show`, `log`, `plan`, `export` or an error message
prints may contain a control character other than newline and tab (CSV's CRLF aside) or a
bidi control. `main(argv)` runs in-process with byte-level stdout/stderr like a real
process (strict UTF-8 stdout, so a lone surrogate reaching it would crash the run).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safety_support import NOW, unsafe_chars

from leadtui.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

# LEADTUI_FUZZ_SCALE=10 runs ten times as many examples (a longer fuzzing session).
SCALE = float(os.environ.get("LEADTUI_FUZZ_SCALE", "1"))
EXAMPLES = {
    name: max(1, int(count * SCALE))
    for name, count in {"add": 120, "import": 100, "config": 150, "args": 200}.items()
}
FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)

NASTY = [
    "\x1b[31mred\x1b[0m",
    "\x1b]0;pwned\x07",
    "\x1b]52;c;ZXZpbA==\x1b\\",
    "\x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
    "\x9b2J\x9d0;t\x9c",
    "\x1bP+q\x1b\\",
    "\x1bc",
    "\u202eevil\u202c",
    "\u2066iso\u2069",
    "a\x00b",
    "\ud800lone",
    "[bold red]markup[/]",
    "$(rm -rf /)`id`",
    '=HYPERLINK("http://x")',
    "\r\n\x0b\x0c\x85\u2028",
    "\x7f\x08\x07",
    "Zoë 山田 😀 \u200d",
]
HUGE = ["x" * 1_000_001, "\x1b[" * 300_000]

hostile = (
    st.text(max_size=40)
    | st.text(alphabet=st.characters(max_codepoint=0x2070), max_size=40)
    | st.sampled_from(NASTY)
    | st.lists(st.sampled_from(NASTY) | st.text(max_size=5), max_size=6).map("".join)
)
hostile_or_huge = hostile | st.sampled_from(HUGE)


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(*argv: str, stdin: bytes = b"") -> Run:
    """`main(["--now", NOW, *argv])` with a real process's stdio: bytes, strict UTF-8 out."""
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    sys.stderr = io.TextIOWrapper(
        err, encoding="utf-8", errors="backslashreplace", write_through=True
    )
    try:
        code = main(["--now", NOW, *argv])
        sys.stdout.flush()
        sys.stderr.flush()
        printed = out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    result = Run(code, *printed)
    assert code in (0, 1), (argv[:3], code, result.err[-2000:])
    assert "Traceback" not in result.err, result.err
    assert not unsafe_chars(result.err), (argv[:3], result.err)
    if code == 1:
        lines = result.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("leadtui: "), result.err
    return result


def clean(result: Run, *, crlf: bool = False) -> Run:
    found = unsafe_chars(result.out, crlf=crlf)
    assert not found, (found, result.out[:2000])
    return result


def look_at_everything(home: str, lead_ids: list[str]) -> None:
    """Every read-only view of the data, text and JSON, must be plain visible text."""
    for args in (("queue",), ("queue", "--all"), ("queue", "--all", "--json")):
        assert clean(run("--home", home, *args)).code == 0
    csv_out = clean(run("--home", home, "export"), crlf=True)
    assert csv_out.code == 0
    jsonl = run("--home", home, "export", "--format", "jsonl")
    assert jsonl.code == 0 and jsonl.out.isascii()
    for line in jsonl.out.splitlines():
        json.loads(line)
    for lead_id in lead_ids:
        for args in (("show", lead_id), ("show", lead_id, "--json"), ("plan", lead_id)):
            assert clean(run("--home", home, *args)).code == 0


@settings(FUZZ, max_examples=EXAMPLES["add"])
@given(
    name=hostile_or_huge,
    email=hostile,
    source=hostile_or_huge,
    notes=hostile_or_huge,
    timezone=st.none() | hostile,
    received=st.none() | hostile,
    note=hostile_or_huge,
)
def test_add_and_log_with_hostile_fields(
    name: str, email: str, source: str, notes: str, timezone: str | None,
    received: str | None, note: str,
) -> None:  # fmt: skip
    with tempfile.TemporaryDirectory() as home:
        argv = ["--home", home, "add", f"--name={name}", "--phone=212-555-0134"]
        argv += [f"--email={email}", f"--source={source}", f"--notes={notes}"]
        argv += [f"--timezone={timezone}"] if timezone is not None else []
        argv += [f"--received={received}"] if received is not None else []
        added = clean(run(*argv))
        plain = clean(run("--home", home, "add", "--name=Plain", "--phone=212-555-0135"))
        ids = [plain.out.strip()] + ([added.out.strip()] if added.code == 0 else [])
        for lead_id in ids:
            logged = clean(run("--home", home, "log", lead_id, "no-answer", f"--note={note}"))
            if len(note) > 20_000:
                assert logged.code == 1 and "longer than" in logged.err
        look_at_everything(home, ids)


headers = st.lists(
    st.sampled_from(
        ["Name", "FULL NAME", "Phone", "phone number", "Mobile", "E-mail", "Email", "Notes",
         "Source", "Created", "Time Zone", "First Name", "Last Name", "Junk", ""]
    )
    | hostile,
    min_size=0,
    max_size=7,
)  # fmt: skip
encodings = st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-32"])


@settings(FUZZ, max_examples=EXAMPLES["import"])
@given(
    header=headers,
    rows=st.lists(st.lists(hostile_or_huge | st.just("212-555-0150"), max_size=7), max_size=6),
    encoding=encodings,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    junk=st.binary(max_size=200),
    mode=st.sampled_from(["text", "bytes", "text+junk"]),
)
def test_import_hostile_files(
    header: list[str], rows: list[list[str]], encoding: str, delimiter: str, junk: bytes,
    mode: str,
) -> None:  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in [header, *rows]:
        writer.writerow(row)
    text = buffer.getvalue()
    data = text.encode(encoding, errors="surrogatepass" if "utf" in encoding else "replace")
    if mode == "bytes":
        data = junk
    elif mode == "text+junk":
        data = data + junk
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "in.csv"
        path.write_bytes(data)
        imported = clean(run("--home", home, "import", str(path)))
        if imported.code == 0:
            assert imported.out.startswith("imported ")
        clean(run("--home", home, "import", "-", "--json", stdin=data))
        queue = run("--home", home, "queue", "--all", "--json")
        ids = [entry["id"] for entry in json.loads(queue.out)][:3]
        look_at_everything(home, ids)


config_text = (
    st.text(max_size=200)
    | st.builds(
        lambda key, value: f"{key} = {value}\n",
        st.sampled_from(
            ["rep_name", "rep_phone", "offer", "theme", "window_start", "default_timezone",
             "default_region", "cadence_file", "claim_ttl_seconds", "keymap", hostile]
        ).map(str),
        hostile.map(json.dumps) | hostile.map(repr) | hostile | st.integers().map(str),
    )
    | st.builds(lambda key, value: f"[keymap]\n{key} = {json.dumps(value)}\n", hostile, hostile)
)  # fmt: skip


@settings(FUZZ, max_examples=EXAMPLES["config"])
@given(text=config_text, raw=st.binary(max_size=100), as_bytes=st.booleans())
def test_hostile_config_file(text: str, raw: bytes, as_bytes: bool) -> None:
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "config.toml"
        if as_bytes:
            config.write_bytes(raw)
        else:
            config.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = config.read_bytes()
        added = clean(run("--home", home, "add", "--name=Cfg", "--phone=212-555-0160"))
        if added.code == 1:
            assert str(config) in added.err or "config" in added.err
        else:
            logged = clean(run("--home", home, "log", added.out.strip(), "talked"))
            assert logged.code == 0
            look_at_everything(home, [added.out.strip()])
        assert config.read_bytes() == before


@settings(FUZZ, max_examples=EXAMPLES["args"])
@given(value=hostile, which=st.integers(min_value=0, max_value=9))
def test_hostile_command_arguments(value: str, which: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        lead = run("--home", home, "add", "--name=Arg", "--phone=212-555-0170").out.strip()
        argv = [
            ["show", "--", value],
            ["log", "--", value, "no-answer"],
            ["log", lead, "callback", f"--when={value}"],
            ["log", lead, "no-answer", f"--at={value}"],
            ["undo", "--", value],
            ["plan", "--", value],
            ["import", "--", value],
            ["export", f"--output={Path(home) / 'out'}{value.replace('/', '_')[:50]}"],
            ["add", "--name=Arg", f"--phone={value}"],
            [f"--theme={value}", "queue"],
        ][which]
        if which in (6, 7) and not _possible_file_name(value):
            return
        clean(run("--home", home, *argv))


def test_raw_notes_stored_by_an_older_leadtui_are_still_shown_safely(monkeypatch) -> None:
    """Databases written before notes were cleaned at the store may hold raw escapes and
    lone surrogates: the views must still print them safely (and not crash)."""
    from leadtui.store import repository

    with tempfile.TemporaryDirectory() as home:
        lead = run("--home", home, "add", "--name=Old Data", "--phone=212-555-0180").out.strip()
        monkeypatch.setattr(repository, "_clean_note", lambda text: text)
        for note in NASTY:
            assert run("--home", home, "log", lead, "email", f"--note={note}").code == 0
        monkeypatch.undo()
        shown = clean(run("--home", home, "show", lead))
        assert shown.code == 0 and "pwned" in shown.out
        as_json = clean(run("--home", home, "show", lead, "--json"))
        notes = [touch["note"] for touch in json.loads(as_json.out)["touches"]]
        assert notes == NASTY  # JSON escapes them, so nothing is lost
        look_at_everything(home, [lead])


def _possible_file_name(value: str) -> bool:
    """Could a real command line carry this file name? Not with NUL, and only the
    surrogates that stand for undecodable argv bytes (U+DC80..U+DCFF)."""
    try:
        os.fsencode(value)
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
