"""The gunicorn entry for web processes in a split deployment: `gunicorn adapters.wsgi:app`.

Web processes only verify, record and answer; `kuaidi-bot worker` processes do the work, so
no worker or sender threads start here.
"""

from __future__ import annotations

from adapters.assembly import build_application
from adapters.cli import configure_logging
from bot.settings import Settings

settings = Settings()
configure_logging(settings)
application = build_application(settings, worker_threads=0, sender_threads=0)
app = application.flask
