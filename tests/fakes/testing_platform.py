"""A minimal platform for tests and benchmarks (not shipped), showing the pattern real adapters
follow.

Inbound: `POST /webhook/testing` with a JSON body, signed like Feishu signs (HMAC-SHA256 over
`timestamp + "." + raw body`, headers `X-Test-Timestamp` and `X-Test-Signature`); stale
timestamps are refused so a captured request cannot be replayed later. The view verifies,
parses, calls `inbox.accept` and answers 200 — nothing else. Outbound: `TestingSender` posts
each reply to a fake platform API (`FakePlatformAPI`, a real HTTP server on 127.0.0.1) and
maps its answers onto `SendResult` (429 + Retry-After, 403 permanent, other errors). Like
Feishu's `uuid`, the fake platform honours the idempotency key: a repeated key is recorded as a
raw send but shows no second message (`visible_count`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from flask import Blueprint, abort, jsonify, request

from bot.models import Incoming, Reply, Target
from bot.runtime.ports import Inbox, RateLimit, SendLimits, SendResult

PLATFORM = "testing"
MAX_SKEW_SECONDS = 300
DEFAULT_LIMITS = SendLimits(
    per_chat=RateLimit(1000, 1.0), per_group=RateLimit(1000, 1.0), overall=RateLimit(10000, 1.0)
)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers a well-behaved fake platform sends with `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "X-Test-Timestamp": str(timestamp),
        "X-Test-Signature": sign(secret, body, timestamp),
    }


def parse_update(data: object) -> tuple[str, Incoming]:
    """(delivery id, message) from a webhook body; ValueError when malformed."""
    if not isinstance(data, dict):
        raise ValueError("body is not an object")
    try:
        delivery_id = str(data["update_id"])
        message = Incoming(
            platform=PLATFORM,
            chat_id=str(data["chat_id"]),
            user_id=str(data["user_id"]),
            message_id=str(data.get("message_id", data["update_id"])),
            text=str(data.get("text", "")),
            is_group=bool(data.get("is_group", False)),
            action=data.get("action"),
        )
    except KeyError as exc:
        raise ValueError(f"missing field {exc.args[0]}") from None
    if not delivery_id or not message.chat_id:
        raise ValueError("empty id")
    return delivery_id, message


class TestingAdapter:
    """The `PlatformAdapter` of the test platform."""

    __test__ = False  # not a pytest test class
    name = PLATFORM

    def __init__(self, secret: str, api_url: str, limits: SendLimits = DEFAULT_LIMITS) -> None:
        self.secret = secret
        self.api_url = api_url
        self.limits = limits
        self._sender: TestingSender | None = None

    def blueprint(self, inbox: Inbox) -> Blueprint:
        """The webhook route: verify, parse, accept, answer."""
        bp = Blueprint(PLATFORM, __name__)

        @bp.post("/webhook/testing")
        def webhook():
            raw = request.get_data()
            self._verify(raw)
            try:
                delivery_id, message = parse_update(json.loads(raw))
            except ValueError:  # JSONDecodeError is a ValueError too
                abort(400)
            fresh = inbox.accept(delivery_id, message)
            return jsonify({"ok": True, "duplicate": not fresh})

        return bp

    def _verify(self, raw: bytes) -> None:
        try:
            timestamp = int(request.headers.get("X-Test-Timestamp", ""))
        except ValueError:
            abort(403)
        if abs(time.time() - timestamp) > MAX_SKEW_SECONDS:
            abort(403)
        given = request.headers.get("X-Test-Signature", "")
        if not hmac.compare_digest(given, sign(self.secret, raw, timestamp)):
            abort(403)

    def sender(self) -> TestingSender:
        """One sender per adapter (it holds a connection pool)."""
        if self._sender is None:
            self._sender = TestingSender(self.api_url, self.limits)
        return self._sender

    def start_intake(self, inbox: Inbox) -> None:
        """Webhook only: nothing to start."""

    @staticmethod
    def one_reply_for(message: Incoming) -> bool:
        """Every reply is its own message here: never merged."""
        return False

    def stop(self) -> None:
        """Close the sender's connections."""
        if self._sender is not None:
            self._sender.close()


