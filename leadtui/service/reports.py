"""What speed and persistence earn (the report), and the blitz records it lists."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from leadtui.domain.metrics import source_label
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
) -> dict[str, Any]:
    """The report as JSON-ready data (README: Report JSON); `leadtui report` and the
    workstation's report screen show the same dict. `rep`: only that rep's touches."""
    return build_report(
        store, now=now, threshold=threshold, since=since, source=source, rep=rep
    )


def sources(store: LeadStore) -> list[str]:
    """Every lead's source as the report names it (`(no source)` included), sorted."""
    return sorted({source_label(lead) for lead in store.leads()}, key=str.casefold)


def save_blitz(store: LeadStore, record: Mapping[str, Any]) -> None:
    """Insert or replace a blitz session record (keyed by its "id"), durable on return."""
    store.save_blitz(record)
