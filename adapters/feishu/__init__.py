"""Feishu / Lark adapter: webhook (schema 2.0, encrypted and signed) or long connection,
interactive tracking cards, and sending through the IM API with a shared tenant token.

`build_adapter(settings, tokens)` is the factory the web app and the worker use.
"""

from __future__ import annotations

from adapters.door import Freshness
from adapters.downloads import picture_cap
from adapters.feishu.adapter import FeishuAdapter
from adapters.feishu.client import FeishuApi
from adapters.feishu.inbound import WebhookSecrets
from adapters.feishu.intake import WsClientFactory, lark_ws_client
from bot.runtime.ports import TokenCache
from bot.settings import Settings, reveal

__all__ = ["FeishuAdapter", "build_adapter"]


def build_adapter(
    settings: Settings, tokens: TokenCache, *, ws_client_factory: WsClientFactory = lark_ws_client
) -> FeishuAdapter:
    """The Feishu adapter from FEISHU_* settings. No network I/O happens here."""
    if not settings.feishu_enabled:
        raise ValueError("Feishu needs FEISHU_APP_ID and FEISHU_APP_SECRET")
    app_id = str(settings.feishu_app_id)
    app_secret = settings.feishu_app_secret.get_secret_value()
    api = FeishuApi(app_id, app_secret, tokens, settings.feishu_api_base)
    secrets = WebhookSecrets(
        verification_token=reveal(settings.feishu_verification_token) or "",
        encrypt_key=reveal(settings.feishu_encrypt_key) or "",
    )
    return FeishuAdapter(
        api,
        secrets,
        mode=settings.feishu_mode.strip().lower(),
        app_id=app_id,
        app_secret=app_secret,
        api_base=settings.feishu_api_base,
        # An optional override that no setting documents yet, so it is read defensively.
        bot_open_id=getattr(settings, "feishu_bot_open_id", None),
        ws_client_factory=ws_client_factory,
        freshness=Freshness(settings.webhook_max_skew),
        picture_cap=picture_cap(settings),
        download_timeout=settings.kuaidi_download_timeout,
    )
