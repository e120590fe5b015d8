"""The one secret masker: every log record of every logger, and every text that may echo a
secret (an upstream's error message, a platform's exception), pass through it.

Secrets are registered where they become known: the settings' secret values when logging is
configured, the AppCode by the upstream client, the bot token by the Telegram bridge.
Patterns cover secrets that change while the process runs (WeCom access tokens and robot
keys in query strings). `install` wraps the log record factory, so a record's message and
arguments are masked when it is made — whatever logger made it and whatever handler writes it
(ours, gunicorn's, pytest's) — where a filter on a logger would only see that exact logger's
own records. Tracebacks (`exc_info`) are formatted later, so only the key=value formatter,
which masks its finished line again, masks them: a foreign handler prints them as they are.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
#: Shorter values are too likely to occur in ordinary text to be masked safely.
MIN_SECRET = 4


class SecretMasker:
    """Replaces registered secrets (each with its own label) and secret patterns in text."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        self._lock = threading.Lock()

    def add(self, secret: str | None, label: str = MASK) -> None:
        """Mask `secret` (and its stripped form) from now on."""
        for value in {secret or "", (secret or "").strip()}:
            if len(value) >= MIN_SECRET:
                with self._lock:
                    # Longest first, so a secret containing another is masked whole.
                    merged = {**self._secrets, value: label}
                    self._secrets = dict(sorted(merged.items(), key=lambda kv: -len(kv[0])))

    def add_pattern(self, pattern: re.Pattern[str], replacement: str) -> None:
        """Rewrite every match of `pattern` with `replacement` (a `re.sub` template)."""
        with self._lock:
            if all(p.pattern != pattern.pattern for p, _ in self._patterns):
                self._patterns = [*self._patterns, (pattern, replacement)]

    @property
    def active(self) -> bool:
        """True once anything is registered (before that, masking is free)."""
        return bool(self._secrets or self._patterns)

    def mask(self, text: str) -> str:
        """`text` with every registered secret and pattern masked."""
        for secret, label in self._secrets.items():
            if secret in text:
                text = text.replace(secret, label)
        for pattern, replacement in self._patterns:
            text = pattern.sub(replacement, text)
        return text

    def mask_record(self, record: logging.LogRecord) -> None:
        """Replace the record's message by its masked form when it holds a secret."""
        if not self.active:
            return
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's problem, not ours
            return
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None


MASKER = SecretMasker()
_install_lock = threading.Lock()
_installed = False


def mask(text: str) -> str:
    """`text` with every registered secret masked."""
    return MASKER.mask(text)


def register_secret(secret: str | None, label: str = MASK) -> None:
    """Mask `secret` in every log record and masked text from now on."""
    MASKER.add(secret, label)
    install()


def register_pattern(pattern: re.Pattern[str], replacement: str) -> None:
    """Mask every match of `pattern` from now on."""
    MASKER.add_pattern(pattern, replacement)
    install()


def install() -> None:
    """Mask every log record as it is made (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def masked_record(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            MASKER.mask_record(record)
            return record

        logging.setLogRecordFactory(masked_record)
        _installed = True
