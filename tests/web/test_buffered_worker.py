"""The buffering gunicorn worker, over raw sockets: what it answers, when it closes, and that a
request reaches a thread only once it is complete (one thread serves while clients dawdle).

The server is real gunicorn with `--threads 1` running `tests/web/echo_app.py` (request read
timeout 2 s, body limit 4096 bytes). Time limits here are the clients' own timeouts.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from adapters.buffered_worker import error_response
from tests.web.echo_app import CLIENT_WAIT, echo_server, read_all


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    """gunicorn with the buffering worker and a single thread, serving the echo app."""
    with echo_server("adapters.buffered_worker.BufferedThreadWorker") as port:
        yield port


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=CLIENT_WAIT)


def recv_until(sock: socket.socket, suffix: bytes) -> bytes:
    """What the server sends up to and including `suffix`."""
    received = b""
    while not received.endswith(suffix):
        received += sock.recv(65536)
    return received


def post(body: bytes, extra: str = "") -> bytes:
    head = f"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


CHUNK = b"800\r\n" + b"x" * 0x800 + b"\r\n"


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        # a body that stops coming, and headers that stop coming: 408 at the deadline
        (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc", 408),
        (b"POST /echo HTTP/1.1\r\nHost: t\r\n", 408),
        # an oversize body, declared (refused before any of it is sent) or chunked
        (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4097\r\n\r\n", 413),
        (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNK * 3, 413),
        (b"HELLO\r\n\r\n", 400),
    ],
    ids=["slow body", "slow headers", "declared oversize", "chunked oversize", "garbage"],
)
def test_refused_requests_get_their_status_and_the_connection_is_closed(port, sent, status):
    with connect(port) as sock:
        sock.sendall(sent)
        assert read_all(sock) == error_response(status)


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(port):
    with connect(port) as sock:
        assert read_all(sock) == b""


def test_complete_requests_are_served_normally(port):
    base = f"http://127.0.0.1:{port}"
    assert httpx.post(f"{base}/echo", content=b"hello").content == b"hello"
    chunked = httpx.post(f"{base}/echo", content=iter([b"he", b"llo"]))
    assert chunked.content == b"hello"
    with httpx.Client(base_url=base) as keep_alive:  # one connection, several requests
        answers = [keep_alive.post("/echo", content=str(n).encode()).text for n in range(5)]
    assert answers == ["0", "1", "2", "3", "4"]


def test_expect_100_continue_gets_the_go_ahead_before_the_body(port):
    with connect(port) as sock:
        sock.sendall(post(b"", "Expect: 100-continue\r\n").replace(b"Length: 0", b"Length: 5"))
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        assert b" 200 OK\r\n" in recv_until(sock, b"hello")


def test_pipelined_requests_get_the_first_answer_then_a_close(port):
    with connect(port) as sock:
        sock.sendall(post(b"one") + post(b"two"))
        answer = read_all(sock)
    assert answer.count(b"HTTP/1.1 200 OK") == 1 and answer.endswith(b"one")


def test_a_keep_alive_connection_that_turns_slow_gets_408(port):
    with connect(port) as sock:
        sock.sendall(post(b"first"))
        assert recv_until(sock, b"first").startswith(b"HTTP/1.1 200 OK")
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\nsec")
        assert read_all(sock) == error_response(408)


def test_one_thread_serves_while_many_clients_dawdle(port):
    dawdlers = [connect(port) for _ in range(20)]
    try:
        for n, sock in enumerate(dawdlers):
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n"[: 20 + n])
        # With gthread the single thread would be stuck on the first dawdler until it gave up.
        answer = httpx.post(f"http://127.0.0.1:{port}/echo", content=b"hi", timeout=1.5)
        assert answer.content == b"hi"
    finally:
        for sock in dawdlers:
            sock.close()
