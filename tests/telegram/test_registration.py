"""CLI functions: set/delete webhook and the bilingual command menu; the adapter factory."""

from __future__ import annotations

import json

import pytest

from adapters.base import PlatformAdapter
from adapters.telegram import (
    TELEGRAM_LIMITS,
    build_adapter,
    delete_webhook,
    set_commands,
    set_webhook,
)
from bot.commands import COMMANDS as BOT_COMMANDS
from bot.runtime.ports import RateLimit
from tests.telegram.fake_bot_api import TOKEN


def test_set_webhook_registers_url_secret_and_update_types(settings, fake_api, vector):
    configured = settings.model_copy(update={"telegram_webhook_url": "https://bot.example.com/"})

    summary = set_webhook(configured)

    [call] = fake_api.of("setWebhook")
    assert call.params["url"] == "https://bot.example.com/telegram/webhook"
    assert call.params["secret_token"] == vector["secret_token"]
    assert json.loads(call.params["allowed_updates"]) == [
        "message",
        "edited_message",
        "callback_query",
    ]
    assert "https://bot.example.com/telegram/webhook" in summary
    assert vector["secret_token"] not in summary


def test_set_webhook_keeps_an_explicit_path(settings, fake_api):
    url = "https://bot.example.com/hooks/tg"
    set_webhook(settings.model_copy(update={"telegram_webhook_url": url}))

    assert fake_api.of("setWebhook")[0].params["url"] == url


def test_set_webhook_needs_url_and_secret(settings, fake_api):
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_URL"):
        set_webhook(settings)
    no_secret = settings.model_copy(
        update={"telegram_webhook_url": "https://x.example", "telegram_webhook_secret": None}
    )
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        set_webhook(no_secret)
    assert fake_api.of("setWebhook") == []


def test_refusal_is_a_clean_error_without_the_token(settings, fake_api):
    fake_api.fail_next("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided")
    configured = settings.model_copy(update={"telegram_webhook_url": "http://bot.example.com"})

    with pytest.raises(RuntimeError) as error:
        set_webhook(configured)

    assert "https url must be provided" in str(error.value).lower()
    assert TOKEN not in str(error.value)


def test_delete_webhook_keeps_pending_updates(settings, fake_api):
    summary = delete_webhook(settings)

    assert fake_api.of("deleteWebhook")[0].params == {"drop_pending_updates": "false"}
    assert "long polling" in summary


def test_command_menu_in_chinese_by_default_and_english(settings, fake_api):
    set_commands(settings)

    calls = fake_api.of("setMyCommands")
    menus = {
        call.params.get("language_code"): json.loads(call.params["commands"]) for call in calls
    }
    assert set(menus) == {None, "zh", "en"}
    names = ["start", "help", "track", "subscribe", "unsubscribe", "list", "rename"]
    names += ["carriers", "history", "lang", "cancel"]
    for menu in menus.values():
        assert [entry["command"] for entry in menu] == names
    understood = {spelling for spellings in BOT_COMMANDS.values() for spelling in spellings}
    assert set(names) <= understood  # the menu offers nothing the bot would not understand
    assert menus[None] == menus["zh"]
    assert menus["zh"][2]["description"] == "查询快递：/track 单号"
    assert menus["en"][2]["description"] == "Track a parcel: /track <number>"
    assert "scope" not in calls[0].params  # the default scope


def test_factory_and_limits(settings):
    adapter = build_adapter(settings, tokens=None)
    try:
        typed: PlatformAdapter = adapter  # the protocol the web app and runtime use
        assert all(callable(getattr(typed, m)) for m in ("blueprint", "sender", "stop"))
        assert adapter.name == "telegram" and adapter.polling
        assert adapter.sender().limits == TELEGRAM_LIMITS
        assert TELEGRAM_LIMITS.per_chat == RateLimit(1, 1.0)
        assert TELEGRAM_LIMITS.per_group == RateLimit(20, 60.0)
        assert TELEGRAM_LIMITS.overall == RateLimit(30, 1.0)
    finally:
        adapter.stop()


def test_factory_needs_a_token(settings):
    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN"):
        build_adapter(settings.model_copy(update={"telegram_bot_token": None}), tokens=None)
