"""The command line's subcommands, one module per family.

Each module listed in `MODULES` has `register(commands)`, which adds its argparse
sub-parsers and sets `run=handler` on each; a handler is `handler(ctx, args) -> int`.
To add a command family, write a module here and list it in `MODULES`.
"""

from __future__ import annotations

MODULES: tuple[str, ...] = (
    "leadtui.subcommands.leads",  # add, show, log, undo, plan
    "leadtui.subcommands.find",  # find
    "leadtui.subcommands.queue",  # queue
    "leadtui.subcommands.transfer",  # import, export
    "leadtui.subcommands.maintenance",  # paths, doctor
    "leadtui.subcommands.blitz",  # blitz
    "leadtui.subcommands.report",  # report
    "leadtui.subcommands.intake",  # intake serve, intake mail
    "leadtui.subcommands.db",  # db init, db migrate, db copy
)
