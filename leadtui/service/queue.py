"""Ranking the call queue: the one place the TUI's snapshot and `leadtui queue` get it from.

Both read the store's page (`LeadStore.queue_page`): the ranked head of the queue and the
counts of the whole, with only the entries shown built into leads; `queue_entries` is the
page without a limit.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime

from leadtui.config import Settings
from leadtui.domain.cadence import Cadence
from leadtui.domain.model import QueueEntry
from leadtui.domain.queue_page import QueuePage
from leadtui.store.protocol import LeadStore

#: a page limit no queue reaches (`queue_entries`: every entry)
EVERY_ENTRY = sys.maxsize // 2


def queue_entries(
    store: LeadStore, now: datetime, cadence: Cadence, settings: Settings, *, include_all: bool
) -> list[QueueEntry]:
    """The ranked queue now, every claim shown (`leadtui queue`, the workstation without a
    terminal): the whole page (`queue_page` without a limit), so only the entries shown
    become leads, as the store's ranked rows give them (`cadence`: the store's own)."""
    page = queue_page(store, now, settings, limit=EVERY_ENTRY, due_only=not include_all)
    return list(page.entries)


def queue_page(
    store: LeadStore,
    now: datetime,
    settings: Settings,
    *,
    limit: int,
    due_only: bool = False,
    needle: str = "",
    session: str | None = None,
) -> QueuePage:
    """The first `limit` entries of the queue now (`LeadStore.queue_page`: only those rows
    are read) with the whole queue's counts; leads another session has open carry that
    rep's name (`session`: this workstation's own claims are not shown as taken; None:
    show them all). `needle`: only leads whose name, email, source or phone has it (any
    case); due or not, as the workstation's filter shows them."""
    page = store.queue_page(now, settings.window, settings.threshold, limit=limit,
                            due_only=due_only, needle=needle.casefold())  # fmt: skip
    held = store.claims(now).items()
    claims = {lead_id: claim.rep for lead_id, claim in held if claim.session != session}
    if not claims:
        return page
    entries = tuple(
        replace(e, claimed_by=claims[e.lead.id]) if e.lead.id in claims else e for e in page.entries
    )
    return replace(page, entries=entries)
