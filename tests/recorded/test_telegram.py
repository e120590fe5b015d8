"""Recorded Telegram updates (tests/data/telegram/recorded/) through the whole bot: each is
posted to the webhook with the real secret header, worked by the runtime, and what the bot
did is checked at the fake Bot API (what it sent, where, in which topic) or in the inbox."""

from __future__ import annotations

import json

import pytest

from tests.recorded.harness import recorded

YT = "YT1234567890123"
FORUM = "-1001987654321"


def load(name: str) -> dict:
    return recorded("telegram", name)


def texts(stack) -> list[str]:
    return [params["text"] for params in stack.sent()]


def answered_once(stack, name: str) -> dict:
    """Post `name`, work it, and return the one message the bot sent."""
    assert stack.telegram(load(name)) == 200
    assert stack.work() == 1
    [sent] = stack.sent()
    return sent


def test_private_message_gets_the_tracking_card(stack):
    sent = answered_once(stack, "private.json")

    assert sent["chat_id"] == "1111111" and YT in sent["text"]
    assert [r.number for r in stack.upstream.requests if r.number] == [YT]


@pytest.mark.parametrize(
    "name", ["group_mention.json", "command_at_bot.json", "reply_to_bot.json"]
)
def test_group_messages_aimed_at_the_bot_are_answered_quoting_the_asker(stack, name):
    update = load(name)

    sent = answered_once(stack, name)

    assert sent["chat_id"] == "-1001234567890" and YT in sent["text"]
    quoted = json.loads(sent["reply_parameters"])["message_id"]
    assert quoted == update["message"]["message_id"]
    assert "message_thread_id" not in sent  # no forum here


@pytest.mark.parametrize(
    "name",
    [
        "command_at_other_bot.json",  # /track@other_bot is another bot's business
        "channel_post.json",  # the bot only posts in channels
        "my_chat_member.json",  # joined a group: nothing to say
        "document.json",  # a file without a caption holds no question
        "topic_created.json",  # a service message
        "topic_message.json",  # a topic's "reply" to its opener (ours) is not addressed to us
    ],
)
def test_updates_the_bot_deliberately_leaves_alone(stack, name):
    assert stack.telegram(load(name)) == 200

    stack.work()

    assert stack.sent() == [] and stack.upstream.requests == []
    assert "kuaidi_rejected_total{" not in stack.metrics()


def test_forwarded_sms_notice_is_read(stack):
    sent = answered_once(stack, "forwarded.json")

    assert YT in sent["text"] and "8-2-3013" not in sent["text"]


def test_caption_of_a_photo_gets_the_sf_tracking_answer(stack):
    sf = "SF1524097970481"

    sent = answered_once(stack, "photo_caption.json")

    assert sf in sent["text"] and sent["chat_id"] == "1111111"
    [query] = [r for r in stack.upstream.requests if r.number]
    assert (query.number, query.query["tel"]) == (sf, "1234")  # the caption's phone tail
    [(payload,)] = stack.inbox_payloads()
    assert json.loads(payload)["attachments"] == [
        {"kind": "photo", "ref": "AgACAgQAAxkBAAIBB2Vlarge"}  # the largest size is kept
    ]


def test_an_edit_adding_a_number_is_answered_for_that_number_only(stack):
    added = "YT1234567890124"
    answered_once(stack, "edited_original.json")
    before = len(stack.sent())

    assert stack.telegram(load("edited.json")) == 200
    assert stack.work() == 1

    new = stack.sent()[before:]
    assert len(new) == 1 and added in new[0]["text"] and YT not in new[0]["text"]


def test_an_edit_without_new_numbers_is_ignored(stack):
    answered_once(stack, "edited_original.json")
    unchanged = load("edited.json")
    unchanged["edited_message"]["text"] = "YT1234567890123 谢谢"

    assert stack.telegram(unchanged) == 200
    stack.work()

    assert len(stack.sent()) == 1


def test_callback_on_an_old_inaccessible_message_is_acknowledged_and_answered(stack):
    assert stack.telegram(load("callback_old_message.json")) == 200
    stack.work()

    [ack] = stack.sent("answerCallbackQuery")
    assert ack["callback_query_id"] == "4382bfdwdsb323b2d9"
    shown = stack.sent("editMessageText") + stack.sent()
    assert shown and YT in shown[0]["text"]


def test_older_shape_from_the_webhook_guide_is_repaired_and_answered(stack):
    sent = answered_once(stack, "older_shape.json")

    assert sent["chat_id"] == "1111111" and sent["text"]
    assert "kuaidi_rejected_total{" not in stack.metrics()


def test_a_topic_question_is_answered_and_pushed_in_that_topic(stack):
    stack.upstream.set_track(YT, 2, [("2026-11-01 08:00:00", "【深圳】已揽收")])

    assert stack.telegram(load("topic_question.json")) == 200
    assert stack.work() == 1

    answers = stack.sent()
    assert answers and any("订阅" in a["text"] for a in answers)
    assert all((a["chat_id"], a["message_thread_id"]) == (FORUM, "3000") for a in answers)
    events = [("2026-11-02 09:00:00", "【深圳】派送中"), ("2026-11-01 08:00:00", "【深圳】已揽收")]
    stack.upstream.set_track(YT, 3, events)
    before = len(stack.sent())

    stack.poll()

    pushes = stack.sent()[before:]
    assert pushes, "the change was not pushed"
    assert all((p["chat_id"], p["message_thread_id"]) == (FORUM, "3000") for p in pushes)
    assert "派送中" in pushes[0]["text"]


def test_subscriptions_from_two_topics_of_one_forum_push_each_into_its_own(stack):
    other = "YT1234567890124"
    for number in (YT, other):
        stack.upstream.set_track(number, 2, [("2026-11-01 08:00:00", "【深圳】已揽收")])
    in_general = load("topic_question.json")
    message = in_general["message"]
    message.update(message_id=3100, text=f"/subscribe@kuaidi_bot {other}")
    for key in ("message_thread_id", "is_topic_message", "reply_to_message"):
        del message[key]  # General: no topic
    in_general["update_id"] += 100
    assert stack.telegram(load("topic_question.json")) == 200
    assert stack.telegram(in_general) == 200
    assert stack.work() == 2
    moved = [("2026-11-02 09:00:00", "【深圳】派送中"), ("2026-11-01 08:00:00", "【深圳】已揽收")]
    for number in (YT, other):
        stack.upstream.set_track(number, 3, moved)
    before = len(stack.sent())

    stack.poll()

    pushes = {p.get("message_thread_id", ""): p["text"] for p in stack.sent()[before:]}
    assert set(pushes) == {"3000", ""}  # one message per topic, not one for the chat
    assert YT in pushes["3000"] and other not in pushes["3000"]
    assert other in pushes[""] and YT not in pushes[""]
