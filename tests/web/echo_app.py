"""A tiny WSGI app for the server tests, and a gunicorn running it.

`/echo` answers with the body it was given; limits: 4096 bytes, 2 s to send a request. The
app-level body deadline (`adapters.body_deadline`) is on, as in the bot's app.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, request

from adapters.body_deadline import BodyDeadline
from tests.support.processes import ROOT, free_port, stop, wait_ready

READ_TIMEOUT = 2.0
CLIENT_WAIT = READ_TIMEOUT + 3.0  # a client's own limit: well past it, for a busy machine

app = Flask("echo")
app.config["MAX_CONTENT_LENGTH"] = 4096
app.config["REQUEST_READ_TIMEOUT"] = READ_TIMEOUT
app.wsgi_app = BodyDeadline(app.wsgi_app, READ_TIMEOUT)


@app.get("/healthz")
def healthz() -> str:
    """Alive."""
    return "ok"


@app.post("/echo")
def echo() -> bytes:
    """The request body, as received."""
    return request.get_data()


@contextmanager
def echo_server(worker_class: str) -> Iterator[int]:
    """gunicorn with one thread and `worker_class` serving this app; yields its port."""
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    args = [gunicorn, "tests.web.echo_app:app", "--bind", f"127.0.0.1:{port}", "--threads", "1"]
    args += ["--worker-class", worker_class]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz")
        yield port
        assert process.poll() is None, "the server died"
    finally:
        stop(process)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a client timeout fails the test)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
