"""Outbound through the PTB bridge to the fake Bot API: exact forms, edits, callbacks, errors."""

from __future__ import annotations

import html
import json
import logging
from urllib.parse import parse_qsl

import pytest
from telegram import Update
from telegram.constants import ParseMode

from adapters.telegram.inbound import parse_update
from adapters.telegram.render import render_messages
from bot.models import Button, Reply, Target, TrackingCard, TrackingEvent
from tests.telegram.fake_bot_api import TOKEN

# PTB's own RetryAfter constructor warns (the adapter silences it outside pytest too).
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after` will be of type")

GROUP = Target("telegram", "-1001234567890", "11111", is_group=True)
PRIVATE = Target("telegram", "555", "555")


def card(events: int = 3) -> TrackingCard:
    return TrackingCard(
        number="SF1524097970481",
        carrier_code="SF",
        carrier_name="顺丰速运",
        carrier_phone="95338",
        status=3,
        status_label="运输中",
        status_emoji="🚚",
        is_final=False,
        events=tuple(TrackingEvent(None, f"scan {i} <ok>") for i in range(events)),
    )


def test_vector_reply_form_is_reproduced_exactly(adapter, fake_api, vector, me):
    """PTB 22.8 through our bridge posts exactly the vector's sendMessage form."""
    bridge = adapter.bridge
    update = Update.de_json(vector["update"], bridge.bot)
    _, incoming = parse_update(update, me)
    args = incoming.text.split(maxsplit=1)[1]  # "/sub 天气 <b>" → "天气 <b>"

    bridge.call(
        lambda bot: update.message.reply_text(
            f"订阅 <b>{html.escape(args)}</b>", parse_mode=ParseMode.HTML
        )
    )

    [call] = fake_api.of("sendMessage")
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.body.decode() == vector["expected_sendMessage_form"]


def test_group_reply_quotes_the_asker_and_escapes_text(adapter, fake_api):
    result = adapter.sender().send(GROUP, Reply(text="订阅 天气 <b>", reply_to="42"), "k1")

    [call] = fake_api.of("sendMessage")
    assert result.ok and result.message_id == "1001"
    assert call.params["chat_id"] == "-1001234567890"
    assert call.params["text"] == "订阅 天气 &lt;b&gt;"
    assert call.params["parse_mode"] == "HTML"
    assert json.loads(call.params["reply_parameters"]) == {
        "message_id": 42,
        "allow_sending_without_reply": True,
    }
    assert "reply_markup" not in call.params


def test_card_with_buttons_and_callback_ack(adapter, fake_api):
    reply = Reply(
        card=card(),
        buttons=(Button("🔄 刷新", "refresh:SF1524097970481"), Button("🔕", "unsub:SF1")),
        callback_id="cbq-9",
    )

    result = adapter.sender().send(PRIVATE, reply, "k2")

    assert result.ok
    assert [c.method for c in fake_api.calls] == ["answerCallbackQuery", "sendMessage"]
    assert fake_api.of("answerCallbackQuery")[0].params == {"callback_query_id": "cbq-9"}
    sent = fake_api.of("sendMessage")[0].params
    assert sent["text"].startswith("<b>📦 顺丰速运 SF1524097970481</b>\n<b>🚚 运输中</b>\n")
    assert "scan 0 &lt;ok&gt;" in sent["text"]
    assert json.loads(sent["reply_markup"]) == {
        "inline_keyboard": [
            [
                {"text": "🔄 刷新", "callback_data": "refresh:SF1524097970481"},
                {"text": "🔕", "callback_data": "unsub:SF1"},
            ]
        ]
    }


def test_edit_of_edits_the_card_in_place(adapter, fake_api):
    reply = Reply(card=card(), buttons=(Button("🔄", "refresh:SF1"),), edit_of="77")

    result = adapter.sender().send(PRIVATE, reply, "k3")

    [edit] = fake_api.of("editMessageText")
    assert (result.ok, result.message_id) == (True, "77")
    assert (edit.params["chat_id"], edit.params["message_id"]) == ("555", "77")
    assert edit.params["parse_mode"] == "HTML"
    assert "refresh:SF1" in edit.params["reply_markup"]
    assert fake_api.of("sendMessage") == []


def test_failed_edit_falls_back_to_a_new_message(adapter, fake_api):
    fake_api.fail_next("editMessageText", 400, "Bad Request: message is not modified: same")
    fake_api.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    sender = adapter.sender()

    unchanged = sender.send(PRIVATE, Reply(text="same", edit_of="77"), "k4")
    gone = sender.send(PRIVATE, Reply(text="again", edit_of="78"), "k5")

    assert [r.message_id for r in (unchanged, gone)] == ["1001", "1002"]
    assert [c.params["text"] for c in fake_api.of("sendMessage")] == ["same", "again"]


def test_other_edit_errors_are_reported_not_resent(adapter, fake_api):
    fake_api.fail_next("editMessageText", 400, "Bad Request: message text is empty")

    result = adapter.sender().send(PRIVATE, Reply(text="x", edit_of="77"), "k6")

    assert (result.ok, result.permanent) == (False, False)
    assert "message text is empty" in result.error.lower()
    assert fake_api.of("sendMessage") == []


def test_retry_after_is_honoured(adapter, fake_api):
    fake_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)

    result = adapter.sender().send(PRIVATE, Reply(text="hi"), "k7")

    assert (result.ok, result.retry_after, result.permanent) == (False, 7.0, False)


def test_blocked_user_and_missing_chat_are_permanent(adapter, fake_api):
    fake_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    fake_api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    sender = adapter.sender()

    blocked = sender.send(PRIVATE, Reply(text="hi"), "k8")
    missing = sender.send(PRIVATE, Reply(text="hi"), "k9")

    assert (blocked.ok, blocked.permanent) == (False, True)
    assert "blocked" in blocked.error
    assert (missing.ok, missing.permanent) == (False, True)


def test_html_rejected_by_telegram_is_resent_as_plain_text(adapter, fake_api):
    fake_api.fail_next("sendMessage", 400, "Bad Request: can't parse entities: unsupported tag")

    result = adapter.sender().send(PRIVATE, Reply(text="a <b> & c"), "k10")

    first, second = fake_api.of("sendMessage")
    assert result.ok
    assert (first.params["text"], first.params["parse_mode"]) == ("a &lt;b&gt; &amp; c", "HTML")
    assert second.params["text"] == "a <b> & c" and "parse_mode" not in second.params


def test_group_migrated_to_supergroup_is_followed(adapter, fake_api):
    fake_api.fail_next(
        "sendMessage", 400, "Bad Request: group upgraded", migrate_to_chat_id=-100999
    )

    result = adapter.sender().send(Target("telegram", "-5", is_group=True), Reply(text="x"), "k")

    assert result.ok
    assert [c.params["chat_id"] for c in fake_api.of("sendMessage")] == ["-5", "-100999"]


def test_retried_split_reply_does_not_repeat_sent_chunks(adapter, fake_api):
    reply = Reply(card=card(events=300), buttons=(Button("🔄", "refresh:SF1"),), reply_to="42")
    chunks = render_messages(reply)
    sender = adapter.sender()

    # the second chunk hits the flood limit; the runtime retries the same row later
    first_try = _send_with_failure_at(fake_api, sender, reply, chunk=2)
    second_try = sender.send(GROUP, reply, "row-1")

    sends = fake_api.of("sendMessage")
    delivered = [sends[0], *sends[2:]]  # sends[1] was answered with 429
    assert len(chunks) >= 3
    assert first_try.retry_after == 3.0 and second_try.ok
    assert [c.params["text"] for c in delivered] == chunks  # each chunk once, in order
    assert "reply_parameters" in delivered[0].params  # only the first chunk quotes the asker
    assert all("reply_parameters" not in c.params for c in delivered[1:])
    assert "reply_markup" in delivered[-1].params  # buttons under the last chunk only
    assert all("reply_markup" not in c.params for c in delivered[:-1])
    assert second_try.message_id == str(1000 + len(delivered))  # the fake's id for the last


def test_every_chunk_of_a_long_reply_goes_to_the_topic(adapter, fake_api):
    reply = Reply(card=card(events=300), buttons=(Button("🔄", "refresh:SF1"),), reply_to="42")
    topic = Target("telegram", "-1001987654321", "11111", is_group=True, thread_id="3000")

    result = adapter.sender().send(topic, reply, "row-topic")

    sends = fake_api.of("sendMessage")
    assert result.ok and len(sends) == len(render_messages(reply)) >= 3
    assert [c.params["message_thread_id"] for c in sends] == ["3000"] * len(sends)


def test_an_edit_that_falls_back_to_a_new_message_lands_in_the_topic(adapter, fake_api):
    fake_api.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    topic = Target("telegram", "-1001987654321", "11111", is_group=True, thread_id="3000")

    adapter.sender().send(topic, Reply(text="已刷新", edit_of="77"), "row-edit")

    [edit] = fake_api.of("editMessageText")
    [sent] = fake_api.of("sendMessage")
    assert "message_thread_id" not in edit.params  # an edit stays where the message is
    assert sent.params["message_thread_id"] == "3000"


def _send_with_failure_at(fake_api, sender, reply, chunk):
    """Send `reply` with the `chunk`-th sendMessage (1-based) answered by a 429."""
    original = fake_api.answer
    count = {"n": 0}

    def answer(method, params):
        if method == "sendMessage":
            count["n"] += 1
            if count["n"] == chunk:
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests",
                    "parameters": {"retry_after": 3},
                }
                return 429, body
        return original(method, params)

    fake_api.answer = answer
    try:
        return sender.send(GROUP, reply, "row-1")
    finally:
        fake_api.answer = original


def test_token_never_reaches_the_logs(adapter, fake_api, caplog):
    caplog.set_level(logging.DEBUG)
    fake_api.fail_next("sendMessage", 403, "Forbidden: bot was kicked")

    result = adapter.sender().send(PRIVATE, Reply(text="hi"), "k11")
    adapter.sender().send(PRIVATE, Reply(text="hi"), "k12")

    assert "<token>" in caplog.text  # httpx logged the URL, redacted
    assert TOKEN not in caplog.text
    assert TOKEN not in result.error
    assert dict(parse_qsl(fake_api.of("sendMessage")[-1].body.decode()))["text"] == "hi"
