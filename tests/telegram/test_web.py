"""The adapter inside the real web app and runtime (SQLite): webhook or long polling → inbox →
handler → outbox → Bot API, with nothing sent inside the request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from adapters.telegram import build_adapter
from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH
from adapters.web import create_app
from bot.models import Incoming, Reply
from bot.runtime.runtime import Runtime
from bot.runtime.shared import SharedState
from bot.storage import open_database
from tests.telegram.updates import callback_update, text_update


def handler(message: Incoming) -> list[Reply]:
    """A stand-in engine: echo commands, refresh a card on a button press."""
    if message.action:
        return [
            Reply(
                text=f"已刷新 {message.action}",
                edit_of=message.message_id,
                callback_id=message.callback_id or "",
            )
        ]
    reply_to = message.message_id if message.is_group else None
    return [Reply(text=f"收到：{message.text}", reply_to=reply_to)]


@pytest.fixture
def stack(settings, fake_api, clock, sqlite_url) -> Iterator[tuple]:
    """(flask client, runtime, adapter) wired like production against the fake Bot API."""
    db = open_database(sqlite_url)
    shared = SharedState.create(db, clock, None)
    adapter = build_adapter(settings, shared.tokens)
    runtime = Runtime(
        db, handler, {"telegram": adapter.sender()}, clock,
        worker_threads=0, sender_threads=0, shared=shared,
    )  # fmt: skip
    app = create_app(runtime, [adapter], settings)
    yield app.test_client(), runtime, adapter
    adapter.stop()
    runtime.stop()
    db.dispose()


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

    processed = 0
    deadline = time.monotonic() + 5
    while processed < 2 and time.monotonic() < deadline:
        processed += runtime.process_pending()
        time.sleep(0.02)
    runtime.send_pending()

    assert processed == 2
    texts = sorted(call.params["text"] for call in fake_api.of("sendMessage"))
    assert texts == ["收到：/list", "收到：/sub 天气 &lt;b&gt;"]
