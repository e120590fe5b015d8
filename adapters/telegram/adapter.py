"""`TelegramAdapter`: the webhook blueprint, the sender and long-polling intake, sharing one
`BotBridge` (one event loop thread, one PTB `Bot`)."""

from __future__ import annotations

import logging
from concurrent.futures import Future

from flask import Blueprint

from adapters.downloads import picture_cap
from adapters.telegram.bridge import BotBridge
from adapters.telegram.files import TelegramFiles
from adapters.telegram.inbound import make_blueprint
from adapters.telegram.intake import LongPoller
from adapters.telegram.registration import register_commands
from adapters.telegram.sender import TelegramSender
from bot.models import Attachment, Incoming
from bot.runtime.ports import Inbox
from bot.settings import Settings

log = logging.getLogger(__name__)


class TelegramAdapter:
    """Telegram for the web app and the runtime (`PlatformAdapter`).

    Webhook mode when TELEGRAM_WEBHOOK_URL is set (the blueprint receives updates and
    `start_intake` only registers the command menu); long polling otherwise.
    """

    name = "telegram"

    def __init__(self, settings: Settings, poll_timeout: int = 25) -> None:
        self._settings = settings
        self._bridge = BotBridge(settings)
        self._sender = TelegramSender(self._bridge)
        self._poll_timeout = poll_timeout
        self._poller: LongPoller | None = None
        self._files = TelegramFiles(
            settings.telegram_api_base,
            self._bridge.token,
            picture_cap(settings),
            settings.kuaidi_download_timeout,
        )

    @property
    def bridge(self) -> BotBridge:
        """The shared event-loop bridge (for tests and the CLI)."""
        return self._bridge

    @property
    def polling(self) -> bool:
        """True when no webhook URL is configured, so updates come by long polling."""
        return not self._settings.telegram_webhook_url

    def blueprint(self, inbox: Inbox) -> Blueprint:
        """`POST /telegram/webhook` (rejects everything when no webhook secret is set)."""
        secret = self._settings.telegram_webhook_secret
        return make_blueprint(inbox, self._bridge, secret.get_secret_value() if secret else None)

    def sender(self) -> TelegramSender:
        """The one sender of this adapter."""
        return self._sender

    def start_intake(self, inbox: Inbox) -> None:
        """Register the command menu; start long polling unless a webhook URL is set."""
        self.register_commands_in_background()
        if not self.polling:
            log.info("telegram: webhook mode; updates arrive at the blueprint")
            return
        if self._poller is None:
            self._poller = LongPoller(self._bridge, inbox, poll_timeout=self._poll_timeout)
            self._poller.start()

    def register_commands_in_background(self) -> Future[None]:
        """setMyCommands on the adapter's loop without holding up start-up."""
        future = self._bridge.submit(register_commands)
        future.add_done_callback(_log_failure)
        return future

    @staticmethod
    def one_reply_for(message: Incoming) -> bool:
        """Every reply is its own message here: never merged."""
        return False

    def fetch_attachment(self, message: Incoming, attachment: Attachment) -> bytes:
        """A photo or image document, by its file_id (getFile + download; in the worker)."""
        return self._files.fetch(attachment.ref)

    def stop(self) -> None:
        """Stop polling and close the HTTP clients and the loop thread."""
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        self._files.close()
        self._bridge.close()


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        error = future.exception()
        log.warning("telegram setMyCommands failed: %s", type(error).__name__)
