"""WeCom (企业微信) adapter: self-built app callback, AI bot for groups, group robot pushes.

`build_adapter(settings, tokens)` is the factory the web app and the runtime use. Inbound is
the Flask blueprint from `inbound.py`; outbound is `WeComSender` (`sender.py`); the access token
lives in the runtime's `TokenCache`, and the AI bot's response URLs in a `ResponseUrls` store
(by default on the same TokenCache, so the web and worker processes share them).
"""

from __future__ import annotations

from adapters.wecom.adapter import WeComAdapter, parse_group_robots
from adapters.wecom.sender import WeComSender
from bot.runtime.ports import TokenCache
from bot.settings import Settings

__all__ = ["WeComAdapter", "WeComSender", "build_adapter", "parse_group_robots"]


def build_adapter(settings: Settings, tokens: TokenCache) -> WeComAdapter:
    """The WeCom adapter for these settings, sharing access tokens through `tokens`."""
    return WeComAdapter(settings, tokens)
