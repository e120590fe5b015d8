"""The adapter inside the real web app and runtime: webhook → inbox → handler → outbox →
`message/send` / `response_url`, with the runtime's database TokenCache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.web import create_app
from adapters.wecom import build_adapter
from bot.models import Reply
from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.runtime import Runtime
from bot.runtime.shared import SharedState
from bot.storage import open_database
from tests.wecom.support import aibot_request, make_settings


@pytest.fixture
def stack(vectors, fake_api, clock, sqlite_url) -> Iterator[tuple]:
    """(flask client, runtime) wired like production, on SQLite, against the fake API."""
    db = open_database(sqlite_url)
    shared = SharedState.create(db, clock, None)
    # Vector C was signed in 2016: the freshness window (tested in test_inbound) is off here.
    settings = make_settings(vectors, fake_api.base, webhook_max_skew=0)
    adapter = build_adapter(settings, shared.tokens)

    def handler(message):
        reply_to = message.message_id if message.is_group else None
        return [Reply(text=f"收到：{message.text}", reply_to=reply_to)]

    ports = RuntimePorts(db, handler, {"wecom": adapter.sender()}, clock, shared=shared)
    runtime = Runtime(ports, NO_THREADS)
    app = create_app(runtime, [adapter], settings)
    yield app.test_client(), runtime
    adapter.stop()
    db.dispose()


def test_vector_c_through_the_runtime_to_message_send(stack, vectors, fake_api):
    client, runtime = stack
    v = vectors["post_message"]
    query = {k: v[k] for k in ("msg_signature", "timestamp", "nonce")}
    for _ in range(2):  # WeCom retries: the second delivery is a duplicate
        assert (
            client.post("/wecom/callback", query_string=query, data=v["body"]).status_code == 200
        )
    assert fake_api.requests == []  # nothing is sent inside the request
    assert runtime.process_pending() == 1
    assert runtime.send_pending() == 1
    [sent] = fake_api.sent("/cgi-bin/message/send")
    assert sent.body["touser"] == "ChenJiaShun"
    assert sent.body["markdown"]["content"] == "收到：你好"
    assert fake_api.gettoken_calls == 1


def test_aibot_group_message_through_the_runtime(stack, vectors, fake_api):
    client, runtime = stack
    payload = {
        "msgid": "m8", "aibotid": "bot1", "chatid": "chat8", "chattype": "group",
        "from": {"userid": "zhaoliu"}, "response_url": fake_api.response_url("c8"),
        "msgtype": "text", "text": {"content": "@MyBot 天气"},
    }  # fmt: skip
    query, body = aibot_request(vectors, payload)
    assert client.post("/wecom/aibot", query_string=query, json=body).status_code == 200
    assert runtime.process_pending() == 1
    assert runtime.send_pending() == 1
    [sent] = fake_api.sent("/cgi-bin/aibot/response")
    assert sent.query == {"response_code": "c8"}
    assert sent.body["markdown"]["content"] == "收到：天气"


def test_forged_request_through_the_app_records_nothing(stack, vectors):
    client, runtime = stack
    v = vectors["post_message"]
    query = {"msg_signature": "0" * 40, "timestamp": v["timestamp"], "nonce": v["nonce"]}
    assert client.post("/wecom/callback", query_string=query, data=v["body"]).status_code == 403
    assert runtime.process_pending() == 0
