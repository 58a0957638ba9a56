"""The outbox without Textual: order kept, refusals dropped with the reason, failures kept
(this write and every later one) until a retry, blitz records coalesced, one drainer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadtui.domain.model import LeadError
from leadtui.io.csv_import import ImportFileError
from leadtui.service.gateway import PendingWrite
from leadtui.service.outbox import Drained, Outbox

AT = datetime(2027, 3, 14, 16, 45, tzinfo=UTC)


def write(outbox: Outbox, kind: str = "touch", lead: str = "L7", **fields: object) -> PendingWrite:
    pending = PendingWrite(outbox.next_seq(), kind, lead, lead, AT, **fields)  # type: ignore[arg-type]
    outbox.submit(pending)
    return pending


def run(outbox: Outbox, apply) -> list[Drained[int]]:  # type: ignore[no-untyped-def]
    seen: list[Drained[int]] = []
    assert outbox.claim_drain()
    outbox.drain(apply, seen.append)
    return seen


def test_writes_leave_in_the_order_they_came() -> None:
    outbox = Outbox()
    writes = [write(outbox, lead=f"L{n}") for n in (3, 1, 2)]
    order: list[int] = []
    seen = run(outbox, lambda w: order.append(w.seq) or w.seq)
    assert order == [w.seq for w in writes] and not outbox
    assert [(d.state, d.result) for d in seen] == [("saved", w.seq) for w in writes]


def test_a_failure_keeps_that_write_and_every_later_one_until_a_retry() -> None:
    outbox = Outbox()
    first, second, third = (write(outbox, lead=f"L{n}") for n in range(3))
    broken = {second.seq}

    def apply(w: PendingWrite) -> int:
        if w.seq in broken:
            raise OSError(28, "No space left on device")
        return w.seq

    seen = run(outbox, apply)
    assert [(d.write.seq, d.state) for d in seen] == [(first.seq, "saved"), (second.seq, "failed")]
    assert "No space left" in seen[-1].reason and second.tries == 1
    assert outbox.unsaved == 2 and list(outbox) == [second, third]
    assert not outbox.claim_drain()  # nothing is written while the failure stands
    write(outbox, lead="L9")
    assert outbox.unsaved == 3  # a new write queues behind, never ahead
    outbox.retry()
    broken.clear()
    seen = run(outbox, apply)
    assert [d.state for d in seen] == ["saved"] * 3 and outbox.unsaved == 0 and not outbox


REFUSALS = [LeadError("lead is do-not-call"), ImportFileError("no header")]


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_refused_write_is_dropped_with_its_reason_and_the_rest_go_on(refusal: Exception) -> None:
    outbox = Outbox()
    refused, later = write(outbox), write(outbox, lead="L8")

    def apply(w: PendingWrite) -> int:
        if w is refused:
            raise refusal
        return 5

    seen = run(outbox, apply)
    assert [(d.write, d.state, d.reason) for d in seen] == [
        (refused, "refused", str(refusal)), (later, "saved", "")
    ]
    assert not outbox and outbox.unsaved == 0


def test_a_newer_blitz_record_replaces_a_queued_one_of_the_same_blitz_only() -> None:
    outbox = Outbox()
    old = write(outbox, "blitz", "", blitz_id="b1", record={"tallies": 1})
    touch = write(outbox, blitz_id="b1")
    other = write(outbox, "blitz", "", blitz_id="b2", record={"tallies": 4})
    new = write(outbox, "blitz", "", blitz_id="b1", record={"tallies": 2})
    assert list(outbox) == [new, touch, other]
    assert old not in list(outbox)


def test_the_record_being_written_is_not_replaced() -> None:
    outbox = Outbox()
    first = write(outbox, "blitz", "", blitz_id="b1", record={"n": 1})
    later: list[PendingWrite] = []

    def apply(w: PendingWrite) -> int:
        if not later:  # a newer record arrives while the first is on its way to disk
            later.append(write(outbox, "blitz", "", blitz_id="b1", record={"n": 2}))
        return 0

    seen = run(outbox, apply)
    assert [d.write for d in seen] == [first, later[0]]


def test_one_drainer_at_a_time() -> None:
    outbox = Outbox()
    assert not outbox.claim_drain()  # nothing to write
    write(outbox)
    assert outbox.claim_drain() and not outbox.claim_drain()
    outbox.drain(lambda w: 0, lambda d: None)
    write(outbox)
    assert outbox.claim_drain()  # the drainer stopped: the next submit starts one


def test_sequence_numbers_follow_submission_order() -> None:
    outbox = Outbox()
    assert [outbox.next_seq() for _ in range(3)] == [1, 2, 3]
