"""Structured logs: one key=value line per record, with the request and delivery id on it.

The ids live in context variables: the web app binds a request id per request, the inbox and
the worker bind the delivery id while they handle one, and `ContextFilter` copies both onto
every record. `KeyValueFormatter` also runs its finished line (tracebacks included) through
the one secret masker (`bot.masking`), as a last line of defence: the code does not log
secrets in the first place, and every record was masked when it was made.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.masking import mask, register_secret

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
delivery_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("delivery_id", default="-")


@contextmanager
def bound(var: contextvars.ContextVar[str], value: str) -> Iterator[None]:
    """Set a context id for the duration of a block, restoring the previous value after."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def bind_delivery(platform: str, delivery_id: str):
    """Context manager tagging log lines with `platform:delivery_id`."""
    return bound(delivery_id_var, f"{platform}:{delivery_id}")


class ContextFilter(logging.Filter):
    """Adds `request_id` and `delivery_id` attributes to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the ids; never drops a record."""
        record.request_id = request_id_var.get()
        record.delivery_id = delivery_id_var.get()
        return True


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=… logger=… request_id=… delivery_id=… msg="…"` on a single line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        for secret in secrets:
            register_secret(secret)

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, exception text included, as one escaped line."""
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        fields = {
            "ts": ts,
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "delivery_id": getattr(record, "delivery_id", delivery_id_var.get()),
            "msg": message,
        }
        return mask(" ".join(f"{key}={_quote(str(value))}" for key, value in fields.items()))


def _quote(value: str) -> str:
    if value and not any(c in value for c in ' "=\n\\'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def configure_logging(
    level: str = "INFO", secrets: Iterable[str] = (), path: Path | None = None
) -> logging.Handler:
    """Send the root logger's records to stderr (or appended to the file at `path`) as
    key=value lines; return the handler."""
    handler: logging.Handler
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(KeyValueFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_kuaidi", False):
            root.removeHandler(old)
            old.close()
    handler._kuaidi = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
