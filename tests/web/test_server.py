"""End to end over real sockets: a werkzeug server, the runtime's threads, a fake platform."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from werkzeug.serving import make_server

from adapters.web import create_app
from bot.clock import Clock
from bot.models import Reply
from bot.runtime.config import RuntimePorts, RuntimeThreads
from bot.runtime.runtime import Runtime
from tests.support.web import signed, update_body


@pytest.fixture
def served(database, adapter, settings) -> Iterator[dict]:
    """The app on 127.0.0.1 with a runtime whose handler waits for the test's go-ahead."""
    release = threading.Event()
    handled: list[str] = []

    def slow_handler(message):
        release.wait(10)  # the upstream call, as slow as the test likes
        handled.append(message.text)
        return [Reply(text=f"re: {message.text}")]

    runtime = Runtime(
        RuntimePorts(database, slow_handler, {"testing": adapter.sender()}, Clock()),
        RuntimeThreads(worker_threads=2, sender_threads=1, poll_interval=0.02),
    )
    server = make_server("127.0.0.1", 0, create_app(runtime, [adapter], settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    runtime.start()
    yield {
        "url": f"http://127.0.0.1:{server.server_port}",
        "release": release,
        "handled": handled,
        "runtime": runtime,
    }
    release.set()
    runtime.stop()
    server.shutdown()


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_webhook_answers_before_the_slow_work_and_a_redelivery_gets_one_reply(
    served, platform_api
):
    body = update_body(42, "YT1234567890123")
    with httpx.Client(base_url=served["url"], timeout=5) as http:
        first = http.post("/webhook/testing", content=body, headers=signed(body))
        assert first.status_code == 200
        assert served["handled"] == []  # answered while the handler is still blocked
        # The platform re-delivers because it thinks we were slow.
        again = http.post("/webhook/testing", content=body, headers=signed(body))
        assert again.json() == {"ok": True, "duplicate": True}
    served["release"].set()
    assert _wait_for(lambda: platform_api.sent_keys() == ["testing:42:0"])
    time.sleep(0.3)  # give a wrongly duplicated reply the time to show up
    assert platform_api.sent_keys() == ["testing:42:0"]
    assert served["handled"] == ["YT1234567890123"]
    assert platform_api.sends[0].text == "re: YT1234567890123"


def test_many_chats_at_once_each_get_their_reply(served, platform_api):
    served["release"].set()
    with httpx.Client(base_url=served["url"], timeout=5) as http:
        for n in range(20):
            body = update_body(n, f"msg{n}", chat=f"chat{n}")
            assert http.post("/webhook/testing", content=body, headers=signed(body)).is_success
    assert _wait_for(lambda: len(platform_api.sent_keys()) == 20)
    assert sorted(platform_api.sent_keys()) == sorted(f"testing:{n}:0" for n in range(20))


def test_oversized_chunked_body_is_refused(served, settings):
    def chunks():
        for _ in range(10):
            yield b"x" * (settings.max_request_bytes // 4)

    with httpx.Client(base_url=served["url"], timeout=5) as http:
        response = http.post("/webhook/testing", content=chunks(), headers=signed(b""))
    assert response.status_code == 413
    assert response.json()["error"] == "request_entity_too_large"
