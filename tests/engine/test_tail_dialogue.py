"""The phone-tail question as a state machine: opened by a number that needs a tail, closed
by any answer for that number, cancelled, expired, and reminded once — counted in paid calls
against the fake upstream."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.assembly import build_core
from bot.storage.schema import pending_prompts, phone_tails
from tests.support.chat import SF, YT, Chat, sf_needs_tail

SF2 = "SF3333333333333"


@pytest.fixture
def chat(core, upstream):
    upstream.set_handler(SF2, sf_needs_tail)
    return Chat(core.engine)


def tels(upstream, number: str) -> list[str]:
    """The tails the upstream was asked with for `number`, in order."""
    return [r.query.get("tel") for r in upstream.requests_for(number)]


def is_card(replies, number: str) -> bool:
    return any(r.card is not None and r.card.number == number for r in replies)


def test_an_answer_by_command_closes_the_question(chat, upstream):
    assert "后4位" in chat.say(SF)[-1].text
    assert is_card(chat.say(f"/track {SF} 1234"), SF)
    replies = chat.say("5678")  # no longer a tail: the question was answered
    assert not is_card(replies, SF)
    assert tels(upstream, SF) == ["1234"]  # no second paid call


def test_an_inline_tail_closes_the_question(chat, upstream):
    chat.say(SF)
    assert is_card(chat.say(f"{SF} 1234"), SF)
    assert not is_card(chat.say("5678"), SF)
    assert tels(upstream, SF) == ["1234"]


def test_a_refresh_that_answers_closes_the_question(chat, upstream):
    chat.say(f"{SF} 1234")  # remembered for this user
    other = Chat(chat.engine, chat_id="c2")
    other.say("/subscribe " + SF2)
    assert chat.say("", action=f"refresh:{SF}", callback_id="cb")[0].card is not None
    chat.say(SF2)  # open a question for SF2, then answer SF2 some other way
    assert is_card(chat.say(f"/track {SF2} 4321"), SF2)
    assert not is_card(chat.say("9999"), SF2)
    assert tels(upstream, SF2) == ["4321"]


def test_a_full_mobile_number_uses_its_last_four_and_is_not_stored(core, chat, upstream):
    replies = chat.say(f"{SF2} 12345")  # five digits are no tail: the bot asks
    assert "后4位" in replies[-1].text and not is_card(replies, SF2)
    assert is_card(chat.say("13812345678"), SF2)
    assert tels(upstream, SF2) == ["5678"]
    with core.db.engine.connect() as conn:
        stored = [row for t in (phone_tails, pending_prompts) for row in conn.execute(select(t))]
    assert stored and not any("138" in str(value) for row in stored for value in row)


@pytest.mark.parametrize("reply", ["1234", "尾号1234", "+86 138-0000-1234", "last 4 digits 1234"])
def test_every_way_of_giving_the_tail(chat, upstream, reply):
    chat.say(SF)
    assert is_card(chat.say(reply), SF)
    assert tels(upstream, SF) == ["1234"]


def test_an_unrelated_message_gets_one_reminder(chat, upstream):
    chat.say(SF)
    first = chat.say("我的快递呢")
    assert SF in first[0].text and "取消" in first[0].text  # the reminder
    second = chat.say("我的快递呢")
    assert SF not in second[0].text and "没有在消息里找到快递单号" in second[0].text
    assert is_card(chat.say("1234"), SF)  # still open until answered
    assert tels(upstream, SF) == ["1234"]


def test_cancel_closes_the_question(chat, upstream):
    chat.say(SF)
    assert SF in chat.say("取消")[0].text
    assert not is_card(chat.say("1234"), SF)
    chat.say(SF)
    assert SF in chat.say("/cancel")[0].text
    assert "没有需要取消" in chat.say("/cancel")[0].text
    assert tels(upstream, SF) == []


@pytest.fixture
def minute_chat(upstream, db_url, clock, tmp_path):
    """A chat whose tail questions expire after 60 s (KUAIDI_TAIL_TIMEOUT), on the fake clock."""
    settings = upstream.settings(database_url=db_url, data_dir=tmp_path, kuaidi_tail_timeout=60)
    core = build_core(settings, clock=clock)
    yield Chat(core.engine)
    core.close()


def test_the_timeout_is_configurable(minute_chat, upstream, clock):
    minute_chat.say(SF)
    clock.advance(seconds=59)
    assert minute_chat.say("尾号1234")[0].card is not None  # within the minute: answered
    minute_chat.say(SF2)
    clock.advance(seconds=61)
    assert not is_card(minute_chat.say("1234"), SF2)  # expired
    assert tels(upstream, SF2) == []


def test_a_reminder_does_not_restart_the_timeout(minute_chat, upstream, clock):
    minute_chat.say(SF)
    clock.advance(seconds=50)
    assert SF in minute_chat.say("我的快递呢")[0].text  # the reminder, 50 s after asking
    clock.advance(seconds=11)
    assert not is_card(minute_chat.say("1234"), SF)  # 61 s after asking: expired
    assert tels(upstream, SF) == []


def test_english_tail_dialogue(core, upstream):
    chat = Chat(core.engine, language="en")
    replies = chat.say(f"track {SF} please")
    assert "last 4 digits" in replies[-1].text
    assert "Still waiting" in chat.say("where is it?")[0].text
    assert is_card(chat.say("last 4 digits 1234"), SF)
    assert not is_card(chat.say(f"{YT} and then 5678"), SF)
    assert tels(upstream, SF) == ["1234"]
