"""Logging an outcome, adding a note, undoing a touch: the one path every face takes.

The walk of an outcome key (`n` on the workstation): the screen's binding -> `tui.outcomes`
(the questions) -> the app's outbox -> `service.gateway.StoreGateway.apply` ->
`log_outcome` here -> `LeadStore.log_touch` (refuses with `check_touch`, writes, fsyncs)
-> the domain's status rules. Nothing on the way calls back up.

The store is the one owner of the refusals (`check_touch`); `refusal` is only a question a
face may ask before it asks the rep anything, so nobody types a time for a touch the store
would refuse. The window override is decided here, once, for the CLI and the TUI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from leadtui.domain.cadence import Cadence, check_touch, next_action
from leadtui.domain.model import Lead, LeadError, NextAction, Outcome, Touch
from leadtui.domain.window import CallingWindow, callable_now, is_open_in
from leadtui.store.protocol import LeadStore

#: The outcomes that take a time (`--when`, the TUI's time prompt).
WHEN_OUTCOMES = (Outcome.TALKED, Outcome.CALLBACK, Outcome.APPOINTMENT)


@dataclass(frozen=True, slots=True)
class Logged:
    """A write the store made durable, and the lead as it is afterwards."""

    touch: Touch | None  # the stored touch (log), the removed one (undo), None (note)
    lead: Lead
    touches: Sequence[Touch]
    action: NextAction | None  # the lead's next action now (None: closed)


def refusal(lead: Lead, outcome: Outcome, now: datetime) -> str | None:
    """Why the store would refuse this outcome for `lead` as the face last saw it (None:
    it would not). Advisory only: the store checks again against the lead on disk."""
    try:
        check_touch(lead, outcome, now if outcome.needs_when else None)
    except LeadError as exc:
        return str(exc)
    return None


def outside_window(
    window: CallingWindow,
    lead: Lead,
    outcome: Outcome,
    at: datetime,
    action: NextAction | None = None,
) -> bool:
    """Is this a call made while the lead's calling window is shut (in every zone its number
    may be in), logged as an override? Given the lead's next `action`, a callback or
    appointment inside the time the lead asked for (its grace) is not an override (the
    workstation passes it; `leadtui log` does not)."""
    if not outcome.is_call:
        return False
    if action is not None and action.ignores_window and callable_now(action, lead, window, at):
        return False
    return not is_open_in(window, lead.zones, at)


def log_outcome(
    store: LeadStore,
    cadence: Cadence,
    window: CallingWindow,
    lead_id: str,
    outcome: Outcome,
    at: datetime,
    *,
    note: str = "",
    when: datetime | None = None,
    rep: str = "",
    override_window: bool = False,
    blitz_id: str | None = None,
    dialed_at: datetime | None = None,
) -> Logged:
    """Record a touch (durable before returning). Raises LeadError when the store refuses
    it (a call on a do-not-call lead, a callback without a time), LeadNotFound, StoreError.
    `dialed_at`: when the dial (`g`) before this call started."""
    touch = store.log_touch(
        lead_id, outcome, at, note=note, when=when, rep=rep,
        override_window=override_window, blitz_id=blitz_id, dialed_at=dialed_at,
    )  # fmt: skip
    return _after(store, cadence, window, lead_id, touch)


def undo(
    store: LeadStore, cadence: Cadence, window: CallingWindow, lead_id: str, touch_id: str
) -> Logged:
    """Remove exactly that touch (`Logged.touch`), only while it is still the lead's last:
    LeadError (nothing changed) when it is gone or another touch came after it."""
    touch = store.undo_touch(lead_id, touch_id)
    return _after(store, cadence, window, lead_id, touch)


def add_note(
    store: LeadStore, cadence: Cadence, window: CallingWindow, lead_id: str, text: str,
    at: datetime,
) -> Logged:  # fmt: skip
    """Append a timestamped note to the lead (durable before returning)."""
    store.add_note(lead_id, text, at)
    return _after(store, cadence, window, lead_id, None)


def record_touch(
    store: LeadStore,
    lead_id: str,
    outcome: Outcome,
    at: datetime,
    *,
    note: str = "",
    when: datetime | None = None,
    rep: str = "",
) -> Touch:
    """Record a touch without reading the lead back (bulk writers such as the demo data);
    the same store write and refusals as `log_outcome`."""
    return store.log_touch(lead_id, outcome, at, note=note, when=when, rep=rep)


def _after(
    store: LeadStore, cadence: Cadence, window: CallingWindow, lead_id: str, touch: Touch | None
) -> Logged:
    lead = store.get_lead(lead_id)
    touches = store.touches(lead_id)
    return Logged(touch, lead, touches, next_action(lead, touches, cadence, window))
