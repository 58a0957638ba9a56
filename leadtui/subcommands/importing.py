"""`leadtui import FILE|- [--source S] [--map FIELD=COLUMN]... [--dry-run] [--json]`."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING, BinaryIO

from leadtui.io.aliases import FIELDS
from leadtui.subcommands.common import print_json, safe
from leadtui.subcommands.context import CommandFailed, Context

if TYPE_CHECKING:
    from leadtui.io.csv_import import ImportReport

SHOWN_REJECTIONS = 200  # in the text summary; --json lists up to the report's cap


def map_value(text: str) -> tuple[str, str]:
    """`FIELD=COLUMN` for --map; argparse turns a ValueError into a usage error."""
    name, sep, column = text.partition("=")
    name = name.strip().lower().replace("-", "_")
    if not sep or not column.strip():
        raise argparse.ArgumentTypeError(
            f"expected FIELD=COLUMN, e.g. 'phone=Cell Number': {text!r}"
        )
    if name not in FIELDS:
        raise argparse.ArgumentTypeError(
            f"unknown field {name!r} in {text!r} (fields: {', '.join(FIELDS)})"
        )
    return name, column.strip()


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = commands.add_parser("import", help="import leads from a CSV file ('-' = stdin)")
    imp.add_argument("file", metavar="FILE", help="CSV file, or - for standard input")
    imp.add_argument("--source", default="", help="source for rows that have none")
    imp.add_argument(
        "--map",
        dest="maps",
        metavar="FIELD=COLUMN",
        action="append",
        type=map_value,
        default=[],
        help="read FIELD from the column COLUMN (repeatable); fields: " + ", ".join(FIELDS),
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="read everything, show the mapping, write nothing"
    )
    imp.add_argument("--no-progress", action="store_true", help="no progress display")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(run=run_import)


def _open(name: str) -> tuple[BinaryIO, int | None]:
    """The input stream and its size when it is a regular file (for the time left)."""
    if name == "-":
        raw = sys.stdin.buffer
        try:
            info = os.fstat(raw.fileno())
            size = info.st_size if stat.S_ISREG(info.st_mode) else None
        except (OSError, ValueError):
            size = None
        return raw, size
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed by the caller's ExitStack
    except IsADirectoryError:
        raise CommandFailed(f"cannot read {name}: it is a folder") from None
    except OSError as err:
        raise CommandFailed(f"cannot read {name}: {err.strerror or err}") from None
    info = os.fstat(handle.fileno())
    if stat.S_ISDIR(info.st_mode):
        handle.close()
        raise CommandFailed(f"cannot read {name}: it is a folder")
    return handle, (info.st_size if stat.S_ISREG(info.st_mode) else None)


def run_import(ctx: Context, args: argparse.Namespace) -> int:
    from leadtui.io.csv_import import ImportFileError, MappingError, import_workers
    from leadtui.service.leads import import_leads
    from leadtui.subcommands.import_progress import ImportProgress

    settings = ctx.settings
    label = "standard input" if args.file == "-" else args.file
    with ExitStack() as stack:
        raw, size = _open(args.file)
        if args.file != "-":
            stack.callback(raw.close)
        progress = stack.enter_context(
            ImportProgress(ctx.stderr, size, enabled=not args.no_progress)
        )
        try:
            report = import_leads(
                ctx.store,
                raw,
                settings,
                ctx.now(),
                source=args.source,
                overrides=args.maps,
                dry_run=args.dry_run,
                workers=import_workers(),
                progress=progress,
                read_done=progress.saving,
            )
        except MappingError as err:
            stack.close()
            print(f"leadtui: import: {safe(str(err), 300)}", file=ctx.stderr)
            return 2
        except ImportFileError as err:
            raise CommandFailed(f"{label}: {err}") from None
        except OSError as err:
            raise CommandFailed(f"cannot read {label}: {err.strerror or err}") from None
    if args.json:
        print_json(ctx, report.as_dict())
        return 0
    _print_summary(ctx, report)
    return 0


def _print_summary(ctx: Context, report: ImportReport) -> None:
    if report.format:
        ctx.print(f"looks like a {report.format} export")
    if report.dry_run and report.mapping is not None:
        ctx.print("columns:")
        for name, headers in report.mapping.names().items():
            shown = ", ".join(safe(h, 40) for h in headers)
            ctx.print(f"  {name:<10} <- {shown}")
        ignored = report.mapping.ignored()
        ctx.print(f"  ignored    : {', '.join(safe(h, 40) for h in ignored) or '(none)'}")
    verb = "would import" if report.dry_run else "imported"
    reopened = f" ({report.reopened} closed lead(s) reopened)" if report.reopened else ""
    ctx.print(
        f"{verb} {report.imported}, duplicates {report.duplicates}{reopened}, "
        f"rejected {report.rejected_total}"
        + (" (dry run: nothing written)" if report.dry_run else "")
    )
    for rejection in report.rejected[:SHOWN_REJECTIONS]:
        ctx.print(f"  line {rejection.line}: {safe(rejection.reason, 200)}")
    hidden = report.rejected_total - min(len(report.rejected), SHOWN_REJECTIONS)
    if hidden > 0:
        ctx.print(f"  ... and {hidden} more rejected rows (--json lists up to 10,000)")
