"""The app's own body deadline, for servers that hand a thread a half-arrived request: plain
gunicorn gthread and werkzeug's development server. Time limits are the clients' timeouts.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from werkzeug.serving import make_server

from adapters.web import create_app
from bot.settings import Settings
from tests.support.web import signed
from tests.web.echo_app import CLIENT_WAIT, READ_TIMEOUT, echo_server, read_all


@pytest.fixture(scope="module")
def gthread_port() -> Iterator[int]:
    """Plain gthread, one thread: a slow body holds it until the app's deadline frees it."""
    with echo_server("gthread") as port:
        yield port


def drip(sock: socket.socket, head: bytes, until: threading.Event) -> None:
    """Send the head, then a byte every 0.2 s until told to stop (the answer came)."""
    sock.sendall(head)
    while not until.wait(0.2):
        try:
            sock.send(b"x")
        except OSError:
            return


def slow_answer(port: int, head: bytes) -> bytes:
    """A client that keeps dripping its body: everything answered until the server closes."""
    answered = threading.Event()
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_WAIT) as sock:
        dripper = threading.Thread(target=drip, args=(sock, head, answered), daemon=True)
        dripper.start()
        try:
            return read_all(sock)
        finally:
            answered.set()
            dripper.join()


SLOW_ECHO = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"


def test_gthread_a_dripping_body_gets_408_and_frees_the_only_thread(gthread_port):
    answer = slow_answer(gthread_port, SLOW_ECHO)
    assert answer.startswith(b"HTTP/1.1 408 ")
    served = httpx.post(f"http://127.0.0.1:{gthread_port}/echo", content=b"next")
    assert served.content == b"next"


def test_gthread_a_normal_body_is_not_cut(gthread_port):
    url = f"http://127.0.0.1:{gthread_port}/echo"
    assert httpx.post(url, content=b"a" * 4000).content == b"a" * 4000
    # a keep-alive connection outlives a deadline that was disarmed when its request ended
    with httpx.Client() as client:
        assert client.post(url, content=b"one").content == b"one"
        time.sleep(READ_TIMEOUT + 0.2)
        assert client.post(url, content=b"two").content == b"two"


def test_gthread_an_oversize_body_is_refused_before_it_is_sent(gthread_port):
    with socket.create_connection(("127.0.0.1", gthread_port), timeout=CLIENT_WAIT) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 413 ")


@pytest.fixture
def dev_server(runtime, adapter) -> Iterator[int]:
    """The bot's app (testing adapter) under werkzeug's threaded development server."""
    settings = Settings(_env_file=None, max_request_bytes=4096, request_read_timeout=READ_TIMEOUT)
    app = create_app(runtime, [adapter], settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def test_dev_server_a_dripping_webhook_body_gets_408(dev_server):
    head = b"POST /webhook/testing HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n"
    headers = "".join(f"{name}: {value}\r\n" for name, value in signed(b"x" * 1000).items())
    answer = slow_answer(dev_server, head + headers.encode() + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 408 ")
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body == {"error": "request_timeout", "status": 408}
