"""`leadtui paths` and `leadtui doctor`: where the files are, and whether they are healthy."""

from __future__ import annotations

import argparse

from leadtui.subcommands.common import print_json, safe, visible
from leadtui.subcommands.context import CommandFailed, Context


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    paths = commands.add_parser("paths", help="where leadtui keeps its files")
    paths.add_argument("--json", action="store_true")
    paths.set_defaults(run=run_paths)

    doctor = commands.add_parser("doctor", help="check the database (and repair it)")
    doctor.add_argument(
        "--repair", action="store_true", help="restore the last good state if it is damaged"
    )
    doctor.set_defaults(run=run_doctor)


def run_paths(ctx: Context, args: argparse.Namespace) -> int:
    data = ctx.paths.as_dict()
    data.update(ctx.backend())
    if args.json:
        print_json(ctx, data)
    else:
        width = max(len(key) for key in data) + 2
        for key, value in data.items():
            ctx.print(f"{key + ':':<{width}}{visible(value)}")
    return 0


def run_doctor(ctx: Context, args: argparse.Namespace) -> int:
    """Print the store's report; exit 1 when a line reports a problem."""
    if ctx.database:
        from leadtui.store.postgres.doctor import run_pg_doctor

        lines = run_pg_doctor(
            ctx.database, cadence=ctx.cadence, window=ctx.settings.window, repair=args.repair
        )
    else:
        from leadtui.store.repository import doctor

        lines = [f"ok: backend tinydb at {ctx.paths.db}"]
        lines += doctor(ctx.paths.db, repair=args.repair, now=ctx.now(), cadence=ctx.cadence)
    for line in lines:
        ctx.print(safe(str(line)))
    problems = [line for line in lines if str(line).startswith("problem:")]
    if problems:
        stuck = any("upgrade leadtui" in line or "cannot restore" in line for line in problems)
        if args.repair:
            hint = ""
        elif all(line.startswith("problem: stored time out of range") for line in problems):
            hint = "; `leadtui doctor --repair` sets them aside (nothing is deleted)"
        elif stuck:
            hint = "; --repair cannot fix this (see the lines above)"
        else:
            hint = "; `leadtui doctor --repair` restores the last good state"
        raise CommandFailed(f"{ctx.backend()['database']}: {len(problems)} problem(s) found{hint}")
    return 0
