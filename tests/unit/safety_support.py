"""Helpers for the issue-6 safety tests (tests/unit/test_safety_*.py).

Everything here drives leadtui from the outside: `python -m leadtui` subprocesses (with a
chosen umask or file-size limit) or `main(argv)` in-process, and looks at the files and
the text that would reach a terminal.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOW = "2025-03-10T18:00:00Z"  # Mon 14:00 in New York: inside the calling window

# What must never reach a terminal from data: C0 controls except \t and \n, DEL, C1
# controls (incl. CSI 0x9B, OSC 0x9D, ST 0x9C), bidi overrides/isolates/marks.
UNSAFE_FOR_TERMINAL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def unsafe_chars(text: str, *, crlf: bool = False) -> list[str]:
    """The characters in `text` that must not reach a terminal (CSV's CRLF allowed)."""
    if crlf:
        text = text.replace("\r\n", "\n")
    return UNSAFE_FOR_TERMINAL.findall(text)


def leadtui(
    home: Path | None,
    *argv: str,
    now: str | None = NOW,
    stdin: bytes | None = None,
    umask: int | None = None,
    fsize: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m leadtui --home HOME [--now NOW] ARGV` and capture bytes (no --home
    when `home` is None).

    `umask`: run with this umask. `fsize`: RLIMIT_FSIZE in bytes with SIGXFSZ ignored, so a
    write past it fails with EFBIG like a full disk (a short write, then an error).
    """

    def before() -> None:
        if umask is not None:
            os.umask(umask)
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("LEADTUI_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "leadtui", *(["--home", str(home)] if home else []),
         *(["--now", now] if now else []), *argv],
        input=stdin,
        capture_output=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
        preexec_fn=before if umask is not None or fsize is not None else None,
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    """stdout of a run that must have succeeded."""
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode()


def refused(result: subprocess.CompletedProcess[bytes]) -> str:
    """The one stderr line of a run that must have failed with exit status 1."""
    err = result.stderr.decode(errors="replace")
    assert result.returncode == 1, (result.returncode, result.stdout, err)
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("leadtui: "), err
    return lines[0]


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file in `directory` (the lock file is empty and may be created)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def hashes_without_lock(directory: Path) -> dict[str, str]:
    return {k: v for k, v in file_hashes(directory).items() if not k.endswith(".lock")}


def spawn(home: Path, *argv: str, now: str | None = NOW) -> subprocess.Popen[bytes]:
    """Start `python -m leadtui` without waiting."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LEADTUI_HOME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "leadtui", "--home", str(home), *(["--now", now] if now else []),
         *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )  # fmt: skip


def run_main(*argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    """`main(argv)` in-process with a real process's byte-level stdio (strict UTF-8 out);
    returns (exit status, stdout, stderr)."""
    import io

    from leadtui.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace")
    try:
        code = main(list(argv))
        sys.stdout.flush()
        sys.stderr.flush()
        printed = out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, *printed
