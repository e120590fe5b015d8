"""The bot's own open_id, learned once from the API in the background and cached.

Webhook requests must answer within Feishu's deadline and never call the platform, so they
only read the cached id; the fetch runs in a daemon thread started with the adapter (and keeps
retrying with backoff while the API is unreachable).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class BotIdentity:
    """Holds the bot's open_id; `open_id` never blocks."""

    def __init__(self, fetch: Callable[[], str], preset: str | None = None) -> None:
        self._fetch = fetch
        self._open_id = preset or None
        self._known = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        if self._open_id:
            self._known.set()

    @property
    def open_id(self) -> str | None:
        """The bot's open_id, or None while it is not known yet."""
        return self._open_id

    def start(self) -> None:
        """Begin fetching in the background unless known or already fetching."""
        with self._lock:
            if self._known.is_set() or self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="feishu-bot-info", daemon=True)
            self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for the id; True when known."""
        return self._known.wait(timeout)

    def stop(self) -> None:
        """Stop retrying."""
        self._stopping.set()

    def _run(self) -> None:
        delay = 2.0
        while not self._stopping.is_set():
            try:
                self._open_id = self._fetch()
            except Exception as exc:  # noqa: BLE001 - network, API or token faults alike
                log.warning("feishu: bot info not available (%s); retry in %.0f s", exc, delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, 300.0)
                continue
            self._known.set()
            log.info("feishu: bot open_id learned")
            return
