"""`kuaidi-bot` command line: run, console, worker, detect, carriers sync, and platform tools.

`run` serves everything configured in one process; with no platform configured it opens the
console chat (demo data when no AppCode is set).
"""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import Settings

log = logging.getLogger("kuaidi-bot")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kuaidi-bot` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    settings = Settings()
    _configure_logging(settings, quiet=args.command in ("console", "detect"))
    return int(args.func(settings, args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kuaidi-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="serve every configured platform (console if none)").set_defaults(
        func=cmd_run
    )
    sub.add_parser("console", help="chat with the bot in this terminal").set_defaults(
        func=cmd_console
    )
    sub.add_parser("detect", help="JSON lines in, detected waybills out").set_defaults(
        func=cmd_detect
    )
    carriers = sub.add_parser("carriers", help="carrier registry tools")
    carriers_sub = carriers.add_subparsers(dest="carriers_command", required=True)
    carriers_sub.add_parser("sync", help="refresh from the upstream carrier list").set_defaults(
        func=cmd_carriers_sync
    )
    return parser


def _configure_logging(settings: Settings, *, quiet: bool) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), 20)
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )
    # httpx logs every request URL at INFO; URLs can carry secrets (WeCom's gettoken).
    logging.getLogger("httpx").setLevel(logging.WARNING)


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    """Open the console chat on the configured (or demo) provider."""
    from adapters.console import run_console
    from bot.assembly import build_core

    core = build_core(settings)
    try:
        return run_console(core.engine, demo=settings.demo)
    finally:
        core.close()


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the configured platforms; fall back to the console when none is configured."""
    if not settings.any_platform:
        print("No chat platform configured: opening the console chat.", file=sys.stderr)
        return cmd_console(settings, args)
    from adapters.serve import serve_all

    return serve_all(settings)


def cmd_detect(settings: Settings, args: argparse.Namespace) -> int:
    """`{"text": …}` JSON lines on stdin → `{"found": […]}` JSON lines on stdout."""
    from bot.waybills.cli import detect_stream

    return detect_stream(sys.stdin, sys.stdout)


def cmd_carriers_sync(settings: Settings, args: argparse.Namespace) -> int:
    """Page through the upstream carrier list and save it over the shipped registry."""
    from bot.carriers.sync import sync_registry

    from bot.assembly import carriers_override_path
    from bot.upstream import NotConfigured, UpstreamError, build_provider

    provider = build_provider(settings)
    path = carriers_override_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        count = sync_registry(lambda page: provider.carriers(page=page), path)
    except NotConfigured:
        print("KUAIDI_CARRIERS_PATH is not set: nothing to sync from.", file=sys.stderr)
        return 1
    except UpstreamError as error:
        print(f"carrier sync failed: {error}", file=sys.stderr)
        return 1
    print(f"synced {count} carriers into {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
