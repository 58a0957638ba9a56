"""`leadtui blitz`: open the workstation straight into a timed call blitz."""

from __future__ import annotations

import argparse
import sys

from leadtui.subcommands.context import CommandFailed, Context

MAX_MINUTES = 8 * 60


def minutes_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if not 0 < value <= MAX_MINUTES:
        raise argparse.ArgumentTypeError(f"minutes must be above 0 and at most {MAX_MINUTES}")
    return value


def goal_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of calls: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the goal must be 1 call or more")
    return value


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    blitz = commands.add_parser(
        "blitz", help="a timed calling session: countdown, tallies, pace, next lead by itself"
    )
    blitz.add_argument(
        "--minutes", type=minutes_value, default=60.0, help="length of the blitz (default 60)"
    )
    blitz.add_argument("--goal", type=goal_value, default=None, metavar="CALLS",
                       help="dials to aim for (shows the pace against it)")  # fmt: skip
    blitz.set_defaults(run=run_blitz)


def run_blitz(ctx: Context, args: argparse.Namespace) -> int:
    if not (ctx.stdout.isatty() and sys.stdin.isatty()):
        raise CommandFailed("blitz needs a terminal (over SSH: ssh -t host leadtui blitz)")
    return ctx.run_tui(blitz=(args.minutes, args.goal))
