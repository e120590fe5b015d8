"""Long polling: for running the bot without a public URL (TELEGRAM_WEBHOOK_URL unset).

A background thread calls `getUpdates` (long poll) on the adapter's event loop and feeds
every update through the same parser and `Inbox.accept` as the webhook, so both modes yield
identical `Incoming` messages. The offset only moves past an update once it has been accepted
(or deliberately ignored), so a crash or a database hiccup re-reads it; the inbox's dedup on
`update_id` makes the re-read harmless. `stop()` cancels the pending long poll and joins.
"""

from __future__ import annotations

import logging
import threading

from telegram import Update
from telegram.error import Conflict, InvalidToken

from adapters.telegram.bridge import BotBridge
from adapters.telegram.inbound import parse_update
from bot.runtime.ports import Inbox

log = logging.getLogger(__name__)

#: The update types the bot handles; also registered with setWebhook.
ALLOWED_UPDATES = ("message", "callback_query")


class LongPoller:
    """A thread polling getUpdates into an `Inbox`."""

    def __init__(
        self,
        bridge: BotBridge,
        inbox: Inbox,
        poll_timeout: int = 25,
        error_backoff: float = 3.0,
    ) -> None:
        self._bridge = bridge
        self._inbox = inbox
        self._poll_timeout = poll_timeout
        self._backoff = error_backoff
        self._stopping = threading.Event()
        self._pending = None  # the in-flight getUpdates future, cancelled by stop()
        self._thread: threading.Thread | None = None
        self.offset: int | None = None

    def start(self) -> None:
        """Start the polling thread (idempotent)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="telegram-poll", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel the long poll in flight and wait for the thread to end."""
        self._stopping.set()
        pending = self._pending
        if pending is not None:
            pending.cancel()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        drop_webhook_for_polling(self._bridge)
        log.info("telegram: long polling started")
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except (InvalidToken, Conflict) as exc:
                # Another poller or a webhook holds the updates: say so, keep trying slowly.
                log.error("telegram getUpdates refused: %s", type(exc).__name__)
                self._stopping.wait(self._backoff * 10)
            except Exception as exc:  # noqa: BLE001 - network/DB faults: back off, poll again
                if self._stopping.is_set():
                    break
                log.warning("telegram polling failed (%s); retrying", type(exc).__name__)
                self._stopping.wait(self._backoff)
        log.info("telegram: long polling stopped")

    def poll_once(self) -> int:
        """One getUpdates round: accept each update, advancing the offset; returns the count."""
        updates = self._fetch()
        if not updates:
            return 0
        me = self._bridge.identity()
        for update in updates:
            if self._stopping.is_set():
                break
            parsed = parse_update(update, me)
            if parsed is not None:
                self._inbox.accept(*parsed)  # raising here keeps the offset: re-read later
            self.offset = update.update_id + 1
        return len(updates)

    def _fetch(self) -> tuple[Update, ...]:
        offset, timeout = self.offset, self._poll_timeout

        async def get_updates(bot):
            return await bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES)
            )

        future = self._bridge.submit(get_updates)
        self._pending = future
        if self._stopping.is_set():  # stop() may have looked before we stored the future
            future.cancel()
        try:
            return future.result(timeout + 30)
        finally:
            self._pending = None


def drop_webhook_for_polling(bridge: BotBridge) -> None:
    """Delete a leftover webhook: Telegram refuses getUpdates while one is set (pending
    updates are kept, so nothing sent meanwhile is lost)."""
    try:
        bridge.call(lambda bot: bot.delete_webhook(drop_pending_updates=False))
    except Exception as exc:  # noqa: BLE001 - polling will report a lasting problem itself
        log.warning("telegram deleteWebhook before polling failed: %s", type(exc).__name__)
