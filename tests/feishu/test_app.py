"""End to end through the real app: webhook → durable inbox → handler → outbox → Feishu API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from adapters.web import create_app
from bot.models import Incoming, Reply
from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.runtime import Runtime
from bot.settings import Settings
from bot.storage import open_database
from tests.feishu.support import (
    VECTORS,
    card_action_event,
    message_event,
    signed_headers,
    signed_request,
)

EVENT = VECTORS["event"]


@pytest.fixture
def handled() -> list[Incoming]:
    return []


@pytest.fixture
def runtime(sqlite_url, clock, adapter, handled) -> Iterator[Runtime]:
    """A thread-less runtime on SQLite whose handler answers in the asker's thread."""

    def answer(message: Incoming) -> list[Reply]:
        handled.append(message)
        return [Reply(text=f"收到 {message.text or message.action}", reply_to=message.message_id)]

    db = open_database(sqlite_url)
    runtime = Runtime(RuntimePorts(db, answer, {"feishu": adapter.sender()}, clock), NO_THREADS)
    yield runtime
    runtime.stop()
    db.dispose()


@pytest.fixture
def app_client(runtime, adapter):
    app = create_app(runtime, [adapter], Settings(_env_file=None), lambda: True)
    assert adapter.identity.wait(5)
    return app.test_client()


def test_vector_flows_to_a_reply_on_the_askers_message(app_client, runtime, fake_api, handled):
    body = EVENT["raw_body"].encode()
    headers = signed_headers(body)
    assert app_client.post("/feishu/events", data=body, headers=headers).status_code == 200
    redelivered, redelivered_headers = signed_request(message_event(event_id="ev-new"))
    response = app_client.post("/feishu/events", data=redelivered, headers=redelivered_headers)
    assert response.status_code == 200
    assert runtime.process_pending() == 1
    assert [(m.text, m.is_group, m.addressed) for m in handled] == [("/sub 天气", True, True)]
    assert runtime.send_pending() == 1
    [call] = fake_api.calls("POST", "/open-apis/im/v1/messages/om_msg1/reply")
    assert json.loads(call["json"]["content"]) == {"text": "收到 /sub 天气"}


def test_forged_request_through_the_app_is_refused_without_a_row(app_client, runtime):
    headers = {**EVENT["headers"], "X-Lark-Signature": "f" * 64}
    response = app_client.post("/feishu/events", data=EVENT["raw_body"].encode(), headers=headers)
    assert response.status_code == 403
    assert runtime.process_pending() == 0


def test_card_press_through_the_app(app_client, runtime, handled):
    body, headers = signed_request(card_action_event("unsub:SF1"))
    response = app_client.post("/feishu/card", data=body, headers=headers)
    assert (response.status_code, response.get_json()) == (200, {})
    assert runtime.process_pending() == 1
    assert (handled[0].action, handled[0].callback_id) == ("unsub:SF1", "ev-card-1")
