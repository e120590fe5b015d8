"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 that records every call.

It answers `POST /bot<token>/<method>` like Telegram: `{"ok": true, "result": …}`, or an
error queued with `fail_next` (status, description, optional `retry_after` /
`migrate_to_chat_id`). Bodies are decoded from `application/x-www-form-urlencoded` (what PTB
22.8 sends; nested objects are JSON strings inside the form) or JSON. `getUpdates` serves the
queued updates with `update_id >= offset` (dropping older ones, as Telegram confirms them) and
otherwise holds the long poll until updates arrive or its timeout passes. `files` serves
pictures: `getFile` answers with a `file_path` for a file id on the shelf (400 for others),
and `GET /file/bot<token>/<file_path>` serves its bytes.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.files import FileShelf

TOKEN = "123456:TEST-fake-token_abcdefghij"


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request as the fake received it."""

    method: str
    params: dict[str, Any]
    body: bytes
    content_type: str


class FakeBotApi:
    """The fake server; use as a context manager. `base` is the TELEGRAM_API_BASE to use."""

    def __init__(self, me: dict[str, Any], token: str = TOKEN) -> None:
        self.me = me
        self.token = token
        self.calls: list[ApiCall] = []
        self._errors: dict[str, deque[tuple[int, dict[str, Any]]]] = defaultdict(deque)
        self._updates: list[dict[str, Any]] = []
        self._next_message_id = 1000
        self.files = FileShelf()
        self._changed = threading.Condition()
        self._closed = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        """The API base URL (without `/bot<token>`)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self.files.close()
        self._server.shutdown()
        self._server.server_close()

    # --- scripting -----------------------------------------------------------------------
    def fail_next(self, method: str, status: int, description: str, **parameters: Any) -> None:
        """Answer the next call of `method` with this error (parameters: retry_after, …)."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._errors[method].append((status, body))

    def queue_updates(self, *updates: dict[str, Any]) -> None:
        """Make updates available to getUpdates (wakes a pending long poll)."""
        with self._changed:
            self._updates.extend(updates)
            self._changed.notify_all()

    def of(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method, in order."""
        return [call for call in list(self.calls) if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[ApiCall]:
        """Wait until `method` was called `count` times; returns those calls."""
        deadline = time.monotonic() + timeout
        while len(self.of(method)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.of(method)

    # --- answering -----------------------------------------------------------------------
    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) for one call."""
        if self._errors[method]:
            return self._errors[method].popleft()
        if method == "getMe":
            return 200, {"ok": True, "result": self.me}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._poll(params)}
        if method == "getFile":
            return self._get_file(str(params.get("file_id", "")))
        if method in ("sendMessage", "editMessageText"):
            return 200, {"ok": True, "result": self._message(method, params)}
        return 200, {"ok": True, "result": True}

    def _get_file(self, file_id: str) -> tuple[int, dict[str, Any]]:
        shelved = self.files.files.get(file_id)
        if shelved is None:
            error = {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            return 400, error
        result = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_path": file_id}
        if shelved.mode == "normal":
            result["file_size"] = len(shelved.data)
        return 200, {"ok": True, "result": result}

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "editMessageText":
            message_id = int(params["message_id"])
        else:
            self._next_message_id += 1
            message_id = self._next_message_id
        chat_id = int(params["chat_id"])
        return {
            "message_id": message_id,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": self.me,
            "text": params.get("text", ""),
        }

    def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params["offset"]) if params.get("offset") not in (None, "") else None
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._changed:
            while True:
                if offset is not None:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closed or time.monotonic() >= deadline:
                    return list(self._updates[:100])
                self._changed.wait(max(0.0, deadline - time.monotonic()))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                method = self.path[len(prefix) :]
                content_type = self.headers.get("Content-Type", "")
                params = _decode(body, content_type)
                fake.calls.append(ApiCall(method, params, body, content_type))
                self._reply(*fake.answer(method, params))

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                prefix = f"/file/bot{fake.token}/"
                key = self.path[len(prefix) :] if self.path.startswith(prefix) else ""
                fake.files.write(self, key)

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a long poll (stop()); nothing to answer

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(body)
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
