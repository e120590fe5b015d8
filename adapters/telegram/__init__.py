"""Telegram adapter (python-telegram-bot 22): webhook or long polling in, HTML replies out.

Set-up (details in README.md next to this file):

1. Create the bot with @BotFather (`/newbot`) and put its token in TELEGRAM_BOT_TOKEN.
2. Either leave TELEGRAM_WEBHOOK_URL unset (long polling: works from a laptop, no public URL),
   or set it to the public HTTPS URL of `/telegram/webhook` plus TELEGRAM_WEBHOOK_SECRET
   (1–256 chars of `A-Z a-z 0-9 _ -`) and run `kuaidi-bot telegram set-webhook`.
3. Groups — privacy mode: by default (BotFather `/setprivacy` → Enable) the bot only sees
   commands, replies to its messages and @-mentions, which is all that "addressed" needs.
   For a group's auto mode (recognising bare waybill numbers) turn privacy mode off with
   BotFather `/setprivacy` → Disable (or make the bot a group admin), then remove and re-add
   the bot to each group: Telegram applies the setting when the bot joins.

The adapter's asyncio lives only in this package: `bridge.BotBridge` runs PTB on one event
loop in a dedicated thread; everything else here is synchronous.
"""

from __future__ import annotations

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.registration import (
    delete_webhook,
    register_commands,
    set_commands,
    set_webhook,
)
from adapters.telegram.sender import TELEGRAM_LIMITS, TelegramSender
from bot.runtime.ports import TokenCache
from bot.settings import Settings

__all__ = [
    "TELEGRAM_LIMITS",
    "TelegramAdapter",
    "TelegramSender",
    "build_adapter",
    "delete_webhook",
    "register_commands",
    "set_commands",
    "set_webhook",
]


def build_adapter(settings: Settings, tokens: TokenCache | None = None) -> TelegramAdapter:
    """The Telegram adapter. `tokens` is unused: a bot token never expires."""
    return TelegramAdapter(settings)
