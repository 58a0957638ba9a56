"""Leads in by the batch (prepared drafts, a CSV file); a lead's view and plan.

One lead from outside (`leadtui add`, the webhook, the mailbox) comes in through
`service.add_lead`; prepared drafts (the demo data) through `add_leads` here, a CSV file
through `import_leads`. Whichever way, the store decides in one durable write: a
duplicate (same phone, or same email when set) is not created, its inquiry is recorded on
the existing lead; a number on the do-not-call list arrives with status `dnc`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from leadtui.config import Settings
from leadtui.domain.cadence import Cadence, next_action
from leadtui.domain.model import Lead, LeadDraft, NextAction, Touch
from leadtui.domain.plan import plan
from leadtui.io.aliases import load_aliases
from leadtui.io.csv_import import ImportReport, import_csv
from leadtui.store.protocol import AddResult, LeadStore


def add_leads(store: LeadStore, drafts: Sequence[LeadDraft], now: datetime) -> list[AddResult]:
    """Store prepared drafts in one durable write; one AddResult per draft, in order."""
    if not drafts:
        return []
    return store.add_leads(drafts, now)


def import_leads(
    store: LeadStore,
    data: bytes | BinaryIO,
    settings: Settings,
    now: datetime,
    *,
    source: str = "",
    overrides: Sequence[tuple[str, str]] = (),
    dry_run: bool = False,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    read_done: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read, validate and store a CSV file's leads (`leadtui import`, the workstation's
    import), streamed, in one durable write (nothing with `dry_run`); the column aliases
    are the packaged ones plus the config's `[import_aliases]`. Raises ImportFileError
    when the file as a whole cannot be read (MappingError: a --map column it lacks)."""
    raw = io.BytesIO(data) if isinstance(data, bytes) else data
    return import_csv(
        store, raw, now=now, source=source, region=settings.default_region,
        default_timezone=settings.default_timezone,
        aliases=load_aliases(settings.import_aliases), overrides=overrides, dry_run=dry_run,
        workers=workers, progress=progress, read_done=read_done,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class LeadView:
    """A lead, its touches (oldest first) and its next action (None: closed)."""

    lead: Lead
    touches: list[Touch]
    action: NextAction | None


def lead_view(store: LeadStore, cadence: Cadence, settings: Settings, lead_id: str) -> LeadView:
    """One lead as `leadtui show` shows it; raises LeadNotFound."""
    lead = store.get_lead(lead_id)
    touches = store.touches(lead.id)
    return LeadView(lead, touches, next_action(lead, touches, cadence, settings.window))


def plan_for(
    store: LeadStore, cadence: Cadence, settings: Settings, lead_id: str, now: datetime
) -> tuple[Lead, list[NextAction]]:
    """The rest of the lead's cadence from `now` (empty when the lead is closed)."""
    lead = store.get_lead(lead_id)
    return lead, plan(lead, store.touches(lead.id), cadence, settings.window, now)
