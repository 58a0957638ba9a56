"""Which rep has which lead open: claims taken, renewed and released by a session."""

from __future__ import annotations

from datetime import datetime

from leadtui.store.protocol import Claim, LeadStore


def claim_lead(
    store: LeadStore, lead_id: str, rep: str, session: str, now: datetime, ttl_seconds: int
) -> Claim:
    """Take or renew `session`'s claim on a lead (it replaces the session's previous one);
    an empty rep name is shown to others as "another rep"."""
    return store.claim(lead_id, rep or "another rep", session, now, ttl_seconds)


def release_claims(store: LeadStore, session: str) -> None:
    """End every claim `session` holds (on quit)."""
    store.release(session)
