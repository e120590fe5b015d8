"""One-off Bot API set-up: webhook registration and the command menu.

`set_webhook` / `delete_webhook` / `set_commands` are plain synchronous functions for the CLI
(`kuaidi-bot telegram set-webhook` etc.); each opens a short-lived bridge and closes it.
`register_commands(bot)` is the coroutine the adapter runs on its own loop at start.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import telegram
from telegram import BotCommand
from telegram.error import TelegramError

from adapters.telegram.bridge import BotBridge
from adapters.telegram.inbound import WEBHOOK_PATH
from adapters.telegram.intake import ALLOWED_UPDATES
from bot.settings import Settings

_SECRET_OK = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

#: The menu: command → (Chinese, English) description. Chinese aliases (查询, 订阅 …) are
#: typed as plain text, so they are not menu entries (Telegram commands are Latin only).
COMMANDS: dict[str, tuple[str, str]] = {
    "start": ("开始使用", "Get started"),
    "help": ("使用帮助", "How to use this bot"),
    "track": ("查询快递：/track 单号", "Track a parcel: /track <number>"),
    "subscribe": ("订阅物流更新：/subscribe 单号", "Get updates: /subscribe <number>"),
    "unsubscribe": (
        "取消订阅：/unsubscribe 单号或备注",
        "Stop updates: /unsubscribe <number or label>",
    ),
    "list": ("我的订阅", "My subscriptions"),
    "rename": ("修改备注：/rename 单号 备注", "Label a parcel: /rename <number> <label>"),
    "carriers": ("支持的快递公司", "Supported carriers"),
    "history": ("全部物流记录：/history 单号", "Full history: /history <number>"),
    "lang": ("回复语言：/lang zh 或 /lang en", "Reply language: /lang zh or /lang en"),
    "cancel": ("不再等手机尾号", "Stop waiting for a phone tail"),
}


def menu(language: str) -> list[BotCommand]:
    """The command menu in "zh" or "en"."""
    index = 0 if language == "zh" else 1
    return [BotCommand(name, texts[index]) for name, texts in COMMANDS.items()]


async def register_commands(bot: telegram.Bot) -> None:
    """setMyCommands: Chinese for everyone by default (and explicitly for "zh"), English for
    clients set to "en"."""
    await bot.set_my_commands(menu("zh"))
    await bot.set_my_commands(menu("zh"), language_code="zh")
    await bot.set_my_commands(menu("en"), language_code="en")


def webhook_url(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_URL; a bare origin (no path) gets `/telegram/webhook` appended."""
    url = (settings.telegram_webhook_url or "").strip()
    if not url:
        raise ValueError("TELEGRAM_WEBHOOK_URL is not set (without it the bot uses long polling)")
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + WEBHOOK_PATH
    return url


def set_webhook(settings: Settings) -> str:
    """Register TELEGRAM_WEBHOOK_URL with the secret and our update types; a summary line."""
    url = webhook_url(settings)
    if settings.telegram_webhook_secret is None:
        raise ValueError("TELEGRAM_WEBHOOK_SECRET is not set; the webhook would be unprotected")
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not _SECRET_OK.match(secret):
        raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
    _call(
        settings,
        "setWebhook",
        lambda bot: bot.set_webhook(
            url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)
        ),
    )
    return f"Telegram webhook set to {url} (updates: {', '.join(ALLOWED_UPDATES)})"


def delete_webhook(settings: Settings) -> str:
    """Remove the webhook (switch to long polling); pending updates are kept."""
    _call(settings, "deleteWebhook", lambda bot: bot.delete_webhook(drop_pending_updates=False))
    return "Telegram webhook deleted; the bot will use long polling"


def set_commands(settings: Settings) -> str:
    """Register the command menu now (the adapter also does it at start)."""
    _call(settings, "setMyCommands", register_commands)
    return f"Telegram command menu set: {', '.join('/' + name for name in COMMANDS)}"


def _call(settings: Settings, method: str, make) -> object:
    bridge = BotBridge(settings)
    try:
        return bridge.call(make)
    except TelegramError as exc:
        raise RuntimeError(f"Telegram refused {method}: {exc}") from None
    finally:
        bridge.close()
