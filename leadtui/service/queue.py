"""Ranking the call queue: the one place the TUI's snapshot and `leadtui queue` get it from.

Reading and ranking are two steps so a caller that serialises store access (the TUI's
gateway) holds its lock only for the reads, not for the CPU-bound rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from leadtui.config import Settings
from leadtui.domain.cadence import Cadence
from leadtui.domain.model import Lead, QueueEntry, Touch
from leadtui.domain.queue import Queued, rank, rank_queued
from leadtui.domain.queue_page import QueuePage
from leadtui.domain.window import CallingWindow
from leadtui.store.protocol import Claim, LeadStore


@dataclass(frozen=True, slots=True)
class QueueRead:
    """What ranking needs from the store, read in one go."""

    active: list[Lead]
    touches: Mapping[str, Sequence[Touch]]
    claims: Mapping[str, Claim]
    queued: list[Queued]  # every active lead's next action under `window`
    window: CallingWindow


def read_queue(store: LeadStore, now: datetime, window: CallingWindow | None = None) -> QueueRead:
    """The active leads, their touches, their next actions and the unexpired claims.

    Only the active leads: the closed ones may be in the archive, which stays on disk
    (reading it costs most of a second at 50,000 leads). Their touches are converted only
    when looked up (the lead pane shows one lead's). Their next actions come from the
    store's due index (`due_queue`: kept with each lead, replayed only when stale), not
    from a replay of every active lead's touches. `window`: the one the queue will be
    ranked for (default: the default calling window).
    """
    window = window or CallingWindow()
    active = store.active_leads()
    touches = store.touches_of(lead.id for lead in active)
    queued = store.due_queue(now, window)
    return QueueRead(active, touches, store.claims(now), queued, window)


def rank_queue(
    read: QueueRead,
    now: datetime,
    cadence: Cadence,
    settings: Settings,
    *,
    include_all: bool,
    session: str | None = None,
) -> list[QueueEntry]:
    """The ranked queue at `now`; leads another session has open carry that rep's name.

    `session`: this workstation's own claims are not shown as taken (None: show them all).
    """
    claims = {
        lead_id: claim.rep for lead_id, claim in read.claims.items() if claim.session != session
    }
    if read.window != settings.window:  # read for another window: replay the touches
        return rank(
            read.active, read.touches, now, cadence, settings.window, settings.threshold,
            include_all=include_all, claims=claims,
        )  # fmt: skip
    return rank_queued(
        read.queued, now, settings.window, settings.threshold,
        include_all=include_all, claims=claims,
    )  # fmt: skip


def queue_entries(
    store: LeadStore, now: datetime, cadence: Cadence, settings: Settings, *, include_all: bool
) -> list[QueueEntry]:
    """The ranked queue now, every claim shown (`leadtui queue`, the workstation without a
    terminal)."""
    read = read_queue(store, now, settings.window)
    return rank_queue(read, now, cadence, settings, include_all=include_all)


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
