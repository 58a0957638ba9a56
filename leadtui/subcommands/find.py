"""`leadtui find TEXT`: the leads a name, a phone number (any format) or an email points to."""

from __future__ import annotations

import argparse

from leadtui.domain.find import find_leads
from leadtui.domain.phone import format_phone
from leadtui.io.export import lead_to_dict
from leadtui.subcommands.common import print_json, safe
from leadtui.subcommands.context import CommandFailed, Context


def register(commands: argparse._SubParsersAction) -> None:
    find = commands.add_parser(
        "find", help="find leads by name, phone (any format) or email; best match first"
    )
    find.add_argument("text", metavar="TEXT", help="a name, a phone number or an email")
    find.add_argument("--json", action="store_true", help="print JSON")
    find.add_argument("--limit", type=int, default=20, help="at most N leads (default 20)")
    find.set_defaults(run=run_find)


def _people(e164: str) -> str:
    try:
        return format_phone(e164)
    except Exception:
        return e164


def run_find(ctx: Context, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CommandFailed("--limit must be 1 or more")
    if not args.text.strip():
        raise CommandFailed("find needs some text: a name, a phone number or an email")
    found = find_leads(ctx.store.leads(), args.text, ctx.settings.default_region)[: args.limit]
    if args.json:
        print_json(ctx, [{**lead_to_dict(f.lead), "matched": f.matched, "score": f.score}
                         for f in found])  # fmt: skip
        return 0
    if not found:
        raise CommandFailed(f"no lead matches {safe(args.text, 40)!r}")
    for f in found:
        lead = f.lead
        ctx.print(
            f"{lead.id:<8}  {safe(lead.name, 24):<24}  {_people(lead.phone):<17}  "
            f"{safe(lead.email, 28):<28}  {lead.status}"
        )
    return 0
