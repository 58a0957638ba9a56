"""Helpers for the CLI tests: run `main(argv)` in-process at a scripted time."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from leadtui.cli import main

NOW = "2025-03-10T18:00:00Z"  # Mon: 14:00 New York (EDT), 18:00 London, 05:00 Sydney (Tue)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """`cli("add", "--name", ...)` runs leadtui at `now` and captures what it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *argv: str, now: str | None = NOW, stdin: bytes | None = None) -> Result:
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        self.capsys.readouterr()
        code = main([*(["--now", now] if now else []), *argv])
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *argv: str, **kwargs: Any) -> Result:
        result = self(*argv, **kwargs)
        assert result.code == 0, result.err
        assert result.err == "", result.err
        return result

    def refused(self, *argv: str, **kwargs: Any) -> str:
        """Run a command that must fail with exit 1 and ONE line on stderr; returns it."""
        result = self(*argv, **kwargs)
        assert result.code == 1, (result.out, result.err)
        lines = result.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("leadtui: "), result.err
        assert "Traceback" not in result.err
        return lines[0]

    def add(self, name: str, phone: str, *extra: str, now: str | None = NOW) -> str:
        return self.ok("add", "--name", name, "--phone", phone, *extra, now=now).out.strip()
