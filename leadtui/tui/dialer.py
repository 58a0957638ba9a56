"""Dialling from the screen (`g`): the rep's softphone places the call, or the number is
copied and shown large.

`dial_lead` asks what a logged call would ask (a do-not-call lead is refused; outside the
lead's calling window, or with another rep on the lead, it asks first), remembers when the
dial started, then runs the `dial_command` setting in a thread worker (no shell, a timeout;
a failure is shown, never fatal). Without a command it copies the number (OSC 52) and
shows it in large digits. The next call outcome logged on that lead records the dial's
start as `dialed_at` (and, when the rep already confirmed dialling outside the window,
is logged as an override without asking again).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from leadtui.domain.dial import check_dial, dial_argv
from leadtui.domain.model import LeadError, QueueEntry
from leadtui.domain.phone import format_phone

if TYPE_CHECKING:
    from leadtui.tui.app import LeadApp

#: A dial command that has not finished by then is stopped and reported.
DIAL_TIMEOUT_SECONDS = 15.0
#: A dial is attached to the lead's next call outcome only if that comes within this time.
DIAL_KEEP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Dial:
    """A dial the rep started: when, and whether they confirmed it outside the window."""

    lead_id: str
    at: datetime
    override_window: bool = False


class Dials:
    """The dials this session started, by lead, until a call outcome takes them."""

    def __init__(self) -> None:
        self._dials: dict[str, Dial] = {}

    def start(self, dial: Dial) -> None:
        self._dials[dial.lead_id] = dial

    def forget(self, lead_id: str) -> None:
        self._dials.pop(lead_id, None)

    def peek(self, lead_id: str, now: datetime) -> Dial | None:
        """The lead's dial if it is recent enough to belong to a call logged now."""
        dial = self._dials.get(lead_id)
        if dial is None or not timedelta(0) <= now - dial.at <= DIAL_KEEP:
            return None
        return dial

    def take(self, lead_id: str, now: datetime) -> Dial | None:
        """The lead's dial for the call being logged now (it is used up)."""
        dial = self.peek(lead_id, now)
        self._dials.pop(lead_id, None)
        return dial


def phone_for_people(e164: str) -> str:
    """The international format ('+1 212-555-0101'), or the stored form if unknown."""
    try:
        return format_phone(e164)
    except Exception:
        return e164


def run_dial_command(argv: list[str], timeout: float = DIAL_TIMEOUT_SECONDS) -> str:
    """Run the softphone command (no shell); '' when it worked, else why not (one line)."""
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            timeout=timeout, start_new_session=True, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        return f"{argv[0]}: program not found (check dial_command)"
    except PermissionError:
        return f"{argv[0]}: not allowed to run it (check dial_command)"
    except subprocess.TimeoutExpired:
        return f"{argv[0]} did not finish within {timeout:g}s: stopped"
    except OSError as exc:
        return f"{argv[0]}: {exc.strerror or exc}"
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = f": {lines[-1][:200]}" if lines else ""
        return f"{argv[0]} exited with status {done.returncode}{why}"
    return ""


async def dial_lead(app: LeadApp, entry: QueueEntry) -> bool:
    """Dial the lead (asks first where a call would). Runs in an async worker.

    Returns True when the dial started (the command runs on in a thread), False when
    refused or cancelled.
    """
    from leadtui.tui.outcomes import (  # the same questions as a logged call
        confirmed,
        dial_outside_window,
        window_confirmed,
    )

    lead = entry.lead
    name = lead.name or phone_for_people(lead.phone)
    try:
        check_dial(lead)
    except LeadError as exc:
        app.bell()
        app.notify(str(exc), title="Not dialled", severity="error", markup=False, timeout=8)
        return False
    now = app.clock.now()
    override = False
    if dial_outside_window(app, entry, now):
        question = "Dial anyway? The call is recorded as outside the window."
        if not await window_confirmed(app, entry, now, question, yes="dial anyway"):
            return False
        override = True
    if entry.claimed_by and not await confirmed(
        app,
        f"{entry.claimed_by} has {name} open right now",
        f"Another rep may be on the phone with {name}. Dial anyway?",
        yes="dial anyway",
    ):
        return False
    started = app.clock.now()
    app.dials.start(Dial(lead.id, started, override))
    command = app.settings.dial_command
    shown = phone_for_people(lead.phone)
    if not command:
        app.copy_to_clipboard(lead.phone)
        show_dial(app, lead.id, name, shown)
        app.notify(f"Copied {shown}", title="Dial", markup=False, timeout=3)
        return True
    argv = dial_argv(command, lead)
    app.notify(f"Dialling {name} · {shown}", title="Dial", markup=False, timeout=4)
    app.run_worker(
        partial(_dial_in_thread, app, argv, lead.id, name),
        thread=True, group="dial", exit_on_error=False, description="dial",
    )  # fmt: skip
    return True


def show_dial(app: LeadApp, lead_id: str, name: str, phone: str) -> None:
    """Show the number large on the current screen (no dial command set)."""
    from leadtui.tui.widgets.dial_banner import DialBanner

    for banner in app.screen.query(DialBanner):
        banner.show(lead_id, name, phone)


def _dial_in_thread(app: LeadApp, argv: list[str], lead_id: str, name: str) -> None:
    """Run the dial command (a thread worker); a failure is shown, never fatal. The lead
    is read again first: one marked do-not-call meanwhile (another rep) is not dialled."""
    try:
        check_dial(app.gateway.lead(lead_id))
    except LeadError as exc:
        problem = str(exc)
    except KeyError:  # LeadNotFound
        problem = "the lead is no longer in the store"
    except Exception:  # the store cannot be read just now: dial anyway, the rep asked
        problem = run_dial_command(argv)
    else:
        problem = run_dial_command(argv)
    if problem:
        app.call_from_thread(_dial_failed, app, lead_id, name, problem)


def _dial_failed(app: LeadApp, lead_id: str, name: str, problem: str) -> None:
    app.dials.forget(lead_id)
    app.bell()
    app.notify(f"Could not dial {name}: {problem}", title="Not dialled", severity="error",
               markup=False, timeout=10)  # fmt: skip
