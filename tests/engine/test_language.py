"""Language per chat: the chat's choice (/lang), else the platform's user language, else the
message's script (command words and numbers say nothing), remembered for messages that say
nothing; every text, carrier name, status word and hotline label in both languages; small
talk gets a short answer."""

from __future__ import annotations

import re

import pytest

from bot.carriers import default_registry
from bot.carriers.names import display_name
from bot.language import script_language
from bot.render import render_text
from bot.texts import TEXTS
from tests.support.chat import SF, YT, Chat

CJK = re.compile(r"[\u3400-\u9fff\uff08\uff09\uff0c\u3002\uff1a]")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (f"/rename {YT} 妈妈的快递", "zh"),
        ("/auto off", None),
        (f"/track {SF} 1234", None),
        (SF, None),
        ("EMS 1234567890123", None),
        ("hello", "en"),
        ("help please", "en"),
        (f"please track {SF}", "en"),
        ("谢谢", "zh"),
    ],
)
def test_script_ignores_command_words_numbers_and_codes(text, language):
    assert script_language(text) == language


def test_every_english_text_is_english():
    for key, (zh, en) in TEXTS.items():
        assert zh and en, key
        assert not CJK.search(en), (key, en)


def test_carrier_names_in_english():
    registry = default_registry()
    names = {
        code: display_name(registry.get(code), "en") for code in ("dhl", "shunfeng", "yuantong")
    }
    assert names == {"dhl": "DHL Express", "shunfeng": "SF Express", "yuantong": "YTO Express"}
    for carrier in registry.search("快递", per_page=50).items:  # never Chinese in English
        assert not CJK.search(display_name(carrier, "en")), carrier


def test_command_words_do_not_make_a_chinese_chat_english(subs_core, upstream):
    core = subs_core
    group = Chat(core.engine, chat_id="g1", is_group=True, language="")
    assert "关闭" in group.say("/auto off", addressed=True)[0].text
    chat = Chat(core.engine, language="")
    chat.say(f"/subscribe {YT}")
    assert "备注" in chat.say(f"/rename {YT} 妈妈的快递")[0].text


def test_an_english_chat_gets_english_names_statuses_and_hotline(core, upstream):
    chat = Chat(core.engine, language="")
    ask = chat.say(f"please track {SF}")[-1].text
    assert "SF Express number" in ask and not CJK.search(ask)
    card = chat.say("1234")[0]  # no words: the chat's language was remembered
    text = render_text(card)
    assert card.card.carrier_name == "SF Express" and "☎ Hotline" in text
    assert "客服" not in text and card.card.status_label.isascii()


def test_platform_language_wins_over_the_script(core, upstream):
    chat = Chat(core.engine, language="en")
    assert "found no waybill" in chat.say("我的快递在哪")[0].text


def test_lang_command_is_kept_per_chat(core, upstream):
    chat = Chat(core.engine, language="")
    assert "English" in chat.say("/lang en")[0].text
    assert "Hi!" in Chat(core.engine, language="zh").say("你好")[0].text  # chosen beats all
    assert "language of your messages" in chat.say("/lang auto")[0].text
    assert "你好" in Chat(core.engine, language="").say("你好")[0].text
    other = Chat(core.engine, chat_id="c9", language="")
    assert "Usage: /lang" in other.say("/lang klingon please")[0].text


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("hello", "Hi!"),
        ("help please", "/subscribe"),
        ("人工客服", "没有人工客服"),
        ("谢谢", "不客气"),
        ("你好", "你好！"),
        ("thanks!", "welcome"),
    ],
)
def test_small_talk_gets_a_short_useful_answer(core, upstream, text, expect):
    reply = Chat(core.engine, language="").say(text)[0].text
    assert expect in reply and "no waybill" not in reply and "没有在消息里找到" not in reply
