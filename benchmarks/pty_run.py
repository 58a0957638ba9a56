"""Run `python -m leadtui ...` on an 80x24 pseudo-terminal and watch what it writes.

The child gets the pty as its controlling terminal (pty.fork) with the window size set
before it starts; the parent drains the master with select (a full pty would stall the
child), times events from just before the fork, reads the child's peak RSS (VmHWM) before
stopping it, and reaps it with os.wait4.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]"
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]"
)
ROWS, COLS = 24, 80


@dataclass
class PtyRun:
    """A child on a pty; `read_for` drains it, `stop` ends it and returns peak RSS (MB)."""

    pid: int
    fd: int
    started: float
    output: bytearray = field(default_factory=bytearray)
    exited: bool = False

    def read_for(self, seconds: float) -> int:
        """Drain for `seconds`; returns the bytes read in that time."""
        end, got = time.perf_counter() + seconds, 0
        while not self.exited:
            left = end - time.perf_counter()
            if left <= 0:
                break
            got += self._read(left)
        return got

    def read_until(self, needles: Sequence[bytes], timeout: float) -> float | None:
        """Drain until the text (escapes removed) shows any of `needles`; seconds since
        the start, or None on timeout or exit."""
        end = time.perf_counter() + timeout
        while not self.exited and time.perf_counter() < end:
            if self._read(end - time.perf_counter()):
                plain = ANSI.sub(b"", bytes(self.output))
                if any(n in plain for n in needles):
                    return time.perf_counter() - self.started
        return None

    def read_until_quiet(self, quiet: float, timeout: float) -> None:
        """Drain until nothing arrives for `quiet` seconds (or `timeout`)."""
        end = time.perf_counter() + timeout
        while not self.exited and time.perf_counter() < end:
            if not self._read(min(quiet, end - time.perf_counter())):
                return

    def _read(self, timeout: float) -> int:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return 0
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            self.exited = True
            return 0
        self.output += chunk
        return len(chunk)

    def last_line(self) -> str:
        """The last non-blank line the child wrote (escapes removed), e.g. an error."""
        lines = ANSI.sub(b"", bytes(self.output)).decode(errors="replace").splitlines()
        text = next((line.strip() for line in reversed(lines) if line.strip()), "")
        return text[:200]

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def stop(self, grace: float = 3.0) -> float:
        """Terminate the child; its peak RSS in MB.

        The kernel's high-water mark of the running program (`VmHWM`, which starts afresh
        at exec) is read before it is stopped. wait4's `ru_maxrss` is only the fallback:
        it also counts the moment between fork and exec, when the child still shares the
        benchmark's own memory (a few hundred MB after building 50,000 leads)."""
        peak = _peak_rss_mb(self.pid)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            end = time.perf_counter() + grace
            while time.perf_counter() < end:
                pid, _, usage = os.wait4(self.pid, os.WNOHANG)
                if pid:
                    os.close(self.fd)
                    return peak or usage.ru_maxrss / 1024
                self._read(0.05)
        _, _, usage = os.wait4(self.pid, 0)
        os.close(self.fd)
        return peak or usage.ru_maxrss / 1024


def _peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a live process in MB (Linux), None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def spawn(argv: Sequence[str], *, env: dict[str, str], cwd: str) -> PtyRun:
    """Start `argv` on a fresh 80x24 pty."""
    env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: size the terminal, then become leadtui
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.chdir(cwd)
            os.execve(argv[0], list(argv), env)
        finally:
            os._exit(127)
    return PtyRun(pid=pid, fd=fd, started=started)
