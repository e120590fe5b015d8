"""The bot's own processes in `bench/soak.py`, built by the real composition root
(`adapters.assembly.build_application`) from the environment, as in the Procfile: the web app
(`gunicorn 'bench.soak_roles:web_app()'`) and `kuaidi-bot worker`-like workers. The only
stand-in is the platform: the test platform adapter, signed like Feishu and keyed like
Feishu's `uuid` (tests/fakes/testing_platform.py), posting to the fake platform API.
"""

from __future__ import annotations

import os

from adapters.assembly import build_application
from adapters.cli import configure_logging
from bench.gateway_roles import SECRET
from bot.settings import Settings
from tests.fakes.testing_platform import TestingAdapter


def _settings() -> Settings:
    """DATABASE_URL, REDIS_URL, KUAIDI_* … from the environment only (no .env file)."""
    settings = Settings(_env_file=None)
    configure_logging(settings)
    return settings


def _adapter() -> TestingAdapter:
    return TestingAdapter(SECRET, os.environ["BENCH_PLATFORM_URL"])


def web_app():
    """A web process: verify, record, answer (no worker or sender threads)."""
    settings = _settings()
    application = build_application(
        settings, worker_threads=0, sender_threads=0, adapters=[_adapter()]
    )
    return application.flask


def worker_main() -> None:
    """A worker process: inbox, engine, upstream, outbox, until SIGTERM (or SIGKILL)."""
    build_application(_settings(), adapters=[_adapter()]).run_worker()
