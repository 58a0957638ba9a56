"""`leadtui import` (CSV in, see importing.py) and `leadtui export` (CSV or JSON Lines out)."""

from __future__ import annotations

import argparse
from pathlib import Path

from leadtui.io.export import export_text
from leadtui.paths import write_private_file
from leadtui.subcommands import importing
from leadtui.subcommands.common import visible
from leadtui.subcommands.context import CommandFailed, Context


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importing.register(commands)

    exp = commands.add_parser("export", help="every lead as CSV or JSON Lines")
    exp.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    exp.add_argument("--output", metavar="FILE", default=None, help="write here (mode 0600)")
    exp.set_defaults(run=run_export)


def run_export(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    text, count = export_text(args.format, store.leads(), store.touches_by_lead())
    if args.output is None:
        ctx.stdout.flush()
        buffer = getattr(ctx.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        else:
            ctx.stdout.write(text)
        return 0
    path = Path(args.output)
    try:
        write_private_file(path, text)
    except OSError as err:
        raise CommandFailed(f"cannot write {args.output}: {err.strerror or err}") from None
    ctx.print(f"exported {count} lead(s) to {visible(args.output)}")
    return 0
