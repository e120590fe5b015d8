"""/help lists everything the bot understands; long messages offer the rest; /unsubscribe by
label or from buttons."""

from __future__ import annotations

from bot.commands import COMMANDS
from bot.subscriptions.service import MILESTONE_OFF, MILESTONE_ON
from bot.texts import t
from tests.support.chat import Chat

NUMBERS = [f"YT12345678901{i:02d}" for i in range(30, 37)]  # 7 numbers


def test_help_lists_every_command_and_word():
    zh, en = t("help", "zh"), t("help", "en")
    for spellings in COMMANDS.values():
        for spelling in spellings:
            if spelling.isascii():
                assert f"/{spelling}" in zh and f"/{spelling}" in en, spelling
            else:
                assert spelling in zh, spelling
    assert {"重要", "全部"} <= MILESTONE_ON | MILESTONE_OFF
    for word in ("重要", "全部", "milestones", "all", "取消"):
        assert word in zh, word
    for word in ("milestones", "all", "cancel", "/lang zh|en"):
        assert word in en, word


def test_more_than_five_numbers_answers_five_and_offers_the_rest(core, upstream):
    chat = Chat(core.engine, language="")
    replies = chat.say(" ".join(NUMBERS))
    cards = [r.card.number for r in replies if r.card]
    assert cards == NUMBERS[:5]
    offer = replies[0]
    assert f"/track {NUMBERS[5]} {NUMBERS[6]}" in offer.text
    (button,) = offer.buttons
    assert button.action == f"track:{NUMBERS[5]},{NUMBERS[6]}"
    rest = chat.say("", action=button.action, callback_id="cb")
    assert [r.card.number for r in rest if r.card] == NUMBERS[5:]


def test_unsubscribe_by_label_and_from_buttons(subs_core, upstream):
    core = subs_core
    chat = Chat(core.engine, language="")
    chat.say(f"/subscribe {NUMBERS[0]} 妈妈的快递")
    chat.say(f"/subscribe {NUMBERS[1]} 键盘")
    chat.say(f"/subscribe {NUMBERS[2]}")
    choose = chat.say("/unsubscribe")[0]
    assert {b.action for b in choose.buttons} == {f"unsub:{n}" for n in NUMBERS[:3]}
    assert "已取消订阅" in chat.say("/unsubscribe 妈妈的快递")[0].text
    remaining = chat.say("/unsubscribe")[0]
    assert {b.action for b in remaining.buttons} == {f"unsub:{n}" for n in NUMBERS[1:3]}
    pressed = chat.say("", action=remaining.buttons[0].action, callback_id="cb2")
    assert "已取消订阅" in pressed[0].text
    assert "没有单号或备注" in chat.say("/unsubscribe 不存在的备注")[0].text
