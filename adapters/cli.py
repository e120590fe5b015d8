"""`kuaidi-bot` command line: run, console, worker, poll, detect, scan, carriers sync, check,
and the Telegram webhook tools.

`run` serves everything configured in one process; with no platform configured it opens the
console chat (demo data when no AppCode is set).
"""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import SecretStr

from bot.settings import EnvFileMissing, Settings, env_file_path, load_settings

log = logging.getLogger("kuaidi-bot")

#: Commands that start the bot: they say which settings and data they use.
_STARTERS = ("run", "console", "worker")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kuaidi-bot` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        env_file, named = env_file_path(args.env_file)
    except EnvFileMissing as error:
        print(f"{error} (from --env-file or KUAIDI_ENV_FILE)", file=sys.stderr)
        return 2
    settings = load_settings(env_file)
    if args.command in _STARTERS:
        print(_origin(env_file, settings), file=sys.stderr)
    configure_logging(settings, quiet=args.command in ("console", "detect", "scan"))
    return int(args.func(settings, args) or 0)


def _origin(env_file, settings: Settings) -> str:
    """Where the settings and data come from, said once at start: running from another
    folder must not quietly become a demo bot with a new, empty data directory."""
    if env_file is None:
        source = "no .env here and no --env-file / KUAIDI_ENV_FILE: environment and defaults"
    else:
        source = f"settings from {env_file.resolve()}"
    mode = "demo data (no KUAIDI_APPCODE)" if settings.demo else "real tracking API"
    return f"kuaidi-bot: {source}; data in {settings.data_dir}; {mode}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kuaidi-bot", description=__doc__)
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="settings file (default: $KUAIDI_ENV_FILE, else ./.env)",
    )
    sub = parser.add_subparsers(dest="command")
    simple = {
        "run": (cmd_run, "serve every configured platform (console if none)"),
        "console": (cmd_console, "chat with the bot in this terminal"),
        "detect": (cmd_detect, "JSON lines in, detected waybills out"),
        "check": (cmd_check, "check the database, the upstream AppCode and platform logins"),
    }
    for name, (func, help_text) in simple.items():
        sub.add_parser(name, help=help_text).set_defaults(func=func)
    scan = sub.add_parser("scan", help="read waybill numbers from photos: JSON line per image")
    scan.add_argument("images", nargs="+", metavar="IMAGE", help="photo or screenshot files")
    scan.add_argument("--no-ocr", action="store_true", help="barcodes only, no text reading")
    scan.set_defaults(func=cmd_scan)
    backup = sub.add_parser("backup", help="copy the database into a folder (safe while running)")
    backup.add_argument("directory", help="where the copies go, e.g. /var/backups/kuaidi-bot")
    backup.add_argument("--keep", type=int, default=14, help="copies to keep (default 14)")
    backup.set_defaults(func=cmd_backup)
    worker = sub.add_parser("worker", help="process inbox, outbox and polls (scale-out)")
    worker.add_argument("--intake", action="store_true", help="also run long polling intakes")
    worker.set_defaults(func=cmd_worker)
    poll = sub.add_parser("poll", help="subscription polling")
    poll.add_argument("--once", action="store_true", required=True, help="one round, then exit")
    poll.add_argument("--all", action="store_true", help="every followed, unfinished number")
    poll.set_defaults(func=cmd_poll)
    carriers = sub.add_parser("carriers", help="carrier registry tools")
    carriers_sub = carriers.add_subparsers(dest="carriers_command", required=True)
    carriers_sub.add_parser("sync", help="refresh from the upstream carrier list").set_defaults(
        func=cmd_carriers_sync
    )
    telegram = sub.add_parser("telegram", help="Telegram tools")
    telegram_sub = telegram.add_subparsers(dest="telegram_command", required=True)
    for name in ("set-webhook", "delete-webhook", "set-commands"):
        telegram_sub.add_parser(name).set_defaults(func=cmd_telegram, action=name)
    return parser


def configure_logging(settings: Settings, *, quiet: bool = False, path=None) -> None:
    """key=value logs with delivery ids to LOG_FILE (else `path`, else stderr); configured
    secrets are masked in every line."""
    from bot.runtime.logs import configure_logging as install

    secrets = [
        value.get_secret_value()
        for value in settings.__dict__.values()
        if isinstance(value, SecretStr) and value.get_secret_value()
    ]
    install("WARNING" if quiet else settings.log_level, secrets, settings.log_file or path)
    # httpx logs every request URL at INFO; some URLs carry secrets (WeCom's gettoken).
    logging.getLogger("httpx").setLevel(logging.WARNING)


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    """The console chat, with subscriptions: pushes are printed between prompts."""
    from adapters.assembly import build_application
    from adapters.checks import start_refusal
    from adapters.console import PLATFORM, USER_ID, ConsoleSender, LocalPictures, run_console
    from adapters.downloads import picture_cap

    # Log lines would break up the chat (and stderr shares the terminal): they go to a file.
    log_path = settings.log_file or settings.data_dir / "console.log"
    configure_logging(settings, quiet=True, path=log_path)
    refusal = start_refusal(settings)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    sender = ConsoleSender(sys.stdout)
    # Whoever sits at the console operates the bot: /status is theirs.
    settings.admin_users = ",".join(filter(None, [settings.admin_users, f"{PLATFORM}:{USER_ID}"]))
    app = build_application(
        settings, worker_threads=0, extra_senders={PLATFORM: sender}, adapters=[]
    )
    app.core.attachment_sources[PLATFORM] = LocalPictures(picture_cap(settings))
    app.start(intake=False)
    try:
        return run_console(
            app.core.engine,
            demo=settings.demo,
            input=sys.stdin,
            output=sys.stdout,
            sender=sender,
            log_path=log_path,
        )
    finally:
        app.stop()


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the configured platforms; fall back to the console when none is configured."""
    if not settings.any_platform:
        print("No chat platform configured: opening the console chat.", file=sys.stderr)
        return cmd_console(settings, args)
    from adapters.serve import serve_all

    return serve_all(settings)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """A worker process: inbox, outbox, the poller (unless KUAIDI_POLLER=0)."""
    from adapters.assembly import build_application
    from adapters.checks import start_refusal

    refusal = start_refusal(settings)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    app = build_application(settings)
    app.run_worker(intake=args.intake)
    return 0


def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    """One poll round; its pushes go to the outbox for the running process to send."""
    from adapters.assembly import build_application

    app = build_application(settings, worker_threads=0, sender_threads=0, adapters=[])
    try:
        report = app.poller.run_once(all_numbers=args.all)
    finally:
        app.core.close()
    print(round_line(report))
    return 0


def round_line(report) -> str:
    """One poll round as one readable line."""
    if report.skipped:
        return f"poll round skipped: {report.skipped}; nothing polled"
    line = (
        f"polled {report.polled} number(s): {report.changes} changed, "
        f"{report.pushes} push(es) queued for sending"
    )
    if report.errors:
        line += "; errors: " + ", ".join(f"{k} ×{v}" for k, v in sorted(report.errors.items()))
    return line


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    """Check the database, the upstream and each configured platform's credentials; one
    line per failed part, exit status 1 when any failed."""
    from adapters.checks import run_checks

    problems = run_checks(settings)
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        return 1
    mode = "demo provider (no KUAIDI_APPCODE)" if settings.demo else "upstream AppCode accepted"
    print(f"ok: database reachable, {mode}, platform credentials accepted")
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """A consistent copy of the database (SQLite backup API or pg_dump) into a folder."""
    from pathlib import Path

    from bot.storage.backup import BackupFailed, backup

    try:
        path = backup(settings.db_url, Path(args.directory), keep=max(args.keep, 1))
    except BackupFailed as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 1
    print(f"backup written: {path}")
    return 0


def cmd_detect(settings: Settings, args: argparse.Namespace) -> int:
    """`{"text": …}` JSON lines on stdin → `{"found": […]}` JSON lines on stdout."""
    from bot.waybills.cli import detect_stream

    detect_stream(sys.stdin, sys.stdout, learned_table(settings))
    return 0


def cmd_scan(settings: Settings, args: argparse.Namespace) -> int:
    """One JSON line per image: the waybills in its barcodes or text, or why it was refused."""
    from bot.vision import Limits
    from bot.vision.cli import scan_files

    limits, ocr = Limits.from_settings(settings), False if args.no_ocr else None
    scan_files(args.images, sys.stdout, limits, learned_table(settings), ocr)
    return 0


def learned_table(settings: Settings):
    """The learned carrier table of the bot's database (`DATABASE_URL`, or the SQLite file in
    `DATA_DIR` when it exists), or None: detection then uses the shipped rules alone."""
    from bot.clock import Clock
    from bot.storage import open_database
    from bot.storage.patterns import PatternStore

    sqlite_file = settings.data_dir / "kuaidi-bot.sqlite3"
    if not settings.database_url and not sqlite_file.exists():
        return None
    try:
        db = open_database(settings.db_url)
    except Exception as exc:  # noqa: BLE001 - detection works without it
        print(f"learned table not used: {type(exc).__name__}", file=sys.stderr)
        return None
    try:
        return PatternStore(db, Clock()).load()
    finally:
        db.dispose()


def cmd_carriers_sync(settings: Settings, args: argparse.Namespace) -> int:
    """Page through the upstream carrier list and save it over the shipped registry."""
    from adapters.assembly import carriers_override_path
    from bot.carriers.sync import sync_registry
    from bot.upstream import NotConfigured, UpstreamError, build_provider

    if settings.demo:
        print("carrier sync needs KUAIDI_APPCODE (the demo has no carrier list).", file=sys.stderr)
        return 1
    provider = build_provider(settings)
    path = carriers_override_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = sync_registry(lambda page: provider.carriers(page=page), path)
    except NotConfigured:
        print("KUAIDI_CARRIERS_PATH is not set: nothing to sync from.", file=sys.stderr)
        return 1
    except UpstreamError as error:
        print(f"carrier sync failed: {error}", file=sys.stderr)
        return 1
    print(f"synced into {path}: {report}")
    return 0


def cmd_telegram(settings: Settings, args: argparse.Namespace) -> int:
    """`telegram set-webhook | delete-webhook | set-commands`."""
    from adapters.telegram import delete_webhook, set_commands, set_webhook

    action = {"set-webhook": set_webhook, "delete-webhook": delete_webhook}
    action["set-commands"] = set_commands
    try:
        print(action[args.action](settings))
    except (ValueError, RuntimeError) as error:
        print(f"telegram {args.action} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
