"""A tiny WSGI app for the worker tests: `/echo` answers with the body it was given."""

from __future__ import annotations

from flask import Flask, request

app = Flask("echo")
app.config["MAX_CONTENT_LENGTH"] = 4096
app.config["REQUEST_READ_TIMEOUT"] = 2.0


@app.get("/healthz")
def healthz() -> str:
    """Alive."""
    return "ok"


@app.post("/echo")
def echo() -> bytes:
    """The request body, as received."""
    return request.get_data()
