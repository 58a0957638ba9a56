"""A call blitz: a timed block of nothing but dialing, with its own tallies and pace.

The timer is derived from the clock, never from counting ticks::

    elapsed = (now or the moment it was paused or ended) - start - paused time

so a slow terminal, a laggy SSH link or a suspended laptop cannot make it wrong: whoever
redraws the countdown just asks `remaining(now)` again. The session is plain data; it turns
into a dict (`to_record`) for the store after every change, so quitting or crashing
mid-blitz loses nothing. A stored session that never got an end is *ended early* once its
planned time has run out (`record_status`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from leadtui.domain.model import Outcome

__all__ = [
    "BlitzSession",
    "BlitzState",
    "Pace",
    "Tallies",
    "format_clock",
    "new_blitz_id",
    "record_status",
    "tally",
]

RECORD_VERSION = 1
MIN_PACE_SECONDS = 60  # too early to project a pace before a minute has passed


class BlitzState(StrEnum):
    """Where a blitz session stands."""

    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # the planned time ran out
    ENDED_EARLY = "ended-early"  # stopped (or abandoned) before its time ran out


@dataclass(frozen=True, slots=True)
class Tallies:
    """What a blitz (or any run of touches) produced.

    `contacts` counts every outcome where the rep spoke with the lead (`Outcome.is_contact`:
    talked, callback, appointment, not interested, won); the breakdown fields count each.
    """

    dials: int = 0
    contacts: int = 0
    talked: int = 0
    callbacks: int = 0
    appointments: int = 0
    won: int = 0
    not_interested: int = 0
    messages_left: int = 0
    emails: int = 0
    texts: int = 0

    def as_dict(self) -> dict[str, int]:
        """The tallies as a plain dict (stable keys, used in stored records and JSON)."""
        return {name: getattr(self, name) for name in self.__slots__}


_BREAKDOWN = {
    Outcome.TALKED: "talked",
    Outcome.CALLBACK: "callbacks",
    Outcome.APPOINTMENT: "appointments",
    Outcome.WON: "won",
    Outcome.NOT_INTERESTED: "not_interested",
    Outcome.VM_MESSAGE: "messages_left",
    Outcome.EMAIL: "emails",
    Outcome.TEXT: "texts",
}


def tally(outcomes: list[Outcome] | tuple[Outcome, ...]) -> Tallies:
    """Count dials (call outcomes), contacts and each kind of result."""
    counts = dict.fromkeys(Tallies.__slots__, 0)
    for outcome in outcomes:
        if outcome.is_call:
            counts["dials"] += 1
        if outcome.is_contact:
            counts["contacts"] += 1
        name = _BREAKDOWN.get(outcome)
        if name is not None:
            counts[name] += 1
    return Tallies(**counts)


@dataclass(frozen=True, slots=True)
class Pace:
    """How the blitz is going against its goal."""

    dials_per_hour: float | None  # None until MIN_PACE_SECONDS have passed
    projected: int | None  # dials at the end at this pace
    goal: int | None
    needed_per_hour: float | None  # rate needed from now on (None in the last minute)

    @property
    def on_track(self) -> bool | None:
        """True when the projected total reaches the goal (None without goal or pace)."""
        if self.goal is None or self.projected is None:
            return None
        return self.projected >= self.goal


def new_blitz_id() -> str:
    """A short opaque id for a new session."""
    return "bz" + secrets.token_hex(4)


def format_clock(seconds: float) -> str:
    """Seconds as a countdown: `mm:ss`, or `h:mm:ss` from an hour up. Rounds up."""
    whole = max(0, int(-(-seconds // 1)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


@dataclass(slots=True)
class BlitzSession:
    """One blitz: when it started, for how long, what it aimed at and what it produced."""

    id: str
    started_at: datetime
    planned_minutes: float = 60.0
    goal: int | None = None
    paused_seconds: float = 0.0  # closed pauses only
    paused_at: datetime | None = None  # set while paused
    ended_at: datetime | None = None
    ended_early: bool = False
    touches: list[tuple[str, Outcome]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.started_at.tzinfo is None:
            raise ValueError("a blitz needs an aware start time")
        if self.planned_minutes <= 0:
            raise ValueError("a blitz lasts at least a moment: minutes must be above 0")
        if self.goal is not None and self.goal < 0:
            raise ValueError("a blitz goal cannot be negative")

    @classmethod
    def start(
        cls, now: datetime, minutes: float = 60.0, goal: int | None = None, *, id: str = ""
    ) -> BlitzSession:
        """A new running session starting at `now`."""
        return cls(id=id or new_blitz_id(), started_at=now, planned_minutes=minutes, goal=goal)

    # --- the clock ---------------------------------------------------------------------
    @property
    def planned(self) -> timedelta:
        """The planned length of the session."""
        return timedelta(minutes=self.planned_minutes)

    def _raw_elapsed(self, now: datetime) -> float:
        stop = self.ended_at or self.paused_at or now
        return max(0.0, (stop - self.started_at).total_seconds() - self.paused_seconds)

    def elapsed(self, now: datetime) -> float:
        """Seconds of blitz time used (never more than planned)."""
        return min(self._raw_elapsed(now), self.planned.total_seconds())

    def remaining(self, now: datetime) -> float:
        """Seconds left on the countdown (0 when done)."""
        return max(0.0, self.planned.total_seconds() - self._raw_elapsed(now))

    def progress(self, now: datetime) -> float:
        """The share of the planned time used, 0..1."""
        return self.elapsed(now) / self.planned.total_seconds()

    def due_end(self) -> datetime:
        """When the countdown reaches zero if no further pause happens."""
        return self.started_at + self.planned + timedelta(seconds=self.paused_seconds)

    def state(self, now: datetime) -> BlitzState:
        """Running, paused, finished or ended early."""
        if self.ended_at is not None:
            return BlitzState.ENDED_EARLY if self.ended_early else BlitzState.FINISHED
        if self.paused_at is None and self._raw_elapsed(now) >= self.planned.total_seconds():
            return BlitzState.FINISHED
        return BlitzState.PAUSED if self.paused_at is not None else BlitzState.RUNNING

    def is_over(self, now: datetime) -> bool:
        """True once finished or ended early."""
        return self.state(now) in (BlitzState.FINISHED, BlitzState.ENDED_EARLY)

    def pause(self, now: datetime) -> None:
        """Stop the countdown (no-op when paused or over)."""
        if self.paused_at is None and not self.is_over(now):
            self.paused_at = max(now, self.started_at)

    def resume(self, now: datetime) -> None:
        """Restart the countdown; the paused time does not count (no-op unless paused)."""
        if self.paused_at is not None and self.ended_at is None:
            self.paused_seconds += max(0.0, (now - self.paused_at).total_seconds())
            self.paused_at = None

    def toggle_pause(self, now: datetime) -> bool:
        """Pause when running, resume when paused; returns True when now paused."""
        if self.paused_at is None:
            self.pause(now)
        else:
            self.resume(now)
        return self.paused_at is not None

    def finish(self, now: datetime) -> None:
        """Close the session: at its planned end if the time ran out, else now, ended early.

        Idempotent: a closed session stays as it was.
        """
        if self.ended_at is not None:
            return
        self.resume(now)
        if self._raw_elapsed(now) >= self.planned.total_seconds():
            self.ended_at = self.due_end()
            self.ended_early = False
        else:
            self.ended_at = now
            self.ended_early = True

    # --- what it produced --------------------------------------------------------------
    def record_touch(self, touch_id: str, outcome: Outcome) -> None:
        """Count a touch logged during the blitz (once per touch id)."""
        if all(existing != touch_id for existing, _ in self.touches):
            self.touches.append((touch_id, outcome))

    def forget_touch(self, touch_id: str) -> bool:
        """Drop an undone touch from the tallies; True when it was counted."""
        before = len(self.touches)
        self.touches = [(tid, out) for tid, out in self.touches if tid != touch_id]
        return len(self.touches) != before

    @property
    def tallies(self) -> Tallies:
        """Dials, contacts and the rest, from the touches covered."""
        return tally([outcome for _, outcome in self.touches])

    def pace(self, now: datetime) -> Pace:
        """Dials per hour so far, the projected total at the end, and what the goal needs."""
        elapsed = self.elapsed(now)
        dials = self.tallies.dials
        planned = self.planned.total_seconds()
        rate: float | None = None
        projected: int | None = None
        if elapsed >= MIN_PACE_SECONDS or (elapsed > 0 and elapsed >= planned):
            rate = dials * 3600.0 / elapsed
            projected = round(dials * planned / elapsed)
        needed: float | None = None
        if self.goal is not None:
            left = planned - elapsed
            missing = max(0, self.goal - dials)
            if missing == 0:
                needed = 0.0
            elif left >= MIN_PACE_SECONDS:  # in the last minute a rate means nothing
                needed = missing * 3600.0 / left
        return Pace(
            dials_per_hour=rate, projected=projected, goal=self.goal, needed_per_hour=needed
        )

    # --- storage -------------------------------------------------------------------------
    def to_record(self, now: datetime | None = None) -> dict[str, Any]:
        """A plain dict for `LeadStore.save_blitz` (ISO-8601 UTC times)."""
        return {
            "id": self.id,
            "version": RECORD_VERSION,
            "start": _iso(self.started_at),
            "end": _iso(self.ended_at),
            "planned_minutes": self.planned_minutes,
            "goal": self.goal,
            "paused_seconds": round(self.paused_seconds, 3),
            "paused_at": _iso(self.paused_at),
            "ended_early": self.ended_early,
            "tallies": self.tallies.as_dict(),
            "touch_ids": [touch_id for touch_id, _ in self.touches],
            "touches": [{"id": tid, "outcome": out.value} for tid, out in self.touches],
            "updated_at": _iso(now),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> BlitzSession:
        """Rebuild a session from `to_record` output. ValueError on a broken record."""
        try:
            started = _parse(record["start"])
            if started is None:
                raise ValueError("no start")
            touches = [(str(t["id"]), Outcome(t["outcome"])) for t in record.get("touches", [])]
            goal = record.get("goal")
            return cls(
                id=str(record["id"]),
                started_at=started,
                planned_minutes=float(record.get("planned_minutes", 60.0)),
                goal=None if goal is None else int(goal),
                paused_seconds=float(record.get("paused_seconds", 0.0)),
                paused_at=_parse(record.get("paused_at")),
                ended_at=_parse(record.get("end")),
                ended_early=bool(record.get("ended_early", False)),
                touches=touches,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"broken blitz record {record.get('id', '?')!r}: {exc}") from exc


def record_status(session: BlitzSession, now: datetime) -> BlitzState:
    """The state of a *stored* session, as history should show it.

    A session without an end whose planned time has run out (counting only closed pauses)
    was never finished: the app quit or crashed. It shows as ended early. One still inside
    its time may still be running in another terminal; it shows as running (or paused).
    """
    if session.ended_at is not None:
        return BlitzState.ENDED_EARLY if session.ended_early else BlitzState.FINISHED
    if now >= session.due_end():
        return BlitzState.ENDED_EARLY
    return BlitzState.PAUSED if session.paused_at is not None else BlitzState.RUNNING
