"""`kuaidi-bot run` with platforms configured: everything in one process under gunicorn.

One gunicorn worker process (threads serve the webhooks) hosts the whole bot: after the fork
it builds the application and starts the runtime's worker and sender threads, the platforms'
intakes (long polling, Feishu long connection) and the subscription poller. With SQLite this
is the whole deployment; for scale-out see the README (web under gunicorn + `worker`s).
"""

from __future__ import annotations

import logging
import sys

from gunicorn.app.base import BaseApplication

from adapters.assembly import Application, build_application
from adapters.checks import start_refusal
from bot.settings import Settings

log = logging.getLogger(__name__)


class OneProcess(BaseApplication):
    """A gunicorn app whose single worker runs the bot and serves its webhooks."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: Application | None = None
        super().__init__()

    def load_config(self) -> None:
        """One worker (the bot's threads live in it), threads for concurrent webhooks; each
        request is read whole before a thread sees it, so slow clients cannot hold them."""
        for key, value in {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": 1,
            "worker_class": "adapters.buffered_worker.BufferedThreadWorker",
            "threads": 8,
            "timeout": 30,
            "graceful_timeout": 20,
            "worker_exit": self._on_exit,
        }.items():
            self.cfg.set(key, value)

    def load(self):
        """Build and start the bot inside the worker process; return its WSGI app."""
        self.application = build_application(self.settings)
        self.application.start()
        return self.application.flask

    def _on_exit(self, _server, _worker) -> None:
        if self.application is not None:
            self.application.stop()


def serve_all(settings: Settings) -> int:
    """Check the upstream configuration, then serve until stopped."""
    refusal = start_refusal(settings)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    OneProcess(settings).run()
    return 0
