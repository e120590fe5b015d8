"""Long polling: for running the bot without a public URL (TELEGRAM_WEBHOOK_URL unset).

A background thread calls `getUpdates` (long poll) on the adapter's event loop and feeds
every update through the same parser and `Inbox.accept` as the webhook, so both modes yield
identical `Incoming` messages. The offset only moves past an update once it has been accepted
(or deliberately ignored, or recorded as unreadable), so a crash or a database hiccup re-reads
it; the inbox's dedup on `update_id` makes the re-read harmless. Updates arrive as raw JSON and
are built one at a time (`read_update`): PTB's own `get_updates` builds the whole batch at
once, so one update it cannot read would fail every round and stop intake for good.
`stop()` cancels the pending long poll and joins.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

from telegram.error import Conflict, InvalidToken
from telegram.warnings import PTBUserWarning

from adapters.telegram.bridge import BotBridge
from adapters.telegram.inbound import hand_over, read_update
from bot.runtime.ports import Inbox, MalformedId

log = logging.getLogger(__name__)

# getUpdates goes through `do_api_request` to get the raw JSON (see the module docstring);
# PTB warns that `get_updates` exists, which is exactly what we mean not to use.
warnings.filterwarnings(
    "ignore", message=r".*Bot\.getUpdates.* instead of", category=PTBUserWarning
)
#: Seconds on top of the long-poll timeout before a getUpdates read gives up.
READ_MARGIN = 10.0

#: The update types the bot handles; also registered with setWebhook.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")


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
        bot = self._bridge.bot
        for data in updates:
            if self._stopping.is_set():
                break
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("telegram getUpdates returned an entry without an update_id")
                continue  # nothing to acknowledge it by; the next id moves the offset past it
            # raising here (the database) keeps the offset: the update is read again later;
            # an id the inbox refuses is dropped, as reading it again cannot fix it
            try:
                hand_over(self._inbox, read_update(data, bot, me))
            except MalformedId as exc:
                log.warning("telegram: refused update %s: %s", update_id, exc)
            self.offset = update_id + 1
        return len(updates)

    def _fetch(self) -> list[Any]:
        params = {"timeout": self._poll_timeout, "allowed_updates": list(ALLOWED_UPDATES)}
        if self.offset is not None:
            params["offset"] = self.offset
        timeout = self._poll_timeout

        async def get_updates(bot):
            return await bot.do_api_request(
                "getUpdates", api_kwargs=params, read_timeout=timeout + READ_MARGIN
            )

        future = self._bridge.submit(get_updates)
        self._pending = future
        if self._stopping.is_set():  # stop() may have looked before we stored the future
            future.cancel()
        try:
            result = future.result(timeout + 30)
        finally:
            self._pending = None
        return result if isinstance(result, list) else []


def drop_webhook_for_polling(bridge: BotBridge) -> None:
    """Delete a leftover webhook: Telegram refuses getUpdates while one is set (pending
    updates are kept, so nothing sent meanwhile is lost)."""
    try:
        bridge.call(lambda bot: bot.delete_webhook(drop_pending_updates=False))
    except Exception as exc:  # noqa: BLE001 - polling will report a lasting problem itself
        log.warning("telegram deleteWebhook before polling failed: %s", type(exc).__name__)
