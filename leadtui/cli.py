"""The `leadtui` command line: global options, the subcommand registry, exit statuses.

No command opens the workstation (the TUI). Exit status 0 on success, 1 on a refused or
failed operation (one line on stderr, prefixed "leadtui: "), 2 on usage errors.
Subcommands live in `leadtui.subcommands` (one module per family).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime

from leadtui import __version__
from leadtui.clock import Clock, FixedClock, SystemClock
from leadtui.config import ConfigError, save_settings_values
from leadtui.domain.model import LeadError
from leadtui.domain.times import check_clock
from leadtui.paths import resolve_paths
from leadtui.store.protocol import LeadNotFound, StoreError
from leadtui.subcommands import MODULES
from leadtui.subcommands.common import visible
from leadtui.subcommands.context import CommandFailed, Context

DEMO_REP = {"rep_name": "Demo Rep", "rep_phone": "(555) 010-0199"}


def parse_now(text: str) -> datetime:
    """--now: ISO 8601 with Z or an offset; a time without one is UTC."""
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in "zZ" else raw)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {text!r} (e.g. {datetime.now(UTC):%Y-%m-%d}T14:05:00-04:00)"
        ) from None
    try:
        aware = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
        return check_clock(aware, "--now")
    except LeadError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _home(text: str) -> str:
    """--home: a folder; an empty value is a usage error, never "use the default"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty: give a folder, or leave --home out")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, then one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="leadtui",
        description="A terminal workstation for working inbound leads by phone. "
        "Without a command, opens the workstation.",
    )
    parser.add_argument("--version", action="version", version=f"leadtui {__version__}")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--home", metavar="DIR", default=None, type=_home,
        help="keep all data and config in DIR (default: $LEADTUI_HOME, else the usual folders)",
    )  # fmt: skip
    where.add_argument(
        "--demo", action="store_true",
        help="use a fresh temporary copy of about 40 demo leads (never your own data)",
    )  # fmt: skip
    parser.add_argument(
        "--now", metavar="ISO-8601", type=parse_now, default=None,
        help="pretend it is this time for this one command (Z or offset; none = UTC)",
    )  # fmt: skip
    parser.add_argument("--theme", metavar="NAME", default=None, help="colour theme to use")
    parser.add_argument(
        "--db", metavar="URL", default=None,
        help="a team's PostgreSQL database (postgresql://…; default: $LEADTUI_DB, the config's "
        "'database', else the TinyDB file in the data folder)",
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _dashes_kept(parser, args)
    except SystemExit as done:  # --help, --version, usage errors (2)
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    clock: Clock = FixedClock(args.now) if args.now else SystemClock()
    ctx: Context | None = None
    try:
        ctx = make_context(args, clock)
        if args.demo:
            fill_demo(ctx, announce=args.command is not None)
        if args.command is None:
            return run_workstation(ctx)
        return int(args.run(ctx, args) or 0)
    except LeadNotFound as err:
        return fail(str(err))
    except (ConfigError, StoreError, LeadError, CommandFailed, _cadence_error()) as err:
        return fail(err)
    except OverflowError:  # a time stored before the accepted ranges (domain/times.py)
        return fail(
            "a stored time is out of range (e.g. year 1 or 9999): `leadtui doctor` finds it "
            "and `leadtui doctor --repair` sets it aside"
        )
    except BrokenPipeError:
        sys.stderr.close()  # a reader such as `head` went away: nothing more to say
        return 1
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        return fail(f"{where}{err.strerror or err}")
    except KeyboardInterrupt:
        return 130
    finally:
        if ctx is not None:
            try:
                ctx.close()
            except (StoreError, OSError) as err:
                fail(err)


def _cadence_error() -> type[Exception]:
    from leadtui.domain.cadence import CadenceError

    return CadenceError


def fail(reason: object) -> int:
    """Print one line `leadtui: reason` on stderr; exit status 1. Control and bidi
    characters (from a file name, a path, an echoed value) are shown escaped, never raw."""
    text = visible(" ".join(str(reason).split())) or "failed"
    print(f"leadtui: {text}", file=sys.stderr)
    return 1


def make_context(args: argparse.Namespace, clock: Clock) -> Context:
    """Paths, clock and flag overrides; --demo gets a fresh temporary home."""
    overrides: dict[str, object] = {"theme": args.theme} if args.theme else {}
    if getattr(args, "db", None) is not None:
        overrides["database"] = args.db
    demo_dir = tempfile.mkdtemp(prefix="leadtui-demo-") if args.demo else None
    paths = resolve_paths(demo_dir or args.home)
    return Context(paths, clock, sys.stdout, sys.stderr, overrides=overrides, demo_dir=demo_dir)


def fill_demo(ctx: Context, *, announce: bool) -> None:
    """Put the demo rep's settings and the demo leads into the (temporary) demo home."""
    from leadtui.data.demo import build_demo

    save_settings_values(ctx.paths.config, **DEMO_REP)
    build_demo(ctx.store, ctx.now(), cadence=ctx.cadence, settings=ctx.settings)
    if announce:
        print(f"(demo data in {ctx.demo_dir})", file=sys.stderr)


def run_workstation(ctx: Context) -> int:
    """The TUI; without a terminal the queue as text instead."""
    if not (ctx.stdout.isatty() and sys.stdin.isatty()):
        from leadtui.subcommands.queue import print_table, queue_entries

        entries = queue_entries(ctx, include_all=False)
        print_table(ctx, entries or queue_entries(ctx, include_all=True), include_all=not entries)
        if ctx.demo_dir:
            print(f"(demo data in {ctx.demo_dir})", file=sys.stderr)
        return 0
    return ctx.run_tui()


def _dashes_kept(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Python's argparse drops a value that is exactly "--" (`--when=--`), leaving [] where
    one text belongs: give the option its value back (through its type, so a bad one is
    a usage error, exit 2, as any other)."""
    actions = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            if chosen is not None:
                actions.extend(chosen._actions)
    for action in actions:
        value = getattr(args, action.dest, None)
        single = isinstance(action, argparse._StoreAction) and action.nargs is None
        if single and isinstance(value, list) and not value and action.option_strings:
            try:
                setattr(args, action.dest, action.type("--") if callable(action.type) else "--")
            except (TypeError, ValueError, argparse.ArgumentTypeError) as err:
                parser.error(f"argument {'/'.join(action.option_strings)}: {err}")
