"""`leadtui import` (CSV in) and `leadtui export` (CSV or JSON Lines out)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from leadtui.io.csv_import import ImportFileError
from leadtui.io.export import export_text
from leadtui.paths import write_private_file
from leadtui.service.leads import import_leads
from leadtui.subcommands.common import print_json, safe, visible
from leadtui.subcommands.context import CommandFailed, Context


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = commands.add_parser("import", help="import leads from a CSV file ('-' = stdin)")
    imp.add_argument("file", metavar="FILE", help="CSV file, or - for standard input")
    imp.add_argument("--source", default="", help="source for rows that have none")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(run=run_import)

    exp = commands.add_parser("export", help="every lead as CSV or JSON Lines")
    exp.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    exp.add_argument("--output", metavar="FILE", default=None, help="write here (mode 0600)")
    exp.set_defaults(run=run_export)


def read_input(name: str) -> bytes:
    """The bytes of FILE or of stdin ('-'); CommandFailed when it cannot be read."""
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise CommandFailed(f"cannot read {name}: it is a folder") from None
    except OSError as err:
        raise CommandFailed(f"cannot read {name}: {err.strerror or err}") from None


def run_import(ctx: Context, args: argparse.Namespace) -> int:
    data = read_input(args.file)
    label = "standard input" if args.file == "-" else args.file
    try:
        report = import_leads(ctx.store, data, ctx.settings, ctx.now(), source=args.source)
    except ImportFileError as err:
        raise CommandFailed(f"{label}: {err}") from None
    if args.json:
        print_json(ctx, report.as_dict())
        return 0
    reopened = f" ({report.reopened} closed lead(s) reopened)" if report.reopened else ""
    ctx.print(
        f"imported {report.imported}, duplicates {report.duplicates}{reopened}, "
        f"rejected {len(report.rejected)}"
    )
    for rejection in report.rejected:
        ctx.print(f"  line {rejection.line}: {safe(rejection.reason, 200)}")
    return 0


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
