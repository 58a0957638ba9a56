"""The plain data of leadtui: leads, touches, outcomes and next actions.

Everything here is immutable and free of I/O. Datetimes are always timezone-aware;
stored ones are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class LeadError(ValueError):
    """A refused operation on a lead, with a message fit to show the rep as is."""


class Channel(StrEnum):
    """The channel a touch went through."""

    CALL = "call"
    EMAIL = "email"
    TEXT = "text"


class Message(StrEnum):
    """Which voicemail message a call should leave (if it reaches voicemail)."""

    NONE = "none"
    FIRST = "first"
    FOLLOW_UP = "follow-up"
    FINAL = "final"


class Outcome(StrEnum):
    """What came of one touch."""

    NO_ANSWER = "no-answer"
    VM_HANGUP = "vm-hangup"
    VM_MESSAGE = "vm-message"
    TALKED = "talked"
    CALLBACK = "callback"
    APPOINTMENT = "appointment"
    NOT_INTERESTED = "not-interested"
    BAD_NUMBER = "bad-number"
    DNC = "dnc"
    WON = "won"
    EMAIL = "email"
    TEXT = "text"

    @property
    def channel(self) -> Channel:
        """The channel this outcome belongs to."""
        if self is Outcome.EMAIL:
            return Channel.EMAIL
        if self is Outcome.TEXT:
            return Channel.TEXT
        return Channel.CALL

    @property
    def is_call(self) -> bool:
        """True for outcomes of a phone call."""
        return self.channel is Channel.CALL

    @property
    def unreached(self) -> bool:
        """True for call outcomes that did not reach the person (they advance the cadence)."""
        return self in UNREACHED_OUTCOMES

    @property
    def is_contact(self) -> bool:
        """True when the rep spoke with the lead."""
        return self in CONTACT_OUTCOMES

    @property
    def needs_when(self) -> bool:
        """True when the outcome requires a time (`--when`)."""
        return self in (Outcome.CALLBACK, Outcome.APPOINTMENT)


UNREACHED_OUTCOMES = frozenset({Outcome.NO_ANSWER, Outcome.VM_HANGUP, Outcome.VM_MESSAGE})
CONTACT_OUTCOMES = frozenset(
    {Outcome.TALKED, Outcome.CALLBACK, Outcome.APPOINTMENT, Outcome.NOT_INTERESTED, Outcome.WON}
)


class LeadStatus(StrEnum):
    """Where a lead stands. Active statuses put it on the queue."""

    NEW = "new"  # never called
    WORKING = "working"  # in the unreached cadence
    CONTACTED = "contacted"  # talked; follow-up calls
    CALLBACK = "callback"  # the lead asked to be called at a time
    APPOINTMENT = "appointment"  # next step booked
    EXHAUSTED = "exhausted"  # cadence ran out without contact
    NOT_INTERESTED = "not-interested"
    WON = "won"
    BAD_NUMBER = "bad-number"
    DNC = "dnc"

    @property
    def active(self) -> bool:
        """True when the lead still has a next action."""
        return self in ACTIVE_STATUSES


def zones_of(timezone: str, candidates: tuple[str, ...]) -> tuple[str, ...]:
    """`Lead.zones` from the two stored fields: the candidates when the lead's zone is in
    doubt (more than one, the zone first), else the zone alone."""
    if len(candidates) > 1 and candidates[0] == timezone:
        return tuple(candidates)
    return (timezone,)


ACTIVE_STATUSES = frozenset(
    {
        LeadStatus.NEW,
        LeadStatus.WORKING,
        LeadStatus.CONTACTED,
        LeadStatus.CALLBACK,
        LeadStatus.APPOINTMENT,
    }
)


@dataclass(frozen=True, slots=True)
class Lead:
    """A person to contact."""

    id: str
    name: str
    phone: str  # E.164
    email: str
    source: str
    timezone: str  # IANA zone name
    received_at: datetime  # UTC
    status: LeadStatus = LeadStatus.NEW
    notes: str = ""
    inquiries: tuple[datetime, ...] = ()  # repeat inquiries after the first (UTC)
    other_phones: tuple[str, ...] = ()  # earlier numbers (E.164), newest first; `phone` is called
    other_emails: tuple[str, ...] = ()  # earlier addresses, newest first
    # the zones the lead may be in when the phone number leaves it open (`timezone` is one
    # of them, the one times are shown in); () when the zone is known. The calling window
    # is then the hours open in every one of them (see window.py).
    zone_candidates: tuple[str, ...] = ()
    # the repeat inquiry that reopened the lead (UTC): its speed-to-lead clock and cadence
    # run from here; touches before it stay in the history but no longer count
    reopened_at: datetime | None = None

    @property
    def first_name(self) -> str:
        """The first word of the name, for scripts."""
        parts = self.name.split()
        return parts[0] if parts else ""

    @property
    def started_at(self) -> datetime:
        """When the current round of work began: the inquiry that reopened the lead, else
        its first arrival (speed to lead and the cadence run from here)."""
        return self.reopened_at if self.reopened_at is not None else self.received_at

    @property
    def zones(self) -> tuple[str, ...]:
        """The zones whose calling windows all apply: the candidates, else the zone."""
        return zones_of(self.timezone, self.zone_candidates)

    @property
    def zone_unsure(self) -> bool:
        """True when the phone number leaves the lead's zone open (zone doubt)."""
        return len(self.zones) > 1


