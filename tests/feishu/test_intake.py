"""Long-connection mode: the lark-oapi event conversion and the intake thread wiring."""

from __future__ import annotations

import asyncio
import json
import threading

from adapters.feishu import build_adapter
from adapters.feishu.intake import event_to_dict
from adapters.feishu.parse import parse_envelope
from tests.feishu.support import VECTORS, RecordingInbox, card_action_event, make_settings

PLAINTEXT = VECTORS["event"]["plaintext"]


def test_lark_event_converts_to_the_webhook_message():
    # lark-oapi is imported where it is used: it takes seconds, and every xdist worker
    # would pay them while collecting.
    import lark_oapi
    from lark_oapi.api.im.v1 import P2ImMessageReceiveV1

    event = lark_oapi.JSON.unmarshal(json.dumps(PLAINTEXT), P2ImMessageReceiveV1)
    from_ws = parse_envelope(event_to_dict(event), "ou_bot")
    from_webhook = parse_envelope(PLAINTEXT, "ou_bot")
    assert from_ws == from_webhook
    assert (from_ws.delivery_id, from_ws.message.text) == ("om_msg1", "/sub 天气")


class FakeWsClient:
    """Stands in for lark.ws.Client: records how it was built and the loop it would use."""

    instances: list[FakeWsClient] = []

    def __init__(self, app_id, app_secret, handler, domain):
        self.args = (app_id, app_secret, domain)
        self.handler = handler
        self.started = threading.Event()
        FakeWsClient.instances.append(self)

    def start(self):
        import lark_oapi.ws.client

        self.thread_loop = asyncio.get_event_loop()
        self.lark_loop = lark_oapi.ws.client.loop
        self.thread = threading.current_thread()
        self.started.set()


def test_websocket_mode_builds_the_client_in_its_own_loop_and_feeds_the_inbox(fake_api, tokens):
    FakeWsClient.instances.clear()
    settings = make_settings(fake_api.base, feishu_mode="websocket", feishu_encrypt_key=None)
    adapter = build_adapter(settings, tokens, ws_client_factory=FakeWsClient)
    inbox = RecordingInbox()
    assert adapter.blueprint(inbox) is None
    adapter.start_intake(inbox)
    adapter.intake.thread.join(5)
    [client] = FakeWsClient.instances
    assert client.started.is_set()
    assert client.args == ("cli_test", "app-secret", fake_api.base)
    assert client.thread is not threading.main_thread()
    assert client.lark_loop is client.thread_loop  # lark's module loop is the thread's new loop
    assert adapter.identity.open_id == "ou_bot"  # learned before connecting

    client.handler._do_without_validation(json.dumps(PLAINTEXT).encode())
    client.handler._do_without_validation(json.dumps(card_action_event("sub:SF1")).encode())
    client.handler._do_without_validation(json.dumps(PLAINTEXT).encode())  # re-delivery
    assert [(d, m.addressed, m.action) for d, m in inbox.accepted] == [
        ("om_msg1", True, None),
        ("card:ev-card-1", True, "sub:SF1"),
    ]
    adapter.stop()
