"""The gunicorn entry for web processes in a split deployment: `gunicorn adapters.wsgi:app`.

Web processes only verify, record and answer; `kuaidi-bot worker` processes do the work, so
no worker or sender threads start here.
"""

from __future__ import annotations

from adapters.assembly import build_application
from adapters.cli import configure_logging
from bot.settings import env_file_path, load_settings

# The same settings file as `kuaidi-bot`: KUAIDI_ENV_FILE, else ./.env.
settings = load_settings(env_file_path()[0])
configure_logging(settings)
application = build_application(settings, worker_threads=0, sender_threads=0)
app = application.flask