class TestingSender:
    """Posts replies to the fake platform API at `{api_url}/send`."""

    __test__ = False
    platform = PLATFORM

    def __init__(self, api_url: str, limits: SendLimits = DEFAULT_LIMITS) -> None:
        self.api_url = api_url.rstrip("/")
        self.limits = limits
        self._client = httpx.Client(timeout=5.0, limits=httpx.Limits(max_connections=50))

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        """One POST; network faults raise (the runtime retries them with backoff)."""
        payload = {
            "chat_id": target.chat_id,
            "user_id": target.user_id,
            "text": reply.text or (reply.card.number if reply.card else ""),
            "idempotency_key": idempotency_key,
        }
        response = self._client.post(f"{self.api_url}/send", json=payload)
        if response.status_code == 200:
            return SendResult(ok=True, message_id=str(response.json().get("message_id")))
        if response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After", "1"))
            return SendResult(ok=False, retry_after=retry_after, error="429 too many requests")
        if response.status_code == 403:
            return SendResult(ok=False, permanent=True, error="403 blocked by the user")
        return SendResult(ok=False, error=f"HTTP {response.status_code}")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


@dataclass
class RecordedSend:
    """One request the fake platform received."""

    chat_id: str
    text: str
    idempotency_key: str
    at: float


@dataclass
class FakePlatformAPI:
    """A real HTTP server on 127.0.0.1 that records sends and plays scripted answers.

    `script[chat_id]` is a queue of (status, retry_after) answers used before answering 200;
    e.g. `[(429, 2.0)]` rate-limits the next send to that chat once. `sends` records every
    accepted request (raw, repeats included); `messages` maps each idempotency key to the one
    message a user sees, as on Feishu, which answers a repeated `uuid` with the first message.
    """

    sends: list[RecordedSend] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)
    #: Seconds every answer takes (a real platform answers in 50–300 ms).
    delay: float = 0.0
    script: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    url: str = ""
    #: Sends being answered now per chat, and the most seen at once overall and in one chat:
    #: concurrency tests count these instead of timing sends.
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight: int = 0
    max_in_flight_per_chat: int = 0
    #: With `hold_until` > 0, answers wait (up to `hold_seconds`) until that many are open
    #: at once; from then on the gate stays open.
    hold_until: int = 0
    hold_seconds: float = 10.0
    gate: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> str:
        """Serve on a free port; return the base URL."""
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one segment: written apart, Nagle's algorithm and the
            # client's delayed ACK hold the body back ~40 ms, which real platforms don't do.
            disable_nagle_algorithm = True
            wbufsize = -1

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (a soak's SIGKILL)
                    self.close_connection = True
                    return
                data = json.loads(body)
                api._enter(data["chat_id"])
                try:
                    time.sleep(api.delay)
                finally:
                    api._leave(data["chat_id"])
                status, extra = api._answer(data)
                payload = json.dumps(extra).encode()
                self.send_response(status)
                if "retry_after" in extra:
                    self.send_header("Retry-After", str(extra["retry_after"]))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.url

    def _enter(self, chat_id: str) -> None:
        with self.gate:
            self.in_flight[chat_id] += 1
            total = sum(self.in_flight.values())
            self.max_in_flight = max(self.max_in_flight, total)
            self.max_in_flight_per_chat = max(self.max_in_flight_per_chat, self.in_flight[chat_id])
            if total >= self.hold_until:
                self.hold_until = 0  # reached once: the gate stays open
            self.gate.notify_all()
            self.gate.wait_for(lambda: not self.hold_until, self.hold_seconds)

    def _leave(self, chat_id: str) -> None:
        with self.gate:
            self.in_flight[chat_id] -= 1

    def _answer(self, data: dict) -> tuple[int, dict]:
        with self.lock:
            queue = self.script.get(data["chat_id"])
            if queue:
                status, retry_after = queue.popleft()
                extra = {"ok": False} if retry_after is None else {"retry_after": retry_after}
                return status, extra
            key = data["idempotency_key"]
            self.sends.append(RecordedSend(data["chat_id"], data["text"], key, time.time()))
            message_id = self.messages.setdefault(key, f"m{len(self.messages) + 1}")
            return 200, {"ok": True, "message_id": message_id}

    def sent_keys(self) -> list[str]:
        """Idempotency keys of the accepted sends, in arrival order."""
        with self.lock:
            return [s.idempotency_key for s in self.sends]

    def visible_count(self) -> int:
        """Messages users see: one per idempotency key, however often it was sent."""
        with self.lock:
            return len(self.messages)

    def stop(self) -> None:
        """Shut the server down."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
