"""The import's worker processes: batches of rows checked in forked processes, results
handed on in the order the batches were read.

Each worker is a process forked with the checking function and one pipe: it receives a
batch, checks it and sends the result back. The importing process keeps one batch in
flight per worker and gives a worker its next batch as soon as it has that worker's
result, before it stores the result, so a worker waits only for that exchange. Neither
side can block the other on a full pipe: a worker sends only after it has received all
it was sent, and the importing process sends only to a worker whose result it has read.
No helper threads (multiprocessing.Pool's three threads competed with the importing
process for the interpreter lock), and a worker that dies is an error, not a hang.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

__all__ = ["WorkerError", "import_workers", "in_workers"]

Batch = TypeVar("Batch")
Result = TypeVar("Result")


class WorkerError(RuntimeError):
    """A worker process ended without sending its result."""


def import_workers() -> int:
    """Worker processes for validating rows: the usable cores (at most 4), 1 = none."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    fork = "fork" in multiprocessing.get_all_start_methods()
    return max(1, min(4, cores)) if fork else 1


def _serve(conn: Connection, work: Callable[[Any], Any]) -> None:
    """A worker's life: batches in, results out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] = ("ok", work(batch))
        except Exception as exc:  # a bug: the importing process raises it
            answer = ("error", exc)
        try:
            conn.send(answer)
        except Exception as exc:  # an exception that does not pickle
            conn.send(("error", WorkerError(f"{type(exc).__name__}: {exc}")))


def in_workers(
    batches: Iterator[Batch], work: Callable[[Batch], Result], workers: int
) -> Iterator[Result]:
    """`work(batch)` for each batch, done by `workers` forked processes, yielded in order.
    An exception raised by `work` is raised here; the processes end with the iterator."""
    context = multiprocessing.get_context("fork")
    conns: list[Connection] = []
    procs: list[Any] = []
    try:
        for _ in range(workers):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_serve, args=(theirs, work), daemon=True)
            proc.start()
            theirs.close()  # so a dead worker's pipe reads as closed
            conns.append(mine)
            procs.append(proc)
        pending: deque[Connection] = deque()
        ready = next(batches, None)
        for conn in conns:
            if ready is None:
                break
            conn.send(ready)
            pending.append(conn)
            ready = next(batches, None)
        while pending:
            conn = pending.popleft()
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                raise WorkerError("a validation process ended unexpectedly") from None
            if kind == "error":
                raise value
            if ready is not None:
                conn.send(ready)
                pending.append(conn)
                ready = next(batches, None)
            yield value
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            proc.terminate()
            proc.join()
