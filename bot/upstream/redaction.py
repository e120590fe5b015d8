"""Keeping the AppCode out of texts: exception messages and every log line near the client.

The AppCode is only ever put in the `Authorization` header, but answers can echo it (a
gateway's `Invalid AppCode …` message, a vendor `msg`), and httpcore logs response headers at
DEBUG. So texts taken from answers go through `Redactor`, and `protect_logs` puts a filter on
the HTTP libraries' loggers (filters do not inherit, hence the explicit list) that masks any
registered secret before a handler formats the record.
"""

from __future__ import annotations

import logging
import threading

MASK = "***"
_MAX_TEXT = 200
_HTTP_LOGGERS = (
    "bot.upstream",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class Redactor:
    """Masks a secret in text taken from an answer, and shortens the text."""

    def __init__(self, secret: str) -> None:
        self._secrets = [s for s in {secret, secret.strip()} if len(s) >= 4]

    def __call__(self, text: str) -> str:
        """`text` cut to a sane length, with every occurrence of the secret masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text[:_MAX_TEXT]


class _SecretFilter(logging.Filter):
    """Rewrites records whose formatted message contains a registered secret."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        with self._lock:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's problem, not ours
            return True
        masked = message
        for secret in secrets:
            masked = masked.replace(secret, MASK)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = _SecretFilter()
_installed = False
_install_lock = threading.Lock()


def protect_logs(secret: str) -> None:
    """Mask `secret` in records of the upstream and HTTP-library loggers from now on."""
    global _installed
    if len(secret.strip()) < 4:
        return
    _FILTER.add(secret.strip())
    with _install_lock:
        if not _installed:
            for name in _HTTP_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _installed = True
