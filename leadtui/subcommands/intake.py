"""`leadtui intake serve` (the webhook) and `leadtui intake mail` (the mailbox watcher):
long-lived services that add leads by themselves, through the same path as `leadtui add`.

Their libraries (Starlette, uvicorn, IMAPClient) are the optional `intake` extra; without
them the command says so in one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from leadtui.subcommands.context import CommandFailed, Context

TOKEN_ENV = "LEADTUI_INTAKE_TOKEN"
PASSWORD_ENV = "LEADTUI_IMAP_PASSWORD"
MISSING_EXTRA = (
    "the intake services need the 'intake' extra ({name} is not installed): "
    "pip install 'leadtui[intake]'"
)


def register(commands: argparse._SubParsersAction) -> None:
    intake = commands.add_parser("intake", help="services that add leads by themselves")
    services = intake.add_subparsers(dest="service", metavar="SERVICE", required=True)

    serve = services.add_parser("serve", help="the webhook: POST /leads over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port to listen on (8765)")
    serve.set_defaults(run=run_serve)

    mail = services.add_parser("mail", help="watch an IMAP mailbox for lead emails")
    mail.add_argument("--imap", metavar="HOST", required=True, help="the IMAP server")
    mail.add_argument("--port", type=int, default=None, help="port (993; 143 without TLS)")
    mail.add_argument("--user", required=True, help="the mailbox's login")
    mail.add_argument("--folder", default="INBOX", help="folder to watch (INBOX)")
    mail.add_argument(
        "--tls", choices=("ssl", "starttls", "none"), default="ssl",
        help="ssl (default), starttls, or none (only for a server on this machine)",
    )  # fmt: skip
    mail.add_argument(
        "--password-file", type=Path, default=None,
        help=f"read the password from this file (default: ${PASSWORD_ENV})",
    )  # fmt: skip
    mail.add_argument(
        "--check", action="store_true",
        help="list the messages that did not give a lead, with the reason, and exit",
    )  # fmt: skip
    mail.add_argument(
        "--once", action="store_true", help="read the new messages once and exit (no watching)"
    )
    mail.set_defaults(run=run_mail)


def _need(*modules: str) -> None:
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            raise CommandFailed(MISSING_EXTRA.format(name=name)) from None


def run_serve(ctx: Context, args: argparse.Namespace) -> int:
    _need("starlette", "uvicorn")
    from leadtui.intake.http import ENV_SOURCE, Gate, Webhook, serve

    if not 0 < args.port < 65536:
        raise CommandFailed(f"--port {args.port} is not a port number (1-65535)")
    settings = ctx.settings
    tokens = dict(settings.intake.tokens)
    env_token = ctx.env.get(TOKEN_ENV, "").strip()
    if env_token:
        if len(env_token) < 16:
            raise CommandFailed(f"{TOKEN_ENV} must be at least 16 characters")
        tokens[ENV_SOURCE] = env_token
    if not tokens and not settings.intake.secrets:
        raise CommandFailed(
            f"no intake token configured: set {TOKEN_ENV} or add [intake.tokens] to "
            f"{ctx.paths.config} (the webhook never runs open)"
        )
    gate = Gate(
        tokens=tokens, secrets=dict(settings.intake.secrets), rate=settings.intake.rate_limit
    )
    webhook = Webhook(
        store=ctx.store,
        gate=gate,
        now=ctx.now,
        region=settings.default_region,
        default_timezone=settings.default_timezone,
    )
    serve(webhook, args.host, args.port)
    return 0


def _password(ctx: Context, args: argparse.Namespace) -> str:
    if args.password_file is not None:
        try:
            text = args.password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise CommandFailed(f"{args.password_file}: cannot read the password ({err})") from None
        password = text.rstrip("\r\n")
    else:
        password = ctx.env.get(PASSWORD_ENV, "")
    if not password:
        raise CommandFailed(
            f"no IMAP password: set {PASSWORD_ENV} or give --password-file (never an argument)"
        )
    return password


def run_mail(ctx: Context, args: argparse.Namespace) -> int:
    _need("imapclient")
    from leadtui.intake.mail import Mailbox, MailError, Watcher, check

    port = args.port or (993 if args.tls == "ssl" else 143)
    if not 0 < port < 65536:
        raise CommandFailed(f"--port {port} is not a port number (1-65535)")
    mailbox = Mailbox(
        host=args.imap,
        port=port,
        user=args.user,
        password=_password(ctx, args),
        folder=args.folder,
        tls=args.tls,
    )
    settings = ctx.settings
    try:
        if args.check:
            problems = check(mailbox, settings, ctx.now())
            for problem in problems:
                ctx.print(problem)
            if not problems:
                ctx.print(f"no message in {args.folder} was refused as a lead")
            return 0
        watcher = Watcher(
            mailbox,
            store=ctx.store,
            settings=settings,
            now=ctx.now,
            say=lambda line: print(line, file=ctx.stderr, flush=True),
        )
        watcher.run(once=args.once)
    except MailError as err:
        raise CommandFailed(str(err)) from None
    return 0
