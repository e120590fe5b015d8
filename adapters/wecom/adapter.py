"""The WeCom `PlatformAdapter`: the webhook blueprint (self-built app and AI bot) and the
shared sender."""

from __future__ import annotations

import threading

import httpx
from flask import Blueprint
from wechatpy.enterprise import WeChatCrypto

from adapters.door import Freshness
from adapters.downloads import picture_cap
from adapters.wecom.client import WeComApi
from adapters.wecom.inbound import make_blueprint
from adapters.wecom.media import WeComMedia
from adapters.wecom.parse import AIBOT_CHAT_PREFIX
from adapters.wecom.response_urls import ResponseUrls, TokenCacheResponseUrls
from adapters.wecom.sender import WeComSender
from bot.clock import Clock
from bot.models import Attachment, Incoming
from bot.runtime.ports import Inbox, TokenCache
from bot.settings import Settings, reveal

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def parse_group_robots(text: str | None) -> dict[str, str]:
    """`WECOM_GROUP_ROBOTS` ("chatid=key,chatid2=key2") as a mapping; bad pairs raise."""
    robots: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in (text or "").split(","))):
        chat_id, sep, key = pair.partition("=")
        if not (sep and chat_id.strip() and key.strip()):
            raise ValueError("WECOM_GROUP_ROBOTS must look like chatid=key,chatid2=key2")
        robots[chat_id.strip()] = key.strip()
    return robots


class WeComAdapter:
    """The WeCom `PlatformAdapter`: webhooks only (no polling), one shared sender."""

    name = "wecom"

    def __init__(
        self,
        settings: Settings,
        tokens: TokenCache,
        response_urls: ResponseUrls | None = None,
        clock: Clock | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._urls = response_urls or TokenCacheResponseUrls(tokens)
        self._clock = clock or Clock()
        self._http = http or httpx.Client(timeout=HTTP_TIMEOUT)
        self._sender: WeComSender | None = None
        self._sender_lock = threading.Lock()
        self._media = WeComMedia(
            self._http,
            self._app_api(),
            reveal(settings.wecom_aibot_encoding_aes_key),
            picture_cap(settings),
            settings.kuaidi_download_timeout,
        )
        if settings.wecom_agent_id and not settings.wecom_agent_id.strip().isdigit():
            raise ValueError("WECOM_AGENT_ID must be the app's numeric AgentId")

    def _app_crypto(self) -> WeChatCrypto | None:
        s = self._settings
        token, key = reveal(s.wecom_token), reveal(s.wecom_encoding_aes_key)
        if not (s.wecom_corp_id and token and key):
            return None
        return WeChatCrypto(token, key, s.wecom_corp_id)

    def _aibot_crypto(self) -> WeChatCrypto | None:
        s = self._settings
        token, key = reveal(s.wecom_aibot_token), reveal(s.wecom_aibot_encoding_aes_key)
        if not (token and key):
            return None
        return WeChatCrypto(token, key, "")  # the AI bot's receive id is empty

    @staticmethod
    def one_reply_for(message: Incoming) -> bool:
        """True for AI-bot messages: their `response_url` answers once, so the runtime merges
        the engine's replies into one (groups reach us only through the AI bot)."""
        return message.is_group or message.chat_id.startswith(AIBOT_CHAT_PREFIX)

    def blueprint(self, inbox: Inbox) -> Blueprint:
        """Routes `/wecom/callback` (self-built app) and `/wecom/aibot` (AI bot)."""
        return make_blueprint(
            inbox,
            self._app_crypto(),
            self._settings.wecom_corp_id or "",
            self._aibot_crypto(),
            self._urls,
            self._settings.wecom_welcome_hours,
            Freshness(self._settings.webhook_max_skew, lambda: self._clock.now().timestamp()),
        )

    def sender(self) -> WeComSender:
        """The shared `WeComSender` (thread-safe; one httpx client)."""
        with self._sender_lock:
            if self._sender is None:
                self._sender = self._build_sender()
            return self._sender

    def _app_api(self) -> WeComApi | None:
        s = self._settings
        secret = reveal(s.wecom_secret)
        if not (s.wecom_corp_id and secret):
            return None
        return WeComApi(self._http, s.wecom_api_base, s.wecom_corp_id, secret, self._tokens)

    def _build_sender(self) -> WeComSender:
        s = self._settings
        return WeComSender(
            self._http,
            s.wecom_api_base,
            self._app_api(),
            s.wecom_agent_id,
            self._urls,
            markdown=s.wecom_markdown,
            clock=self._clock,
            group_robots=parse_group_robots(reveal(s.wecom_group_robots)),
        )

    def fetch_attachment(self, message: Incoming, attachment: Attachment) -> bytes:
        """A picture (in the worker): the AI bot's by its encrypted download URL, the
        self-built app's by MediaId through media/get."""
        if self.one_reply_for(message):  # the AI bot's chats
            return self._media.aibot_picture(attachment.ref)
        return self._media.app_media(attachment.ref)

    def start_intake(self, inbox: Inbox) -> None:
        """Nothing to start: WeCom only calls webhooks."""

    def stop(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()
