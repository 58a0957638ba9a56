"""`leadtui report`: what speed and persistence earn, as text or JSON (README: Report JSON)."""

from __future__ import annotations

import argparse

from leadtui.domain.times import check_clock
from leadtui.io.report import render_text
from leadtui.service.reports import report
from leadtui.subcommands.common import parse_iso, print_json, safe
from leadtui.subcommands.context import CommandFailed, Context


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report", help="speed to lead, contact rate, persistency, by source and rep; blitz history"
    )
    report.add_argument("--json", action="store_true", help="print JSON (keys in the README)")
    report.add_argument(
        "--since", metavar="ISO", default=None, help="only leads received at or after this time"
    )
    report.add_argument(
        "--source", metavar="S", default=None, help="only leads from this source (any case)"
    )
    report.add_argument(
        "--rep", metavar="NAME", default=None,
        help="only this rep's touches (the rep_name on each touch, any case) and their leads",
    )  # fmt: skip
    report.set_defaults(run=run_report)


def run_report(ctx: Context, args: argparse.Namespace) -> int:
    since = (
        check_clock(parse_iso(args.since, "--since", ctx.now()), "--since") if args.since else None
    )
    seen: set[str] = set()  # every lead's source, noted in the report's one pass
    data = report(
        ctx.store, ctx.now(), ctx.settings.threshold, since=since, source=args.source,
        rep=args.rep, sources=seen,
    )  # fmt: skip
    if args.source is not None and args.source.strip().casefold() not in {
        name.casefold() for name in seen
    }:
        known = sorted(seen, key=str.casefold)
        listed = ", ".join(safe(name, 30) for name in known) or "none yet"
        wanted = safe(args.source, 40)
        raise CommandFailed(f"no leads from source {wanted!r} (sources: {listed})")
    if args.json:
        print_json(ctx, data)
    else:
        ctx.stdout.write(render_text(data))
    return 0
