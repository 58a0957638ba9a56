"""`leadtui queue`: the ranked call queue as a table or JSON (also the TUI's stand-in)."""

from __future__ import annotations

import argparse

from leadtui.domain.model import QueueEntry
from leadtui.domain.queue import describe_action, format_age
from leadtui.domain.when import relative
from leadtui.domain.window import local_time, next_moment
from leadtui.service import queue as queue_service
from leadtui.subcommands.common import entry_dict, print_json, safe
from leadtui.subcommands.context import Context


def positive(text: str) -> int:
    """A `--limit`: 1 or more (0 would show nothing, so it is a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more (leave it out for no limit)")
    return value


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    queue = commands.add_parser("queue", help="the ranked call queue")
    queue.add_argument("--all", action="store_true", help="every active lead, not only due ones")
    queue.add_argument("--json", action="store_true", help="print JSON")
    queue.add_argument("--limit", type=positive, default=None, help="at most N leads (1 or more)")
    queue.set_defaults(run=run_queue)


def queue_entries(ctx: Context, *, include_all: bool) -> list[QueueEntry]:
    """The ranked queue now, with claims shown (`service.queue`, as the workstation ranks)."""
    return queue_service.queue_entries(
        ctx.store, ctx.now(), ctx.cadence, ctx.settings, include_all=include_all
    )


def first_entries(ctx: Context, limit: int, *, include_all: bool) -> list[QueueEntry]:
    """The head of the queue (`service.queue.queue_page`: only those rows are read)."""
    page = queue_service.queue_page(ctx.store, ctx.now(), ctx.settings, limit=limit,
                                    due_only=not include_all)  # fmt: skip
    return list(page.entries)


def run_queue(ctx: Context, args: argparse.Namespace) -> int:
    if args.limit:
        entries = first_entries(ctx, args.limit, include_all=args.all)
    else:
        entries = queue_entries(ctx, include_all=args.all)
    if args.json:
        now = ctx.now()
        print_json(ctx, [entry_dict(entry, now) for entry in entries])
        return 0
    print_table(ctx, entries, include_all=args.all)
    return 0


def print_table(ctx: Context, entries: list[QueueEntry], *, include_all: bool) -> None:
    """A plain-text table that fits 80 columns (ids of 8 characters); `!` marks aging leads."""
    now = ctx.now()
    if not entries:
        what = "no active leads" if include_all else "nothing is due right now"
        hint = "" if include_all else " (leadtui queue --all lists every active lead)"
        ctx.print(f"{what}{hint}")
        return
    window = ctx.settings.window
    aging = [entry for entry in entries if entry.aging]
    header = f"{len(entries)} lead(s)" + (" due now" if not include_all else " active")
    if aging:
        oldest = max(entry.age_seconds for entry in aging)
        header += f"; {len(aging)} aging (oldest {format_age(oldest)})"
    ctx.print(header)
    ctx.print(f"  {'AGE':>6}  {'NAME':<17}  {'LOCAL':<5}  {'NEXT':<24}  {'DUE':<8}  ID")
    for entry in entries:
        lead, action = entry.lead, entry.next_action
        mark = "!" if entry.aging else " "
        # not due: when it may really happen (a shut window, a callback past its grace)
        due = "now" if entry.due else relative(next_moment(action, lead, window, now), now)
        taken = f"  (taken by {safe(entry.claimed_by, 20)})" if entry.claimed_by else ""
        ctx.print(
            f"{mark} {format_age(entry.age_seconds):>6}  {safe(lead.name, 17):<17}  "
            f"{local_time(now, lead.timezone):%H:%M}  "
            f"{safe(describe_action(action, lead.timezone), 24):<24}  {due:<8}  "
            f"{lead.id}{taken}"
        )
