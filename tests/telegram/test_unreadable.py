"""One update python-telegram-bot cannot build never stops intake: it is recorded as rejected,
counted once in /metrics and skipped, in both intake modes, while older shapes are repaired."""

from __future__ import annotations

import copy

from sqlalchemy import select

from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH
from adapters.telegram.reading import Unreadable, build_update, repair_old_shapes
from bot.runtime.schema import inbox as inbox_table
from tests.support.runtime import process_until
from tests.telegram.updates import text_update

REJECTED_LINE = 'kuaidi_rejected_total{platform="telegram"} 1'


def unreadable_update(update_id: int) -> dict:
    """A message whose chat is a bare name instead of an object: no repair can read it."""
    update = text_update(update_id, "SF1524097970481 secret text", chat_id=555)
    update["message"]["chat"] = "@somewhere"
    return update


def older_shape_update(update_id: int) -> dict:
    """A private message from a user recorded before Bot API 3.x: no `is_bot`."""
    update = text_update(update_id, "/help", chat_id=555)
    update["message"]["from"] = {"id": 11111, "first_name": "Alice"}
    return update


def inbox_rows(runtime) -> list[tuple[str, str, str]]:
    query = select(inbox_table.c.delivery_id, inbox_table.c.status, inbox_table.c.payload)
    with runtime.db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query.order_by(inbox_table.c.id))]


def test_long_polling_skips_an_unreadable_update_and_answers_the_next(stack, fake_api, caplog):
    client, runtime, adapter = stack
    fake_api.queue_updates(unreadable_update(700), text_update(701, "/list", chat_id=555))
    adapter.start_intake(runtime.inbox)

    processed = process_until(runtime, 1, seconds=10)
    runtime.send_pending()

    assert processed == 1
    assert [call.params["text"] for call in fake_api.of("sendMessage")] == ["收到：/list"]
    offsets = [call.params.get("offset") for call in fake_api.wait_for("getUpdates", 2)]
    assert offsets[1] == "702"  # past both: the unreadable one is never fetched again
    assert REJECTED_LINE in client.get("/metrics").get_data(as_text=True)
    assert [(d, s) for d, s, _ in inbox_rows(runtime)] == [("700", "rejected"), ("701", "done")]
    assert "secret text" not in caplog.text and "telegram update 700 (message)" in caplog.text


def test_webhook_answers_200_to_an_unreadable_update_and_counts_it_once(stack, vector):
    client, runtime, _ = stack
    headers = {SECRET_HEADER: vector["secret_token"]}

    answers = [
        client.post(WEBHOOK_PATH, json=unreadable_update(800), headers=headers).status_code
        for _ in range(2)  # had we said 400, Telegram would have re-sent it: it did anyway
    ]

    assert answers == [200, 200]
    assert runtime.process_pending() == 0
    [(delivery, status, payload)] = inbox_rows(runtime)
    assert (delivery, status) == ("800", "rejected")
    assert "SF1524097970481" not in payload and "message" in payload
    metrics = client.get("/metrics").get_data(as_text=True)
    assert REJECTED_LINE in metrics
    assert 'kuaidi_inbox_rows{status="rejected"} 1' in metrics


def test_an_older_shape_update_is_repaired_and_answered(stack, vector, fake_api):
    client, runtime, _ = stack
    headers = {SECRET_HEADER: vector["secret_token"]}

    response = client.post(WEBHOOK_PATH, json=older_shape_update(900), headers=headers)

    assert response.status_code == 200
    assert runtime.process_pending() == 1
    runtime.send_pending()
    assert [call.params["text"] for call in fake_api.of("sendMessage")] == ["收到：/help"]


def test_newer_shapes_unknown_fields_and_update_types_are_read(adapter):
    newer = text_update(1, "/help", chat_id=555)
    newer["message"]["from"]["brand_new_field"] = {"nested": [1, 2]}
    newer["message"]["some_future_field"] = True

    built = build_update(newer, adapter.bridge.bot)
    unknown = build_update({"update_id": 2, "future_update": {"x": 1}}, adapter.bridge.bot)

    assert not isinstance(built, Unreadable) and built.message.text == "/help"
    assert not isinstance(unknown, Unreadable) and unknown.message is None


def test_repair_fills_users_only_and_leaves_the_input_alone():
    update = older_shape_update(5)
    update["message"]["reply_to_message"] = {"from": {"id": 7, "username": "bob"}}
    del update["message"]["chat"]["type"]
    before = copy.deepcopy(update)

    fixed = repair_old_shapes(update)

    assert update == before
    assert fixed["message"]["from"]["is_bot"] is False
    assert fixed["message"]["reply_to_message"]["from"] == {
        "id": 7,
        "username": "bob",
        "is_bot": False,
        "first_name": "",
    }
    assert fixed["message"]["chat"] == {"id": 555, "first_name": "Alice", "type": "private"}
