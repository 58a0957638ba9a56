"""Logging an outcome from a key: the questions first, then the write (shared by screens).

Order: refuse what the store would refuse (a call on a do-not-call lead) with the message
it gives (`service.outcomes.refusal`; the store owns the check and decides at the write);
confirm do-not-call; confirm a call while the lead's window is closed (recorded as an
override); ask when for a callback or appointment; then queue the write.
Nothing here says "saved": the confirmation comes when the store has it on disk.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from leadtui.domain.model import Lead, Outcome, QueueEntry
from leadtui.domain.phone import format_phone
from leadtui.domain.when import relative
from leadtui.domain.window import booked, next_opening_in
from leadtui.service.gateway import PendingWrite
from leadtui.service.outcomes import outside_window, refusal
from leadtui.tui.formatting import clock_in, doubt_phrase, short_time, zone_label
from leadtui.tui.screens.confirm import ConfirmScreen
from leadtui.tui.screens.text_prompt import TextPrompt
from leadtui.tui.screens.when_prompt import WhenPrompt

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp


def ask_note(app: LeadApp, lead: Lead) -> None:
    """Ask for a note and queue it for the lead (the workstation's and the blitz's `o`)."""

    def save(text: str | None) -> None:
        if text:
            app.writes.submit(PendingWrite(app.outbox.next_seq(), "note", lead.id, lead.name,
                                           app.clock.now(), note=text))  # fmt: skip

    app.push_screen(TextPrompt(f"Note for {lead.name}", max_length=2000), save)


def copy_phone(app: LeadApp, lead: Lead) -> None:
    """Copy the lead's number to the clipboard (OSC 52, so it works over SSH) and say so."""
    app.copy_to_clipboard(lead.phone)
    app.notify(f"Copied {lead.phone}", markup=False, timeout=3)


def copy_id(app: LeadApp, lead: Lead) -> None:
    """Copy the lead's id (for `leadtui show`, `plan`, `log`, `undo`) and say so."""
    app.copy_to_clipboard(lead.id)
    app.notify(f"Copied the id {lead.id}", markup=False, timeout=3)


def _phone(e164: str) -> str:
    try:
        return format_phone(e164)
    except Exception:
        return e164


def _refused(app: LeadApp, entry: QueueEntry, outcome: Outcome) -> bool:
    """Say so and return True when the store would refuse the touch outright."""
    reason = refusal(entry.lead, outcome, app.clock.now())
    if reason is None:
        return False
    app.bell()
    app.notify(reason, title="Not logged", severity="error", markup=False, timeout=8)
    return True


def needs_questions(app: LeadApp, entry: QueueEntry, outcome: Outcome) -> bool:
    """Must the rep answer something before this touch is queued?"""
    if outcome is Outcome.DNC or outcome.needs_when or entry.claimed_by:
        return True
    return needs_window_question(app, entry, outcome, app.clock.now())


def _outside(app: LeadApp, entry: QueueEntry, outcome: Outcome, now: datetime) -> bool:
    """True when a call now falls outside the lead's window (in every zone it may be in)
    and is not a callback or appointment inside the time the lead asked for."""
    window, action = app.settings.window, entry.next_action
    return outside_window(window, entry.lead, outcome, now, action)


def needs_window_question(
    app: LeadApp, entry: QueueEntry, outcome: Outcome, now: datetime
) -> bool:
    """Outside the window, unless the rep already confirmed dialling this lead outside it."""
    if not _outside(app, entry, outcome, now):
        return False
    dial = app.dials.peek(entry.lead.id, now)
    return dial is None or not dial.override_window


def log_outcome_now(
    app: LeadApp, entry: QueueEntry, outcome: Outcome, *, blitz_id: str | None = None
) -> bool:
    """Queue a touch that needs no questions at once (keys typed fast keep their order)."""
    if _refused(app, entry, outcome):
        return False
    _submit(app, entry, outcome, blitz_id=blitz_id)
    return True


def _submit(
    app: LeadApp,
    entry: QueueEntry,
    outcome: Outcome,
    *,
    when: datetime | None = None,
    override: bool = False,
    blitz_id: str | None = None,
) -> None:
    lead = entry.lead
    now = app.clock.now()
    action = entry.next_action
    dial = app.dials.take(lead.id, now) if outcome.is_call else None
    if dial is not None and dial.override_window:
        override = True  # the rep confirmed dialling outside the window
    app.writes.submit(
        PendingWrite(
            seq=app.outbox.next_seq(),
            kind="touch",
            lead_id=lead.id,
            lead_name=lead.name or _phone(lead.phone),
            at=now,
            outcome=outcome,
            when=when,
            override_window=override,
            blitz_id=blitz_id,
            booked=action if booked(action, now) else None,
            dialed_at=dial.at if dial is not None else None,
        )
    )


