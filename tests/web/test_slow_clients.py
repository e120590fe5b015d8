"""Slow clients cannot take the bot down: real `kuaidi-bot run` and Procfile web processes.

64 connections per inbound route announce a body with headers that pass every check made
before the body (the right Telegram secret, well-formed WeCom query and Feishu signature
headers) and then send it one byte at a time. Meanwhile `/healthz` and a signed Telegram
webhook must keep answering, each request given 1 s (its client timeout), and every slow
connection must be answered 408 and closed by the server before the client gives up on it
(its deadline plus a margin for a busy machine).
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH
from tests.feishu.support import FakeFeishu
from tests.support.processes import ROOT, process_env, procfile, start, stop, wait_ready
from tests.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.telegram.updates import text_update
from tests.wecom.support import FakeWeCom

TELEGRAM = json.loads((ROOT / "tests/data/vectors/telegram.json").read_text(encoding="utf-8"))
WECOM = json.loads((ROOT / "tests/data/vectors/wecom.json").read_text(encoding="utf-8"))
READ_TIMEOUT = 2.0  # REQUEST_READ_TIMEOUT for the processes under test
PER_ROUTE = 64
ANSWER_WITHIN = 1.0  # what /healthz and a webhook get, as their client timeout
GIVE_UP_AFTER = READ_TIMEOUT + 3.0  # a slow client's own limit for receiving its 408
DRIP_EVERY = 0.25


def _slow_requests() -> dict[str, bytes]:
    """Per route: headers that pass the before-the-body checks, announcing 2 KiB of body."""
    now = str(int(time.time()))
    wecom_query = f"msg_signature={'a' * 40}&timestamp={now}&nonce=1372623149"
    feishu = (
        f"X-Lark-Request-Timestamp: {now}\r\nX-Lark-Request-Nonce: 1628743913\r\n"
        f"X-Lark-Signature: {'b' * 64}\r\n"
    )
    routes = {
        "telegram": (WEBHOOK_PATH, f"{SECRET_HEADER}: {TELEGRAM['secret_token']}\r\n"),
        "wecom callback": (f"/wecom/callback?{wecom_query}", ""),
        "wecom aibot": (f"/wecom/aibot?{wecom_query}", ""),
        "feishu events": ("/feishu/events", feishu),
        "feishu card": ("/feishu/card", feishu),
    }
    return {
        name: (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: 2048\r\n{extra}\r\n"
        ).encode()
        for name, (path, extra) in routes.items()
    }


@dataclass
class SlowClient:
    """One connection dripping its body; what the server answered, and whether it closed."""

    route: str
    sock: socket.socket
    give_up_at: float
    answer: bytearray = field(default_factory=bytearray)
    closed_by_server: bool = False
    done: bool = False


def drip(port: int) -> list[SlowClient]:
    """Open PER_ROUTE slow connections per route and drip bytes until each is answered and
    closed, or its client gives up. Runs on one thread with a selector."""
    clients: list[SlowClient] = []
    selector = selectors.DefaultSelector()
    for route, head in _slow_requests().items():
        for _ in range(PER_ROUTE):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(head)
            sock.setblocking(False)
            client = SlowClient(route, sock, time.monotonic() + GIVE_UP_AFTER)
            selector.register(sock, selectors.EVENT_READ, client)
            clients.append(client)
    next_drip = time.monotonic()
    while not all(client.done for client in clients):
        for key, _ in selector.select(0.05):
            _read(key.data, selector)
        now = time.monotonic()
        for client in clients:
            if not client.done and now > client.give_up_at:
                _finish(client, selector)
        if now >= next_drip:
            next_drip = now + DRIP_EVERY
            for client in clients:
                if not client.done and not client.answer:
                    with contextlib.suppress(OSError):  # closing: the answer is on its way
                        client.sock.send(b"{")
    return clients


def _read(client: SlowClient, selector: selectors.BaseSelector) -> None:
    try:
        data = client.sock.recv(65536)
    except BlockingIOError:
        return
    except OSError:
        data = b""
    if data:
        client.answer += data
    else:
        client.closed_by_server = True
        _finish(client, selector)


def _finish(client: SlowClient, selector: selectors.BaseSelector) -> None:
    selector.unregister(client.sock)
    client.sock.close()
    client.done = True


@dataclass
class Probes:
    """Answers to /healthz and a signed webhook, sent one after another until stopped."""

    base: str
    statuses: list[tuple[str, int | str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        update_id = 900_000
        while not self.stop.is_set():
            update_id += 1
            self._probe("healthz", "GET", "/healthz")
            update = text_update(update_id, "帮我查 YT1234567890123", chat_id=11111)
            headers = {SECRET_HEADER: TELEGRAM["secret_token"]}
            self._probe("webhook", "POST", WEBHOOK_PATH, json=update, headers=headers)
            time.sleep(0.05)

    def _probe(self, name: str, method: str, path: str, **kwargs) -> None:
        try:
            response = httpx.request(method, self.base + path, timeout=ANSWER_WITHIN, **kwargs)
            self.statuses.append((name, response.status_code))
        except httpx.HTTPError as error:
            self.statuses.append((name, type(error).__name__))


def assert_survives_slow_clients(port: int) -> None:
    """The whole check against a process listening on `port`."""
    probes = Probes(f"http://127.0.0.1:{port}")
    thread = threading.Thread(target=probes.run, daemon=True)
    thread.start()
    try:
        clients = drip(port)
    finally:
        probes.stop.set()
        thread.join(10)
    failed = [entry for entry in probes.statuses if entry[1] != 200]
    assert failed == []
    assert len(clients) == 5 * PER_ROUTE
    unanswered = [c.route for c in clients if not c.answer.startswith(b"HTTP/1.1 408 ")]
    assert unanswered == [], f"{len(unanswered)} slow clients got no 408 in time"
    assert all(client.closed_by_server for client in clients)
    # The probes ran while the slow clients were connected, a few times each.
    assert sum(1 for name, _ in probes.statuses if name == "webhook") >= 3
    assert sum(1 for name, _ in probes.statuses if name == "healthz") >= 3


@pytest.fixture
def environment(tmp_path) -> Iterator[dict[str, str]]:
    """Every inbound route configured against fakes on 127.0.0.1; no `.env` is read."""
    with FakeBotApi(me=TELEGRAM["bot_getMe"]) as telegram:
        feishu, wecom = FakeFeishu().start(), FakeWeCom(corp_id=WECOM["corp_id"]).start()
        yield {
            **process_env(tmp_path),
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "WARNING",
            "REQUEST_READ_TIMEOUT": str(READ_TIMEOUT),
            "KUAIDI_POLLER": "0",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM["secret_token"],
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook",
            "TELEGRAM_API_BASE": telegram.base,
            "WECOM_CORP_ID": WECOM["corp_id"],
            "WECOM_AGENT_ID": "1000002",
            "WECOM_SECRET": "wecom-secret",
            "WECOM_TOKEN": WECOM["token"],
            "WECOM_ENCODING_AES_KEY": WECOM["encoding_aes_key"],
            "WECOM_AIBOT_TOKEN": WECOM["token"],
            "WECOM_AIBOT_ENCODING_AES_KEY": WECOM["encoding_aes_key"],
            "WECOM_API_BASE": wecom.base,
            "FEISHU_APP_ID": "cli_test",
            "FEISHU_APP_SECRET": "app-secret",
            "FEISHU_VERIFICATION_TOKEN": "test-verification-token",
            "FEISHU_ENCRYPT_KEY": "test key",
            "FEISHU_MODE": "webhook",
            "FEISHU_API_BASE": feishu.base,
        }
        feishu.close()
        wecom.close()


def check_process(command: str, environment: dict[str, str]) -> None:
    """Start `command`, wait until it is ready, run the check, and see it still running."""
    process = start(command, environment)
    try:
        wait_ready(f"http://127.0.0.1:{environment['PORT']}/readyz")
        assert_survives_slow_clients(int(environment["PORT"]))
        assert process.poll() is None
    finally:
        stop(process)


def test_kuaidi_bot_run_keeps_answering_while_slow_clients_are_turned_away(environment):
    check_process("kuaidi-bot run", environment)


@pytest.mark.postgres
def test_procfile_web_keeps_answering_while_slow_clients_are_turned_away(environment, pg_url):
    environment["DATABASE_URL"] = pg_url
    check_process(procfile()["web"], environment)
