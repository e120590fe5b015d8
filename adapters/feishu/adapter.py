"""The Feishu `PlatformAdapter`: webhook blueprint or long connection, plus the sender."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint

from adapters.door import Freshness
from adapters.feishu.client import FeishuApi
from adapters.feishu.identity import BotIdentity
from adapters.feishu.inbound import WebhookSecrets, make_blueprint
from adapters.feishu.intake import WebSocketIntake, WsClientFactory, lark_ws_client
from adapters.feishu.sender import FeishuSender
from bot.models import Attachment, Incoming
from bot.runtime.ports import Inbox

log = logging.getLogger(__name__)

MODES = ("webhook", "websocket")
#: Where a message's picture is read: the message resource API (a picture sent by a user
#: is not the app's own, so the image API would refuse it).
RESOURCE_PATH = "/open-apis/im/v1/messages/{message_id}/resources/{file_key}"


class FeishuAdapter:
    """Feishu: `/feishu/events` + `/feishu/card` in webhook mode, a WebSocket otherwise."""

    name = "feishu"

    def __init__(
        self,
        api: FeishuApi,
        secrets: WebhookSecrets,
        *,
        mode: str = "webhook",
        app_id: str = "",
        app_secret: str = "",
        api_base: str = "https://open.feishu.cn",
        bot_open_id: str | None = None,
        ws_client_factory: WsClientFactory = lark_ws_client,
        freshness: Freshness | None = None,
        picture_cap: int = 10_000_000,
        download_timeout: float = 20.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"FEISHU_MODE must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.api = api
        self.identity = BotIdentity(api.bot_open_id, preset=bot_open_id)
        self._secrets = secrets
        self._freshness = freshness
        self._sender = FeishuSender(api)
        self._picture_cap = picture_cap
        self._download_timeout = download_timeout
        self.intake = WebSocketIntake(
            app_id,
            app_secret,
            api_base,
            client_factory=ws_client_factory,
            # Learn the bot's id before events flow, so the first group @ is recognised.
            before_start=lambda: self.identity.wait(10.0),
        )

    def blueprint(self, inbox: Inbox) -> Blueprint | None:
        """The webhook routes (webhook mode), starting the background bot-info fetch."""
        if self.mode != "webhook":
            return None
        self.identity.start()
        return make_blueprint(inbox, self._secrets, lambda: self.identity.open_id, self._freshness)

    def sender(self) -> FeishuSender:
        """The outbound sender."""
        return self._sender

    def start_intake(self, inbox: Inbox) -> None:
        """Fetch the bot's identity; in websocket mode also open the long connection."""
        self.identity.start()
        if self.mode == "websocket":
            self.intake.start(inbox, lambda: self.identity.open_id)

    @staticmethod
    def one_reply_for(message: Incoming) -> bool:
        """Every reply is its own message here: never merged."""
        return False

    def fetch_attachment(self, message: Incoming, attachment: Attachment) -> bytes:
        """A picture of `message` (an image message's or a rich text's), by its image_key."""
        path = RESOURCE_PATH.format(
            message_id=quote(message.message_id, safe=""), file_key=quote(attachment.ref, safe="")
        )
        return self.api.download(
            path,
            {"type": "image"},
            max_bytes=self._picture_cap,
            timeout=self._download_timeout,
        )

    def stop(self) -> None:
        """Stop the long connection and the bot-info retries."""
        self.identity.stop()
        self.intake.stop()
        self.api.close()
