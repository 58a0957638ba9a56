"""The progress of a long `leadtui import` on a terminal: rows read, rate, time left.

Drawn with rich (Textual's own rendering library) on standard error, only when standard
error is a terminal; silent when piped or redirected, and with `--no-progress`. Time
left comes from the bytes read against the file's size (unknown for a pipe: no estimate).
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

REFRESH_SECONDS = 0.25


class ImportProgress:
    """A context manager; call it as `progress(bytes_read, rows_read)`."""

    def __init__(self, stream: TextIO, total_bytes: int | None, *, enabled: bool = True) -> None:
        console = Console(file=stream, highlight=False)
        self.enabled = enabled and console.is_terminal
        self._started = time.monotonic()
        self._last = 0.0
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}[/]"),
                BarColumn(),
                TextColumn("{task.fields[rows]:>11,} rows"),
                TextColumn("{task.fields[rate]:>9,.0f} rows/s"),
                DownloadColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
                auto_refresh=False,
            )
            self._task = self._progress.add_task(
                "importing", total=total_bytes, rows=0, rate=0.0
            )

    def __enter__(self) -> ImportProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, bytes_read: int, rows_read: int) -> None:
        if self._progress is None or self._task is None:
            return
        now = time.monotonic()
        if now - self._last < REFRESH_SECONDS:
            return
        self._last = now
        rate = rows_read / max(now - self._started, 1e-6)
        self._progress.update(self._task, completed=bytes_read, rows=rows_read, rate=rate)
        self._progress.refresh()

    def saving(self, rows_read: int) -> None:
        """The file is read; the durable write is next."""
        if self._progress is None or self._task is None:
            return
        self._progress.update(self._task, description="saving   ", rows=rows_read)
        self._progress.refresh()
