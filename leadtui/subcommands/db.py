"""`leadtui db init | migrate | copy`: the team database's schema, and moving a pool.

`db init` creates the schema in an empty PostgreSQL database; `db migrate` carries an
older schema forward (numbered migrations); `db copy --from SRC --to DST` copies a whole
pool between any two backends and verifies it. A SRC/DST is a PostgreSQL URL or conninfo,
or a TinyDB pool: its file (leads.json) or the folder holding it. Passwords are masked in
everything printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from leadtui.dburl import is_postgres_url, mask_url
from leadtui.subcommands.common import print_json, visible
from leadtui.subcommands.context import CommandFailed, Context


def register(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("db", help="the team database: init, migrate, copy")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create the schema in an empty PostgreSQL database")
    init.set_defaults(run=run_init)
    migrate = actions.add_parser("migrate", help="carry the schema forward to this version")
    migrate.set_defaults(run=run_migrate)
    copy = actions.add_parser("copy", help="copy a whole pool between two backends")
    copy.add_argument("--from", dest="source", metavar="SRC", required=True,
                      help="PostgreSQL URL, or a TinyDB file or folder")  # fmt: skip
    copy.add_argument("--to", dest="destination", metavar="DST", required=True,
                      help="PostgreSQL URL, or a TinyDB file or folder")  # fmt: skip
    copy.add_argument("--json", action="store_true", help="print the checks as JSON")
    copy.set_defaults(run=run_copy)


def _server(ctx: Context) -> str:
    if not ctx.database:
        raise CommandFailed(
            "no PostgreSQL database chosen: give --db URL (or set LEADTUI_DB or the "
            "config's 'database')"
        )
    return ctx.database


def run_init(ctx: Context, args: argparse.Namespace) -> int:
    from leadtui.store.postgres.schema import init_schema

    url = _server(ctx)
    before, after = init_schema(url)
    if before == after:
        ctx.print(f"{mask_url(url)}: already at schema {after}; nothing to do")
    else:
        ctx.print(f"{mask_url(url)}: created the leadtui schema (version {after})")
    return 0


def run_migrate(ctx: Context, args: argparse.Namespace) -> int:
    from leadtui.store.postgres.schema import migrate

    url = _server(ctx)
    before, after = migrate(url)
    if before == after:
        ctx.print(f"{mask_url(url)}: schema {after} is current; nothing to do")
    else:
        ctx.print(f"{mask_url(url)}: migrated schema {before} -> {after}")
    return 0


def _open(ctx: Context, where: str) -> Any:
    if is_postgres_url(where):
        from leadtui.store.postgres import open_pg_store

        return open_pg_store(where, cadence=ctx.cadence, window=ctx.settings.window)
    from leadtui.paths import ensure_private_dir
    from leadtui.store.repository import open_store

    path = Path(where).expanduser()
    if path.is_dir():
        path = path / "leads.json"
    ensure_private_dir(path.parent)
    return open_store(path, cadence=ctx.cadence, clock=ctx.clock.now)


def _shown(where: str) -> str:
    return mask_url(where) if is_postgres_url(where) else visible(where)


def run_copy(ctx: Context, args: argparse.Namespace) -> int:
    from leadtui.store.copy import copy_pool

    source_path = Path(args.source).expanduser()
    if not is_postgres_url(args.source) and not (
        source_path.is_file() or (source_path / "leads.json").is_file()
    ):
        raise CommandFailed(f"{visible(args.source)}: no leadtui pool there to copy from")
    source = _open(ctx, args.source)
    try:
        destination = _open(ctx, args.destination)
        try:
            checks = copy_pool(source, destination)
        finally:
            destination.close()
    finally:
        source.close()
    if args.json:
        print_json(ctx, {
            "from": _shown(args.source),
            "to": _shown(args.destination),
            "tables": [
                {"table": c.table, "rows": c.source, "copied": c.copied,
                 "sha256": c.checksum, "verified": c.matches}
                for c in checks
            ],
        })  # fmt: skip
        return 0
    ctx.print(f"copied {_shown(args.source)} -> {_shown(args.destination)}")
    for c in checks:
        ctx.print(f"  {c.table:<8} {c.source:>8} rows, {c.copied:>8} new, "
                  f"sha256 {c.checksum[:16]}, verified")  # fmt: skip
    return 0
