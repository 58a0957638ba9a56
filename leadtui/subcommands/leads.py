"""One lead at a time: add, show, log, undo, plan."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

from leadtui.domain.model import NextAction, Outcome
from leadtui.domain.notes import local_stamps
from leadtui.domain.phone import format_phone
from leadtui.domain.times import check_event
from leadtui.domain.when import parse_when
from leadtui.domain.window import booked
from leadtui.io.export import lead_to_dict, touch_to_dict
from leadtui.service import leads, outcomes
from leadtui.service.add_lead import add_lead
from leadtui.store.protocol import StoreError
from leadtui.subcommands.common import (
    action_dict,
    lead_detail,
    local_iso,
    local_label,
    next_summary,
    parse_iso,
    print_json,
    safe,
    zone_line,
)
from leadtui.subcommands.context import CommandFailed, Context

OUTCOMES = [str(outcome) for outcome in Outcome]
WHEN_OUTCOMES = outcomes.WHEN_OUTCOMES


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = commands.add_parser("add", help="add one lead; prints its id")
    add.add_argument("--name", required=True, help="the lead's name")
    add.add_argument("--phone", required=True, help="phone number (any common format)")
    add.add_argument("--email", default="", help="email address")
    add.add_argument("--source", default="", help="where the lead came from")
    add.add_argument("--timezone", default=None, help="IANA zone (default: from the phone)")
    add.add_argument("--received", default=None, help="when it arrived, ISO 8601 (default now)")
    add.add_argument("--notes", default="", help="free text notes")
    add.add_argument("--json", action="store_true", help="print the lead as JSON")
    add.set_defaults(run=run_add)

    show = commands.add_parser("show", help="a lead, its touches and its next action")
    show.add_argument("lead", metavar="LEAD", help="lead id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=run_show)

    log = commands.add_parser("log", help="record a touch (an outcome) for a lead")
    log.add_argument("lead", metavar="LEAD", help="lead id")
    log.add_argument("outcome", metavar="OUTCOME", choices=OUTCOMES, help=", ".join(OUTCOMES))
    log.add_argument("--note", default="", help="a note on this touch")
    log.add_argument("--at", default=None, help="when it happened, ISO 8601 (default now)")
    log.add_argument(
        "--when",
        default=None,
        help="callback/appointment/follow-up time: ISO or 15:30, tomorrow 10am, +2h, in 3 days "
        "(without an offset: the lead's local time)",
    )
    log.set_defaults(run=run_log)

    undo = commands.add_parser("undo", help="remove a lead's most recent touch")
    undo.add_argument("lead", metavar="LEAD", help="lead id")
    undo.add_argument(
        "--touch", metavar="ID", default=None,
        help="remove exactly this touch, and only while it is still the lead's last one",
    )  # fmt: skip
    undo.add_argument("--force", action="store_true", help="also when another rep logged the touch")
    undo.set_defaults(run=run_undo)

    plan_ = commands.add_parser("plan", help="the rest of the cadence for a lead")
    plan_.add_argument("lead", metavar="LEAD", help="lead id")
    plan_.add_argument("--json", action="store_true")
    plan_.set_defaults(run=run_plan)


def run_add(ctx: Context, args: argparse.Namespace) -> int:
    settings = ctx.settings
    received = parse_iso(args.received, "--received", ctx.now()) if args.received else None
    result = add_lead(
        ctx.store,
        name=args.name,
        phone=args.phone,
        email=args.email,
        source=args.source,
        timezone=args.timezone or None,
        received_at=received,
        notes=args.notes,
        region=settings.default_region,
        default_timezone=settings.default_timezone,
        now=ctx.now(),
    )
    if args.json:
        data = {**lead_to_dict(result.lead), "duplicate": not result.created}
        print_json(ctx, {**data, "reopened": result.reopened})
    else:
        ctx.print(result.lead.id)
    return 0


def run_show(ctx: Context, args: argparse.Namespace) -> int:
    view = leads.lead_view(ctx.store, ctx.cadence, ctx.settings, args.lead)
    lead, touches, action = view.lead, view.touches, view.action
    data = lead_detail(ctx, lead, touches)
    if args.json:
        print_json(
            ctx,
            {
                "lead": data,
                "touches": [touch_to_dict(t) for t in touches],
                "next_action": action_dict(action, lead.timezone) if action else None,
            },
        )
        return 0
    tz, now = lead.timezone, ctx.now()
    rows = [("lead", f"{safe(lead.name)} ({lead.id})"), ("phone", _people_phone(lead.phone))]
    if lead.other_phones:
        rows.append(("earlier", ", ".join(_people_phone(p) for p in lead.other_phones)))
    rows.append(("email", safe(lead.email) or "-"))
    if lead.other_emails:
        rows.append(("earlier", safe(", ".join(lead.other_emails))))
    rows += [
        ("source", safe(lead.source) or "-"),
        ("timezone", zone_line(lead, now)),
        ("received", local_label(lead.received_at, tz, now)),
    ]
    if lead.inquiries:
        marks = {lead.reopened_at: " (reopened the lead: its cadence starts over here)"}
        asked = [local_label(at, tz, now) + marks.get(at, "") for at in lead.inquiries]
        rows.append(("again", "; ".join(asked)))
    rows += [
        ("status", f"{lead.status}, {data['attempts']} call(s)"),
        ("next", next_summary(action, lead, now, ctx.settings.window)),
    ]
    for label, value in rows:
        ctx.print(f"{label + ':':<10}{value}")
    if lead.notes:
        ctx.print("notes:")
        for line in local_stamps(lead.notes, tz).splitlines():
            ctx.print(f"  {safe(line)}")
    ctx.print(f"touches ({len(touches)}):" if touches else "touches: none yet")
    for touch in touches:
        extra = f" for {local_label(touch.when, tz, ctx.now())}" if touch.when else ""
        flag = " [outside window]" if touch.override_window else ""
        note = f"  {safe(touch.note)}" if touch.note else ""
        ctx.print(f"  {local_label(touch.at, tz, ctx.now())}  {touch.outcome}{extra}{flag}{note}")
    return 0


def _people_phone(e164: str) -> str:
    """The international format people read ('+61 3 5550 0103'); JSON keeps E.164."""
    try:
        return format_phone(e164)
    except Exception:
        return e164


def run_log(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    now = ctx.now()
    outcome = Outcome(args.outcome)
    lead = store.get_lead(args.lead)
    at = check_event(parse_iso(args.at, "--at", now), now, "--at") if args.at else now
    if at > now + timedelta(minutes=1):
        raise CommandFailed(f"--at {local_label(at, lead.timezone, now)} is in the future")
    if args.at and at < lead.started_at:
        raise CommandFailed(
            f"--at {local_label(at, lead.timezone, now)} is before the lead arrived "
            f"({local_label(lead.started_at, lead.timezone, now)})"
        )
    when = None
    if args.when is not None:
        if outcome not in WHEN_OUTCOMES:
            raise CommandFailed(
                f"--when applies to talked, callback and appointment, not to {outcome}"
            )
        when = parse_when(args.when, now, lead.timezone)
    window = ctx.settings.window
    before = leads.lead_view(store, ctx.cadence, ctx.settings, lead.id).action
    override = outcomes.outside_window(window, lead, outcome, at)
    logged = outcomes.log_outcome(
        store, ctx.cadence, window, lead.id, outcome, at,
        note=args.note, when=when, rep=ctx.settings.rep_name, override_window=override,
    )  # fmt: skip
    touch, lead, action = logged.touch, logged.lead, logged.action
    assert touch is not None
    asked = f" ({local_label(when, lead.timezone, now)})" if when else ""
    flag = " (outside the lead's calling window: recorded as an override)" if override else ""
    logged_at = local_label(touch.at, lead.timezone, now)
    ctx.print(
        f"logged {touch.outcome}{asked} for {safe(lead.name, 40)} ({lead.id}) at "
        f"{logged_at}{flag}{booking_note(before, action, touch.at, lead.timezone, now)}; "
        f"next: {next_summary(action, lead, now, window)}"
    )
    return 0


def booking_note(
    before: NextAction | None, after: NextAction | None, at: datetime, tz: str, now: datetime
) -> str:
    """' (the callback booked for ... stands)' or ' (replaces the callback booked for ...)'
    when a touch was logged before a booked time; '' otherwise."""
    if before is None or not booked(before, at):
        return ""
    label = f"{before.kind} booked for {local_label(before.due_at, tz, now)}"
    if after is not None and after.kind == before.kind and after.due_at == before.due_at:
        return f" (the {label} stands)"
    return f" (replaces the {label})"


def run_undo(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    lead = store.get_lead(args.lead)
    touches = store.touches(lead.id)
    if not touches:
        raise CommandFailed(f"{safe(lead.name, 40)} ({lead.id}) has no touches to undo")
    target = touches[-1]
    if args.touch is not None:
        found = [t for t in touches if t.id == args.touch]
        if not found:
            raise CommandFailed(
                f"{safe(lead.name, 40)} ({lead.id}) has no touch {safe(args.touch, 40)!r}"
            )
        target = found[0]
    me = ctx.settings.rep_name
    if target.rep and target.rep != me and not args.force:
        raise CommandFailed(
            f"the touch {target.id} ({target.outcome}) was logged by {safe(target.rep, 40)}, "
            f"not by you{f' ({safe(me, 40)})' if me else ''}: add --force to undo it"
        )
    # Refused (LeadError) if another touch was logged after it meanwhile. The store
    # retries a lost answer with the same write id; if it gives up, the undo may have
    # been saved: repeating it by touch id can never remove a second touch.
    try:
        undone = outcomes.undo(store, ctx.cadence, ctx.settings.window, lead.id, target.id)
    except StoreError as exc:
        raise CommandFailed(
            f"{exc}; the undo of touch {target.id} may have been saved: to repeat it, run "
            f"leadtui undo {lead.id} --touch {target.id} (it never removes another touch)"
        ) from None
    touch, lead, action = undone.touch, undone.lead, undone.action
    assert touch is not None
    ctx.print(
        f"removed {touch.outcome} logged at {local_label(touch.at, lead.timezone, ctx.now())} "
        f"for {safe(lead.name, 40)} ({lead.id}); next: {next_summary(action, lead, ctx.now())}"
    )
    return 0


def run_plan(ctx: Context, args: argparse.Namespace) -> int:
    lead, steps = leads.plan_for(ctx.store, ctx.cadence, ctx.settings, args.lead, ctx.now())
    if args.json:
        data = {
            "lead_id": lead.id,
            "timezone": lead.timezone,
            "steps": [
                {
                    "due_at": local_iso(step.due_at, lead.timezone),
                    "channel": str(step.channel),
                    "message": str(step.message),
                    "stage": step.stage,
                    "kind": step.kind,
                }
                for step in steps
            ],
        }
        print_json(ctx, data)
        return 0
    ctx.print(f"plan for {safe(lead.name, 40)} ({lead.id}), times in {lead.timezone}:")
    if not steps:
        ctx.print(f"  nothing left: the lead is {lead.status}")
    for number, step in enumerate(steps, start=1):
        message = "" if str(step.message) == "none" else f", {step.message} message"
        ctx.print(
            f"  {number:>2}. {local_label(step.due_at, lead.timezone, ctx.now())}  "
            f"{step.channel}{message}  [{step.stage}]"
        )
    return 0