@dataclass(frozen=True, slots=True)
class LeadDraft:
    """A validated, normalised lead that has not been stored yet (no id, no status)."""

    name: str
    phone: str  # E.164
    email: str
    source: str
    timezone: str
    received_at: datetime  # UTC
    notes: str = ""
    other_phones: tuple[str, ...] = ()  # more numbers given with the inquiry (E.164)
    zone_candidates: tuple[str, ...] = ()  # see Lead.zone_candidates; () when known
    # The inquiry's key, when the way in has one (an email's Message-ID, a webhook's
    # Idempotency-Key scoped by source): a draft whose key is already recorded on a lead
    # stores nothing new, so a retry or a crash between storing and marking never doubles.
    inquiry_key: str = ""


@dataclass(frozen=True, slots=True)
class Touch:
    """One contact attempt and its outcome."""

    id: str
    lead_id: str
    outcome: Outcome
    at: datetime  # UTC, when it happened
    note: str = ""
    when: datetime | None = None  # UTC: callback/appointment/follow-up time asked for
    rep: str = ""
    override_window: bool = False  # logged although the lead's calling window was closed
    blitz_id: str | None = None
    dialed_at: datetime | None = None  # UTC: when the dial (`g`) before this touch started

    @property
    def channel(self) -> Channel:
        """The channel of this touch."""
        return self.outcome.channel


@dataclass(frozen=True, slots=True)
class NextAction:
    """What to do next for a lead, and when it is due."""

    channel: Channel
    kind: str  # "first-call", "cadence", "follow-up", "callback", "appointment", "email", "text"
    message: Message
    due_at: datetime  # UTC, already moved into the calling window unless ignores_window
    stage: str  # e.g. "day-0", "days-1-7", "follow-up", "callback"
    step: int | None = None  # index of the cadence step, None outside the cadence
    late_at: datetime | None = None  # after this the action counts as late
    # a time the lead asked for: due exactly then, whatever the window, until `late_at`;
    # after that it waits for the window like any call (see cadence.callable_now)
    ignores_window: bool = False


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One lead on the queue with what is next for it."""

    lead: Lead
    next_action: NextAction
    attempts: int  # calls made so far
    age_seconds: int  # since lead.started_at (a reopening inquiry, else received_at)
    aging: bool  # never called and older than the speed-to-lead threshold
    due: bool  # due now and callable now
    claimed_by: str | None = None  # another rep has it open
    touches: tuple[Touch, ...] = field(default=(), repr=False)
