"""What speed and persistence earn (the report), and the blitz records it lists."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from leadtui.io.report import build_report
from leadtui.store.protocol import LeadStore


def report(
    store: LeadStore,
    now: datetime,
    threshold: timedelta,
    *,
    since: datetime | None = None,
    source: str | None = None,
    rep: str | None = None,
    sources: set[str] | None = None,
) -> dict[str, Any]:
    """The report as JSON-ready data (README: Report JSON); `leadtui report` and the
    workstation's report screen show the same dict. `rep`: only that rep's touches.
    `sources`, when given, gets every lead's source as the report names it (`(no source)`
    included), read in the report's own pass over the leads."""
    return build_report(
        store, now=now, threshold=threshold, since=since, source=source, rep=rep,
        sources=sources,
    )  # fmt: skip


def save_blitz(store: LeadStore, record: Mapping[str, Any]) -> None:
    """Insert or replace a blitz session record (keyed by its "id"), durable on return."""
    store.save_blitz(record)
