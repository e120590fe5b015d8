"""The one asyncio island of the project: a PTB `Bot` on its own event loop in its own thread.

The core is synchronous threads; python-telegram-bot is asyncio. Rather than mixing the two
models, the adapter owns ONE event loop in a daemon thread (started lazily on first use), and
every PTB coroutine runs there through `BotBridge.call`, which blocks the calling thread until
the coroutine finishes (`run_coroutine_threadsafe(...).result(timeout)`). httpx's async client
is bound to that loop, so no PTB object is ever touched from another loop.

The bot token is part of every Bot API URL, and httpx logs request URLs at INFO (PTB logs its
base URL at DEBUG), so the bridge registers the token with the secret masker (`bot.masking`),
which shows it as `<token>` in every log line and error text.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

import telegram
from telegram.request import HTTPXRequest

from bot.masking import register_secret
from bot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a Bot API call may take before the calling thread gives up (PTB has its own
#: network timeouts; this only bounds the wait across threads).
CALL_TIMEOUT = 30.0
#: What a masked bot token reads as in logs and error texts.
TOKEN_LABEL = "<token>"


@dataclass(frozen=True)
class BotIdentity:
    """Who we are on Telegram (from getMe): needed to tell `/cmd@us` from `/cmd@other`."""

    id: int
    username: str


class BotBridge:
    """Owns the event loop thread and the PTB `Bot`; runs Bot API coroutines for sync callers."""

    def __init__(self, settings: Settings) -> None:
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.token = settings.telegram_bot_token.get_secret_value()
        self._base = settings.telegram_api_base.rstrip("/")
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._bot: telegram.Bot | None = None
        self._identity: Future[BotIdentity] | None = None
        self._requests: tuple[HTTPXRequest, ...] = ()
        register_secret(self.token, TOKEN_LABEL)

    @property
    def bot(self) -> telegram.Bot:
        """The PTB bot (created with the loop); only use it inside coroutines run by `call`."""
        self._ensure_loop()
        assert self._bot is not None
        return self._bot

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="telegram-loop", daemon=True
                )
                thread.start()
                # Pool sized for the worker threads that send concurrently; getUpdates has
                # its own one-connection client so a long poll never blocks a send.
                self._requests = (
                    HTTPXRequest(connection_pool_size=16, pool_timeout=5.0),
                    HTTPXRequest(connection_pool_size=1),
                )
                self._bot = telegram.Bot(
                    self.token,
                    base_url=f"{self._base}/bot{{token}}",
                    request=self._requests[0],
                    get_updates_request=self._requests[1],
                )
                self._loop, self._thread = loop, thread
            return self._loop

    def submit(self, make: Callable[[telegram.Bot], Awaitable[T]]) -> Future[T]:
        """Schedule `make(bot)` on the loop and return its concurrent future (non-blocking)."""
        loop = self._ensure_loop()
        bot = self._bot
        assert bot is not None

        async def run() -> T:
            return await make(bot)

        return asyncio.run_coroutine_threadsafe(run(), loop)

    def call(
        self, make: Callable[[telegram.Bot], Awaitable[T]], timeout: float = CALL_TIMEOUT
    ) -> T:
        """Run `make(bot)` on the loop and wait for its result (exceptions propagate)."""
        future = self.submit(make)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def identity_future(self) -> Future[BotIdentity]:
        """getMe, fetched once and cached; a failed lookup is retried on the next request."""
        with self._lock:
            current = self._identity
            if current is not None and not (current.done() and current.exception()):
                return current

        async def fetch(bot: telegram.Bot) -> BotIdentity:
            me = await bot.get_me()
            return BotIdentity(id=me.id, username=me.username or "")

        future = self.submit(fetch)
        with self._lock:
            self._identity = future
        return future

    def identity(self, timeout: float = 10.0) -> BotIdentity:
        """Our getMe identity, waiting up to `timeout` seconds for the first lookup."""
        return self.identity_future().result(timeout)

    def close(self) -> None:
        """Close the HTTP client and stop the loop thread (idempotent)."""
        with self._lock:
            loop, thread, requests = self._loop, self._thread, self._requests
            self._loop = self._thread = self._bot = None
            self._identity, self._requests = None, ()
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            # Not Bot.shutdown(): it skips clients unless Bot.initialize() ran, and we never
            # call initialize() (it puts the token into its InvalidToken message).
            await asyncio.gather(*(request.shutdown() for request in requests))

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5.0)
        except Exception:  # noqa: BLE001 - closing is best effort; the loop stops regardless
            log.debug("telegram http client shutdown failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)
        loop.close()
