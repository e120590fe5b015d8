"""The adapter inside the real web app and runtime (SQLite): webhook or long polling → inbox →
handler → outbox → Bot API, with nothing sent inside the request."""

from __future__ import annotations

import json

from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH
from tests.support.runtime import process_until
from tests.telegram.updates import callback_update, text_update


def test_vector_through_the_runtime_is_answered_once(stack, vector, fake_api):
    client, runtime, _ = stack
    headers = {SECRET_HEADER: vector["secret_token"]}
    for _ in range(2):  # Telegram re-delivers: the second is a duplicate
        assert client.post(WEBHOOK_PATH, json=vector["update"], headers=headers).status_code == 200
    assert fake_api.of("sendMessage") == []  # nothing is sent inside the request

    assert runtime.process_pending() == 1
    assert runtime.send_pending() == 1

    [sent] = fake_api.of("sendMessage")
    assert sent.params["chat_id"] == "-1001234567890"
    assert sent.params["text"] == "收到：/sub 天气 &lt;b&gt;"
    assert json.loads(sent.params["reply_parameters"])["message_id"] == 42


def test_forged_request_is_403_through_the_app(stack, vector):
    client, runtime, _ = stack

    response = client.post(WEBHOOK_PATH, json=vector["update"], headers={SECRET_HEADER: "x"})

    assert response.status_code == 403
    assert runtime.process_pending() == 0


def test_button_press_is_acknowledged_and_edits_the_card(stack, vector, fake_api):
    client, runtime, _ = stack
    update = callback_update(777, "refresh:SF1524097970481")

    response = client.post(
        WEBHOOK_PATH, json=update, headers={SECRET_HEADER: vector["secret_token"]}
    )
    assert response.status_code == 200
    assert fake_api.of("answerCallbackQuery") == []  # answered by the sender, not the request
    runtime.process_pending()
    runtime.send_pending()

    [ack] = fake_api.of("answerCallbackQuery")
    [edit] = fake_api.of("editMessageText")
    assert ack.params["callback_query_id"] == "cbq-777"
    assert (edit.params["message_id"], edit.params["chat_id"]) == ("77", "555")
    assert edit.params["text"] == "已刷新 refresh:SF1524097970481"


def test_long_polling_feeds_the_same_runtime(stack, fake_api, vector):
    _, runtime, adapter = stack
    fake_api.queue_updates(vector["update"], text_update(100000002, "/list", chat_id=555))
    adapter.start_intake(runtime.inbox)

    processed = process_until(runtime, 2, seconds=5)
    runtime.send_pending()

    assert processed == 2
    texts = sorted(call.params["text"] for call in fake_api.of("sendMessage"))
    assert texts == ["收到：/list", "收到：/sub 天气 &lt;b&gt;"]
