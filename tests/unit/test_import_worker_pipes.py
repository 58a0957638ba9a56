"""io/import_workers.py: batches done by forked processes come back in order; a bug in
a worker is raised in the importing process; a worker that dies is an error, not a hang."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from leadtui.io.import_workers import WorkerError, in_workers


def _square_all(batch: list[int]) -> list[tuple[int, int]]:
    return [(n, n * n) for n in batch]


def test_results_come_back_in_order_with_one_batch_in_flight_per_worker() -> None:
    batches = ([n * 10 + k for k in range(10)] for n in range(57))
    got = [pair for result in in_workers(batches, _square_all, 3) for pair in result]
    assert got == [(n, n * n) for n in range(570)]
    assert multiprocessing.active_children() == []


def _fails_on_seven(batch: list[int]) -> list[int]:
    if 7 in batch:
        raise ZeroDivisionError("seven")
    return batch


def test_an_exception_in_a_worker_is_raised_here() -> None:
    with pytest.raises(ZeroDivisionError, match="seven"):
        list(in_workers(iter([[1], [2], [7], [8]]), _fails_on_seven, 2))
    assert multiprocessing.active_children() == []


def _dies_on_three(batch: list[int]) -> list[int]:
    if 3 in batch:
        os._exit(9)
    return batch


def test_a_worker_that_dies_is_an_error() -> None:
    with pytest.raises(WorkerError, match="ended unexpectedly"):
        list(in_workers(iter([[1], [2], [3], [4]]), _dies_on_three, 2))
    assert multiprocessing.active_children() == []


def test_reading_errors_stop_the_workers() -> None:
    def batches():
        yield [1]
        yield [2]
        raise OSError("the input broke")

    with pytest.raises(OSError, match="input broke"):
        list(in_workers(batches(), _square_all, 2))
    assert multiprocessing.active_children() == []
