"""The store's interface, which the TUI and the CLI depend on.

Backend-neutral on purpose: no TinyDB type crosses it, so a PostgreSQL implementation can
follow. Every write method returns only once its change is durable on disk; a refused
write raises `LeadError` (domain) with a message fit for the rep, a storage failure raises
`StoreError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from leadtui.domain.figures import LeadFigures
from leadtui.domain.model import Lead, LeadDraft, Outcome, Touch
from leadtui.domain.queue import Queued
from leadtui.domain.queue_page import QueuePage
from leadtui.domain.window import CallingWindow

if TYPE_CHECKING:
    from leadtui.domain.report_sums import StoredBatch


class StoreError(Exception):
    """The database could not be read or written. The message names the file."""


class LeadNotFound(KeyError):
    """No lead has that id."""

    def __str__(self) -> str:
        return f"no lead with id {self.args[0]!r}"


@dataclass(frozen=True, slots=True)
class AddResult:
    """What `add_leads` did with one draft."""

    lead: Lead
    created: bool  # False: a duplicate; the inquiry was recorded on `lead`
    reopened: bool = False  # the inquiry brought a closed lead back (domain.inquiry)
    # True: the draft's inquiry_key was already recorded, nothing was written; `created`
    # then says what the first arrival with that key did (so a retry gets the first answer)
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class AddCounts:
    """What `add_leads_streamed` did: leads created, drafts that were repeat inquiries,
    and how many of those brought a closed lead back (see domain/inquiry.py)."""

    created: int
    duplicates: int
    reopened: int = 0


@dataclass(frozen=True, slots=True)
class Arrivals:
    """What `LeadStore.arrivals` found: leads that arrived after a mark."""

    leads: tuple[Lead, ...]  # the first `limit` of them, in arrival order
    count: int  # how many arrived (active now), `leads` or not
    mark: int  # ask from here next time


@dataclass(frozen=True, slots=True)
class SpooledDraft(LeadDraft):
    """A draft with the form a store's `add_leads_streamed` spools it in, made ahead (by
    the import's worker processes) with that store's `spool_encoder()` and the `now` of the
    `add_leads_streamed` call: the store then copies `spooled` instead of encoding the
    draft itself. Only for that store."""

    spooled: bytes = b""


@dataclass(frozen=True, slots=True)
class Claim:
    """A rep has a lead open on their screen."""

    lead_id: str
    rep: str
    session: str  # one per running workstation, so one rep's two screens differ
    expires_at: datetime  # UTC


class LeadStore(Protocol):
    """Durable storage of leads, touches, claims and blitz sessions."""

    @property
    def path(self) -> Path | str:
        """The file, or the server's URL with any password masked (for messages)."""
        ...

    # --- reading (served from memory; cheap "did anyone else write?" check first) ---
    def leads(self) -> list[Lead]:
        """Every lead, in insertion order."""
        ...

    def active_leads(self) -> list[Lead]:
        """The leads whose status is active (the only ones with a next action), in
        insertion order; cheaper than `leads()` when most leads are closed."""
        ...

    def get_lead(self, lead_id: str) -> Lead:
        """One lead; raises LeadNotFound."""
        ...

    def touches(self, lead_id: str) -> list[Touch]:
        """A lead's touches, oldest first."""
        ...

    def touches_of(self, lead_ids: Iterable[str]) -> Mapping[str, list[Touch]]:
        """The touches of several leads at once (one read instead of one per lead),
        oldest first; an unknown id maps to an empty list. The answer is as of the call
        (later writes do not change it); a backend may convert each lead's touches only
        when they are looked up."""
        ...

    def touches_by_lead(self) -> Mapping[str, Sequence[Touch]]:
        """Every lead's touches, oldest first, keyed by lead id."""
        ...

    def leads_with_touches(self) -> Iterator[tuple[Lead, list[Touch]]]:
        """Every lead with its touches (oldest first), one lead at a time, in no set
        order: for reports, which see each lead once. A backend may stream them (the
        embedded store reads its archive a segment at a time and keeps none of it)."""
        ...

    def lead_count(self) -> int:
        """How many leads there are, active or not (without reading the archive)."""
        ...

    def due_queue(
        self, now: datetime, window: CallingWindow, limit: int | None = None
    ) -> list[Queued]:
        """Every active lead that has a next action under `window`, as `Queued(lead,
        action, attempts)`, earliest `action.due_at` first (the first `limit` when given).
        The same actions `cadence.assess` gives from the lead's touches; a backend may
        keep them with the leads (the due index) as long as it never returns a stale one.
        `domain.queue.rank_queued` ranks them; `now` is the moment asked about."""
        ...

    def queue_head(self, now: datetime, limit: int, window: CallingWindow) -> list[Lead]:
        """The first `limit` leads of the queue due now, in rank order (the queue's first
        screen). PostgreSQL answers from the next action stored on each lead row (one
        indexed query); TinyDB ranks every active lead. The caller ranks the answer with
        domain.queue.rank for the entries it shows."""
        ...

    def is_dnc(self, phone: str) -> bool:
        """True when the E.164 number is on the do-not-call list."""
        ...

    def changed(self) -> bool:
        """True when another process wrote since this one last read (cheap: no parse)."""
        ...

    def version(self) -> int:
        """A number that grows with every change seen by this process (for cheap UI refresh)."""
        ...

    def report_figures(self) -> Iterator[LeadFigures | StoredBatch]:
        """Every lead's report figures (`domain.figures.lead_figures` of the lead and its
        touches), each lead once, in no set order: kept with each lead by the writes and
        recomputed from the touches where a stored one is missing or stale, so the report
        sums them without reading touches (issue 17 / 14). A store may hand many leads
        over at once as a `StoredBatch` (its own decoded form, summed the same way)."""
        ...

    def queue_page(
        self,
        now: datetime,
        window: CallingWindow,
        threshold: timedelta,
        *,
        limit: int,
        due_only: bool = False,
        needle: str = "",
    ) -> QueuePage:
        """The first `limit` entries of the queue at `now` in rank order, exactly as
        `domain.queue.rank_queued` orders `due_queue` (due ones first; then, unless
        `due_only`, the others by due time), only those matching `needle` when given
        (casefolded text, `domain.queue_page.lead_matches`), with the counts of the whole
        queue (due, active, aging for `threshold`) and when time alone changes them.
        The cost follows the rows asked for: PostgreSQL reads them with indexed queries
        on the stored next actions plus grouped counts; the filter reads every queued
        row. Entries carry no claim and no touches (`touches_of` the shown ones)."""
        ...

    def arrivals(self, since: int | None, limit: int) -> Arrivals:
        """Leads that arrived after the mark `since`: created, or reopened by a repeat
        inquiry (their round starts over), and active now; earliest first, at most
        `limit`, with how many there are and the mark to ask from next. `since=None`:
        nothing, only the current mark. Marks come from this store object only."""
        ...

    # --- writing (durable before returning) ---
    def add_leads(self, drafts: Sequence[LeadDraft], now: datetime) -> list[AddResult]:
        """Store new leads in one durable write. A draft whose phone (or email, when set)
        matches an existing lead (its number to call or an earlier one) is not created: the
        lead becomes `domain.inquiry.apply_inquiry(lead, its touches, draft, dnc=listed
        numbers).lead` (inquiry recorded, new contact details kept, a closed lead reopened).
        A number on the DNC list arrives with status `dnc` (`domain.inquiry.new_lead`).
        A draft with an `inquiry_key` already recorded on a lead writes nothing: its
        result is that lead with `replayed=True` and `created`/`reopened` as the first
        arrival with that key had them. A new key is recorded on the lead (created,
        repeat or reopened) in the same durable write."""
        ...

    def add_leads_streamed(
        self, drafts: Iterable[LeadDraft], now: datetime, *, dry_run: bool = False
    ) -> AddCounts:
        """`add_leads` for any number of drafts, consumed as they come and never all held
        in memory (a million-row import), still in ONE durable write: all or nothing. The
        drafts are read before the write lock is taken. `dry_run`: count what would
        happen and write nothing."""
        ...

    def log_touch(
        self,
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
    ) -> Touch:
        """Record a touch and update the lead's status. Refuses (LeadError) a call outcome
        on a DNC lead and a callback/appointment without `when`."""
        ...

    def undo_last_touch(self, lead_id: str) -> Touch | None:
        """Remove the lead's most recent touch (and restore its status); None if it had none."""
        ...

    def undo_touch(self, lead_id: str, touch_id: str) -> Touch:
        """Remove exactly that touch (and restore the lead's status), only while it is still
        the lead's last touch; returns it. Raises LeadError (and changes nothing) when the
        touch is gone or another touch was logged after it; LeadNotFound for the lead."""
        ...

    def add_note(self, lead_id: str, text: str, at: datetime) -> Lead:
        """Append a timestamped note to the lead."""
        ...

    # --- claims: which rep has which lead open (expire so a crashed screen frees them) ---
    def claim(self, lead_id: str, rep: str, session: str, now: datetime, ttl_seconds: int) -> Claim:
        """Take (or renew) a claim; replaces this session's previous claim. First come,
        first served, decided atomically: when another session holds an unexpired claim
        on the lead, nothing is taken (this session's previous claim is ended: the rep
        moved off it) and that session's claim is returned; the caller tells by
        `claim.session` whether it got the lead."""
        ...

    def take_next(
        self, rep: str, session: str, now: datetime, ttl_seconds: int, window: CallingWindow
    ) -> Claim | None:
        """Claim the first lead of the due queue that no session holds, atomically:
        two reps taking the next lead at the same moment never get the same one. Replaces
        this session's previous claim; None when nothing is due and free."""
        ...

    def release(self, session: str) -> None:
        """End every claim held by this session."""
        ...

    def claims(self, now: datetime) -> dict[str, Claim]:
        """Unexpired claims keyed by lead id."""
        ...

    # --- blitz sessions (issue: call blitz) ---
    def save_blitz(self, record: Mapping[str, Any]) -> None:
        """Insert or replace a blitz session record (keyed by its "id")."""
        ...

    def blitzes(self) -> list[dict[str, Any]]:
        """Every stored blitz session record, oldest first."""
        ...

    def close(self) -> None:
        """Release files and locks."""
        ...
