"""Feishu ids longer than usual, end to end through the real app, worker and sender, on SQLite
and PostgreSQL: a message id of 185 characters and a card press on a message whose id has 203
are answered; ids over the runtime's bound are refused 400 at the door with nothing stored.

(Before schema 2, PostgreSQL refused the 185-character id's outbox key, and the card update's
203-character message id when the send was recorded, and the chat stopped being answered.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from adapters.web import create_app
from bot.models import Incoming, Reply
from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.ports import MAX_ID_BYTES
from bot.runtime.runtime import Runtime
from bot.runtime.schema import SENT, inbox, outbox
from bot.settings import Settings
from tests.feishu.support import card_action_event, message_event, signed_request
from tests.support.ids import random_id

MESSAGE_ID = "om_" + random_id(182)
CARD_MESSAGE_ID = "om_" + random_id(200)


def answer(message: Incoming) -> list[Reply]:
    """A press updates the card it came from; a message is answered quoting it."""
    if message.action:
        return [Reply(text=f"pressed {message.action}", edit_of=message.message_id)]
    return [Reply(text=f"收到 {message.text}", reply_to=message.message_id)]


@pytest.fixture
def runtime(database, clock, adapter) -> Iterator[Runtime]:
    runtime = Runtime(
        RuntimePorts(database, answer, {"feishu": adapter.sender()}, clock), NO_THREADS
    )
    yield runtime
    runtime.stop()


@pytest.fixture
def app_client(runtime, adapter):
    app = create_app(runtime, [adapter], Settings(_env_file=None), lambda: True)
    assert adapter.identity.wait(5)
    return app.test_client()


def card_press(open_message_id: str) -> dict:
    payload = card_action_event("refresh:SF1")
    payload["event"]["context"]["open_message_id"] = open_message_id
    return payload


def post(client, path: str, payload: dict):
    body, headers = signed_request(payload)
    return client.post(path, data=body, headers=headers)


def test_a_185_character_message_id_is_answered(app_client, runtime, fake_api, database):
    assert (len(MESSAGE_ID), len(CARD_MESSAGE_ID)) == (185, 203)
    response = post(app_client, "/feishu/events", message_event(message_id=MESSAGE_ID))
    assert response.status_code == 200
    assert runtime.process_pending() == 1
    assert runtime.send_pending() == 1
    [call] = fake_api.calls("POST", f"/open-apis/im/v1/messages/{MESSAGE_ID}/reply")
    assert json.loads(call["json"]["content"])["text"].startswith("收到")
    with database.engine.connect() as conn:
        [row] = conn.execute(select(outbox.c.idempotency_key, outbox.c.status)).all()
    assert row == (f"feishu:{MESSAGE_ID}:0", SENT)


def test_a_press_on_a_203_character_message_id_updates_that_card(
    app_client, runtime, fake_api, database
):
    response = post(app_client, "/feishu/card", card_press(CARD_MESSAGE_ID))
    assert (response.status_code, response.get_json()) == (200, {})
    assert runtime.process_pending() == 1
    assert runtime.send_pending() == 1
    assert len(fake_api.calls("PATCH", f"/open-apis/im/v1/messages/{CARD_MESSAGE_ID}")) == 1
    with database.engine.connect() as conn:
        [row] = conn.execute(select(outbox.c.status, outbox.c.message_id)).all()
    assert row == (SENT, CARD_MESSAGE_ID)  # recorded: the chat's next reply is not held back
    # …and the chat's next message is answered.
    post(app_client, "/feishu/events", message_event(event_id="ev-2", message_id="om_next"))
    assert runtime.process_pending() == 1 and runtime.send_pending() == 1


@pytest.mark.parametrize("size", [MAX_ID_BYTES + 1, 4096])
def test_ids_over_the_bound_are_refused_at_the_door(app_client, runtime, database, size):
    too_long = "om_" + random_id(size - 3)
    message = post(app_client, "/feishu/events", message_event(message_id=too_long))
    press = post(app_client, "/feishu/card", card_press(too_long))
    assert (message.status_code, press.status_code) == (400, 400)
    assert message.get_json()["error"] == "malformed_id"
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inbox)).scalar() == 0
    assert runtime.process_pending() == 0