async def _confirmed(app: LeadApp, title: str, body: str, *, yes: str) -> bool:
    """Ask (y confirms; n, Escape and Enter do not) and wait for the answer."""
    answer = await app.push_screen_wait(ConfirmScreen(title, body, yes=yes))
    return bool(answer)


async def confirmed(app: LeadApp, title: str, body: str, *, yes: str) -> bool:
    """Ask a yes/no question (the dial asks what a logged call asks)."""
    return await _confirmed(app, title, body, yes=yes)


def dial_outside_window(app: LeadApp, entry: QueueEntry, now: datetime) -> bool:
    """A call now would fall outside the lead's calling window (the dial asks too)."""
    return _outside(app, entry, Outcome.NO_ANSWER, now)


async def window_confirmed(
    app: LeadApp, entry: QueueEntry, now: datetime, question: str, *, yes: str
) -> bool:
    """Say the lead's time and window, ask `question`; True when the rep says yes."""
    lead = entry.lead
    name = lead.name or _phone(lead.phone)
    local = f"{clock_in(lead.timezone, now)} {zone_label(lead.timezone, now)}"
    window = app.settings.window
    opens = next_opening_in(window, lead.zones, now)
    hours = f"{window.start:%H:%M}-{window.end:%H:%M} their time"
    if lead.zone_unsure:
        hours += f" in every zone they may be in ({doubt_phrase(lead.zones, now)})"
    return await _confirmed(
        app,
        f"It is {local} for {name}: outside the calling window",
        f"Their window is {hours}; it opens "
        f"{short_time(opens, lead.timezone, now)} ({relative(opens, now)}).\n{question}",
        yes=yes,
    )


async def log_outcome(
    app: LeadApp, entry: QueueEntry, outcome: Outcome, *, blitz_id: str | None = None
) -> bool:
    """Ask what must be asked, then queue the touch. Runs in an async worker (prompts wait).

    Returns True when the write was queued (not yet saved), False when refused or cancelled.
    """
    if _refused(app, entry, outcome):
        return False
    lead = entry.lead
    now = app.clock.now()
    override = False
    name = lead.name or _phone(lead.phone)
    if outcome is Outcome.DNC:
        if not await _confirmed(
            app,
            f"Do not call {name}?",
            f"{_phone(lead.phone)} goes on the do-not-call list: nobody will dial it again.",
            yes="mark do-not-call",
        ):
            return False
    elif needs_window_question(app, entry, outcome, now):
        question = f"Log this {outcome} anyway? It is recorded as a call outside the window."
        if not await window_confirmed(app, entry, now, question, yes="log it anyway"):
            return False
        override = True
    if entry.claimed_by:
        if not await _confirmed(
            app,
            f"{entry.claimed_by} has {name} open right now",
            f"Another rep may be on the phone with {name}. Log this {outcome} anyway?",
            yes="log it anyway",
        ):
            return False
    when = None
    if outcome.needs_when:
        when = await app.push_screen_wait(
            WhenPrompt(str(outcome), name, lead.timezone, app.clock.now(), app.settings.window)
        )
        if when is None:
            return False
    _submit(app, entry, outcome, when=when, override=override, blitz_id=blitz_id)
    return True


def undo_last(app: LeadApp, entry: QueueEntry | None) -> str | None:
    """`u` on the workstation and in a blitz: undo the newest touch this screen logged, by
    its id, and nothing else (the store refuses, and says so, when it is gone or another
    touch came after it). Returns the lead to show. With nothing logged here, says so about
    the lead under the cursor and offers (`y`) to undo its last touch, naming who logged it.
    """
    now = app.clock.now()
    if app.writes.logged_here:
        lead_id, name, seq = app.writes.logged_here.pop()
        seq_now = app.outbox.next_seq()
        app.writes.submit(PendingWrite(seq_now, "undo", lead_id, name, now, undo_seq=seq))
        return lead_id
    if entry is None:
        app.bell()
        app.notify("Nothing of yours to undo.", markup=False, timeout=3)
        return None
    lead = entry.lead
    name = lead.name or _phone(lead.phone)
    touches = app.live.snapshot.touches.get(lead.id, ())
    if not touches:
        app.notify(f"Nothing to undo for {name}.", markup=False, timeout=3)
        return None
    last = touches[-1]
    by = last.rep or "someone (no rep name)"
    if last.rep and last.rep == app.settings.rep_name:
        by = f"you ({last.rep}), but not on this screen"

    def answer(yes: bool | None) -> None:
        if yes:
            app.writes.submit(PendingWrite(app.outbox.next_seq(), "undo", lead.id, name,
                                           app.clock.now(), touch_id=last.id))  # fmt: skip

    app.push_screen(
        ConfirmScreen(
            f"Nothing of yours to undo on {name}",
            f"The last touch on {name} is {last.outcome} at "
            f"{short_time(last.at, lead.timezone, now)}, logged by {by}.\nUndo it anyway?",
            yes="undo that touch",
        ),
        answer,
    )
    return None
