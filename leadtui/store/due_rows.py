"""The due index as rows: what ranking a queue page reads of each active lead and its
stored next action, without building a `Lead` and a `NextAction` per lead.

A queue page (domain.queue_page.page_of) reads every queued lead's status, zones, round
start, and its action's due time, grace and kind, but shows only its first rows: at
200,000 leads that is ~20,000 queued leads for 60 rows. A `Row` is both the `lead` and the
`action` of a `Queued` for page_of (it has the attributes page_of reads, and the filter's
texts through the lead's document); `materialize` turns the rows a page keeps into the real
`Queued` (its Lead from the index, its NextAction decoded in full).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from leadtui.domain.model import LeadStatus, NextAction, zones_of
from leadtui.domain.queue import Queued
from leadtui.store.documents import Doc
from leadtui.store.documents import _time as _time  # (the stored UTC form, fast)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_STATUSES = {status.value: status for status in LeadStatus}

class Row:
    """One queued lead for a page (see the module docstring)."""

    __slots__ = ("lead_id", "doc", "calls", "status", "zones", "received_at", "reopened_at",
                 "due_at", "late_at", "kind", "ignores_window", "action", "values")  # fmt: skip

    def __init__(self, lead_id: str, doc: Doc, calls: int, action: NextAction | None,
                 values: list[Any] | None = None) -> None:  # fmt: skip
        """`action`: the decoded next action; or None and `values`, the stored action's
        fields (next_cache.py's list, already checked), decoded when the row is kept."""
        self.lead_id, self.doc, self.calls, self.action = lead_id, doc, calls, action
        self.values = values
        self.status = _STATUSES[doc.get("status", "new")]
        self.zones = zones_of(doc["timezone"], tuple(doc.get("zone_candidates") or ()))
        self.received_at = _time(doc["received_at"])
        reopened = doc.get("reopened_at")
        self.reopened_at = None if reopened is None else _time(reopened)
        if action is not None:
            self.due_at, self.late_at = action.due_at, action.late_at
            self.kind, self.ignores_window = action.kind, action.ignores_window
        else:
            assert values is not None
            due, late = values[5], values[8]
            self.due_at = _EPOCH + due * _MICRO
            self.late_at = None if late is None else _EPOCH + late * _MICRO
            self.kind, self.ignores_window = values[3], values[9]

    # the filter's texts (domain.queue_page.lead_matches), read off the document
    @property
    def name(self) -> str:
        return str(self.doc["name"])

    @property
    def email(self) -> str:
        return str(self.doc.get("email", ""))

    @property
    def source(self) -> str:
        return str(self.doc.get("source", ""))

    @property
    def phone(self) -> str:
        return str(self.doc["phone"])

    def queued(self) -> Queued:
        """The row as a queue page's caller gets it (Row, Row, calls) for page_of."""
        return Queued(self, self, self.calls)  # type: ignore[arg-type]


def materializer(
    lead: Callable[[str], Any], action: Callable[[Row], NextAction | None]
) -> Callable[[Queued], Queued]:
    """`page_of`'s `materialize`: a kept row as the real Queued (`lead(id)` from the
    index, `action(row)` the row's NextAction decoded in full)."""

    def materialize(item: Queued) -> Queued:
        row: Row = item.lead  # type: ignore[assignment]
        found = row.action if row.action is not None else action(row)
        assert found is not None
        return Queued(lead(row.lead_id), found, row.calls)

    return materialize
