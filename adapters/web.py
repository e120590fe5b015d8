"""The Flask app: the platforms' webhook blueprints, health, readiness and metrics.

Webhook views only verify, parse and hand the message to the runtime's inbox, then answer;
everything slow happens in the worker. Errors are JSON without internals. In production it
runs under gunicorn: `adapters/wsgi.py` builds the runtime and adapters from the settings
(through the composition root, `adapters.assembly`) and exposes `app`, served by
`gunicorn 'adapters.wsgi:app'`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping

from flask import Flask, Response, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException

from adapters.base import PlatformAdapter
from adapters.body_deadline import BodyDeadline
from adapters.kuaidi100_callback import callback_blueprint
from bot.runtime.logs import delivery_id_var, request_id_var
from bot.runtime.metrics import CONTENT_TYPE, StatsSource
from bot.runtime.ports import MalformedId
from bot.runtime.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)

#: `ready_check()` returns True/False, or named checks {"telegram_config": True, …}.
ReadyCheck = Callable[[], bool | Mapping[str, bool]]

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def create_app(
    runtime: Runtime,
    adapters: Iterable[PlatformAdapter],
    settings: Settings,
    ready_check: ReadyCheck | None = None,
    *,
    upstream_stats: StatsSource | None = None,
) -> Flask:
    """Build the app: one blueprint per enabled adapter, plus /healthz, /readyz, /metrics."""
    app = Flask("kuaidi-bot")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    # Read by adapters.buffered_worker too: the server and the app enforce the same limits.
    app.config["REQUEST_READ_TIMEOUT"] = settings.request_read_timeout
    app.wsgi_app = BodyDeadline(app.wsgi_app, settings.request_read_timeout)
    app.json.ensure_ascii = False
    for adapter in adapters:
        blueprint = adapter.blueprint(runtime.inbox)
        if blueprint is not None:
            app.register_blueprint(blueprint)
            log.info("webhook routes registered for %s", adapter.name)
    pushes = callback_blueprint(runtime.inbox, settings)
    if pushes is not None:  # Kuaidi100's push callbacks, when configured
        app.register_blueprint(pushes)
    _install_request_context(app, settings.max_request_bytes)
    _install_error_handlers(app)
    _install_service_routes(app, runtime, ready_check, upstream_stats)
    return app


def _install_request_context(app: Flask, max_bytes: int) -> None:
    @app.before_request
    def _bind_request() -> None:
        if _too_large(max_bytes):
            abort(413)
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID_OK.match(given) else uuid.uuid4().hex[:16]
        request_id_var.set(g.request_id)

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.teardown_request
    def _unbind_request(_exc: BaseException | None) -> None:
        # Server threads are reused: leave nothing behind for the next request's log lines.
        request_id_var.set("-")
        delivery_id_var.set("-")


def _too_large(max_bytes: int) -> bool:
    """True when the body exceeds the limit, checked before any view reads it."""
    if request.content_length is not None:
        return request.content_length > max_bytes
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # Werkzeug silently cuts a chunked body at MAX_CONTENT_LENGTH; read (and cache) it
        # here so that a body reaching the limit is refused, not passed on truncated.
        return len(request.get_data(cache=True)) >= max_bytes
    return False


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        body = {"error": _slug(exc.name), "status": exc.code}
        response = jsonify(body)
        response.status_code = exc.code or 500
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(MalformedId)
    def _malformed_id(exc: MalformedId):
        # Raised by `Inbox.accept` before anything is stored: a retry cannot fix it.
        log.warning("refused %s %s: %s", request.method, request.path, exc)
        return jsonify({"error": "malformed_id", "status": 400}), 400

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return _http_error(exc)
        log.exception("unhandled error in %s %s", request.method, request.path)
        return jsonify({"error": "internal_error", "status": 500}), 500


def _install_service_routes(
    app: Flask,
    runtime: Runtime,
    ready_check: ReadyCheck | None,
    upstream_stats: StatsSource | None,
) -> None:
    @app.get("/healthz")
    def healthz():
        """Alive: the process answers. Says nothing about dependencies."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz():
        """Ready: the database answers and the configuration checks pass."""
        checks = {"database": runtime.db.ping()}
        checks.update(_run_ready_check(ready_check))
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not_ready", "checks": checks}
        return jsonify(body), 200 if ready else 503

    @app.get("/metrics")
    def metrics():
        """Prometheus text exposition."""
        return Response(runtime.metrics_text(upstream_stats), content_type=CONTENT_TYPE)


def _run_ready_check(ready_check: ReadyCheck | None) -> dict[str, bool]:
    if ready_check is None:
        return {}
    try:
        result = ready_check()
    except Exception:  # noqa: BLE001 - a crashing check means "not ready", not a 500
        log.exception("readiness check failed")
        return {"config": False}
    if isinstance(result, Mapping):
        return {str(name): bool(ok) for name, ok in result.items()}
    return {"config": bool(result)}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
