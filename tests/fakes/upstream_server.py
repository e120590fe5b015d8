"""A fake of the 《物流快递查询》 API: a real HTTP server on 127.0.0.1 for tests and benchmarks.

Use it as a context manager or through the `fake_upstream` fixture::

    with FakeUpstream(latency=1.5) as server:
        settings = server.settings()           # Settings pointing at the fake
        server.set_track("YT123", 3, [("2026-01-01 09:00:00", "派送中")])
        server.push_response("YT123", status=504, headers={"X-Ca-Error-Message": "Async"})
        ...
        assert server.requests_for("YT123")[0].query["kddh"] == "YT123"

Answers are scripted per `kddh` (or "*" for every number): one-shot answers queued with
`push_*`/`once=True` are served first, in order, then the sticky answer, then a handler, then
a generated plausible success. Like the real gateway, every answer has an `X-Ca-Request-Id`,
a wrong AppCode gets 400 `Invalid AppCode` and an unknown path 404 `Invalid Url`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.settings import Settings
from tests.fakes.upstream_answers import (
    FakeResponse,
    RecordedRequest,
    default_track_body,
    gateway,
    track_body,
    write_answer,
)

__all__ = ["ANY", "FakeResponse", "FakeUpstream", "RecordedRequest", "fake_upstream", "track_body"]

ANY = "*"
Handler = Callable[[RecordedRequest], FakeResponse | None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of clients may connect at once (benchmarks, thread tests); with the default
    # listen backlog of 5 the kernel drops their SYNs and they retry a second later.
    request_queue_size = 1024


class FakeUpstream:
    """The fake API server; see the module docstring."""

    def __init__(
        self,
        *,
        appcode: str | None = "test-appcode-0123456789",
        track_path: str = "/query",
        identify_path: str = "/identify",
        carriers_path: str = "/carriers",
        latency: float = 0.0,
    ) -> None:
        """`appcode=None` accepts any Authorization; `latency` delays every answer."""
        self.appcode = appcode
        self.track_path = track_path
        self.identify_path = identify_path
        self.carriers_path = carriers_path
        self.latency = latency
        self.carrier_rows: list[dict] = [
            {"Name": "顺丰速运", "simName": "shunfeng", "phone": "95338", "url": ""},
            {"Name": "中通快递", "simName": "zhongtong", "phone": "95311", "url": ""},
            {"Name": "极兔速递", "simName": "jt", "phone": "4008201666", "url": ""},
        ]
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._once: dict[str, deque[FakeResponse]] = defaultdict(deque)
        self._sticky: dict[str, FakeResponse] = {}
        self._handlers: dict[str, Handler] = {}
        self._identify: dict[str, list[dict]] = {}
        self._server: ThreadingHTTPServer | None = None
        #: Bytes of body written before the client hung up, one entry per cut answer.
        self.cut_answers: list[int] = []
        #: Requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.max_in_flight = 0
        self._gate = threading.Condition(self._lock)
        self._hold_until = 0
        self._hold_seconds = 0.0
        #: "up"; "down" answers every request 503 (a gateway outage); "quota" 403 Quota
        #: Exhausted. Switch it mid-test to play an outage and its end.
        self.mode = "up"

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeUpstream:
        """Listen on 127.0.0.1 on a free port, serving from a daemon thread."""
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server = server
        # A short poll interval makes stop() quick (shutdown waits for the next poll).
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving (slow answers still sleeping are abandoned)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def settings(self, **overrides: Any) -> Settings:
        """`Settings` aimed at this fake (no .env file, no Redis), with `overrides` applied."""
        values: dict[str, Any] = {
            "kuaidi_appcode": self.appcode or "any-appcode",
            "kuaidi_api_base": self.url,
            "kuaidi_track_path": self.track_path,
            "kuaidi_identify_path": self.identify_path,
            "kuaidi_carriers_path": self.carriers_path,
            "kuaidi_demo": False,
            "kuaidi_timeout": 2.0,
            "redis_url": None,
        }
        return Settings(_env_file=None, **{**values, **overrides})

    def hold_answers_until(self, in_flight: int, seconds: float = 10.0) -> None:
        """Keep every answer back until `in_flight` requests are open at once (or `seconds`
        pass; then the gate stays open): a concurrency test counts what arrived together
        instead of timing it."""
        with self._lock:
            self._hold_until, self._hold_seconds = in_flight, seconds

    def _enter(self) -> None:
        """A request arrived: count it, and wait at the gate if one is set."""
        with self._gate:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.in_flight >= self._hold_until:
                self._hold_until = 0  # reached once: the gate stays open
            self._gate.notify_all()
            self._gate.wait_for(lambda: not self._hold_until, self._hold_seconds)

    def _leave(self) -> None:
        with self._gate:
            self.in_flight -= 1

    # --- what was asked -----------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, number: str) -> list[RecordedRequest]:
        """Requests whose `kddh` is `number`."""
        return [r for r in self.requests if r.number == number]

    def clear_requests(self) -> None:
        """Forget recorded requests (the script stays)."""
        with self._lock:
            self._requests.clear()

    # --- scripting ----------------------------------------------------------------------------
    def set_response(
        self,
        number: str,
        status: int = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        *,
        once: bool = False,
    ) -> None:
        """Answer `number` ("*": any) like this from now on, or just next time if `once`."""
        response = FakeResponse(status, body, dict(headers or {}), delay)
        with self._lock:
            if once:
                self._once[number].append(response)
            else:
                self._sticky[number] = response

    def push_response(
        self,
        number: str,
        status: int = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue a one-shot answer for `number`, served before any sticky one."""
        self.set_response(number, status, body, headers, delay, once=True)

    def set_handler(self, number: str, handler: Handler) -> None:
        """Answer `number` by calling `handler(request)`; returning None falls through."""
        with self._lock:
            self._handlers[number] = handler

    def set_track(
        self,
        number: str,
        status_code: int = 2,
        events: Any = (),
        *,
        kdmc: str = "中通快递",
        once: bool = False,
        delay: float = 0.0,
    ) -> None:
        """A 200 success with `status_code` and `events` ((time, content), newest first)."""
        body = track_body(number, status_code, events, kdmc)
        self.set_response(number, 200, body, delay=delay, once=once)

    def set_failure(self, number: str, msg: str, *, once: bool = False) -> None:
        """A vendor refusal: HTTP 666, `ok` 0, reason `msg`."""
        body = {"ok": 0, "msg": msg, "status": 0, "kdmc": "", "kddh": "", "data": []}
        self.set_response(number, 666, body, once=once)

    def set_gateway_error(
        self, number: str, status: int, message: str, *, once: bool = False, **headers: str
    ) -> None:
        """A gateway answer: `status` with `X-Ca-Error-Message: message` and an empty body."""
        all_headers = {"X-Ca-Error-Message": message, **headers}
        self.set_response(number, status, b"", all_headers, once=once)

    def set_quota_exhausted(self, number: str = ANY, message: str = "Quota Exhausted") -> None:
        """403 quota exhausted (try also "Api Market Subscription quota exhausted")."""
        self.set_gateway_error(number, 403, message)

    def set_throttled(self, number: str = ANY, status: int = 403, *, once: bool = False) -> None:
        """Gateway throttling (403 `Throttled by APP Flow Control`, or 429)."""
        self.set_gateway_error(number, status, "Throttled by APP Flow Control", once=once)

    def set_malformed(self, number: str, body: str = '{"ok": 1, "data": [', **kw: Any) -> None:
        """A 200 whose body is not valid JSON."""
        self.set_response(number, 200, body, **kw)

    def set_streamed(
        self, number: str, body: Any, *, drip: float = 0.0, status: int = 200
    ) -> None:
        """Answer `number` chunked, without Content-Length: at once, or one byte every
        `drip` seconds (a stalled, trickling upstream)."""
        response = FakeResponse(status, body, drip=drip, chunked=True)
        with self._lock:
            self._sticky[number] = response

    def set_identify(self, number: str, rows: list[dict]) -> None:
        """Identify answer rows for `number` (vendor casing: Name, simName, phone, url)."""
        with self._lock:
            self._identify[number] = rows

    def reset(self) -> None:
        """Forget the script and the recorded requests."""
        with self._lock:
            self._requests.clear()
            self._once.clear()
            self._sticky.clear()
            self._handlers.clear()
            self._identify.clear()

    # --- answering (called from server threads) -----------------------------------------------
    def _record(self, method: str, raw_path: str, headers: dict[str, str]) -> RecordedRequest:
        parts = urlsplit(raw_path)
        request = RecordedRequest(
            method=method,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=headers,
            request_id=str(uuid.uuid4()).upper(),
            at=time.monotonic(),
        )
        with self._lock:
            self._requests.append(request)
        return request

    def _answer(self, request: RecordedRequest) -> FakeResponse:
        if self.mode == "down":
            return gateway(503, "Service Unavailable")
        if self.mode == "quota":
            return gateway(403, "Quota Exhausted")
        expected = f"APPCODE {self.appcode}"
        if self.appcode is not None and request.headers.get("authorization") != expected:
            return gateway(400, "Invalid AppCode `not exists`")
        if request.path == self.track_path:
            return self._scripted(request) or FakeResponse(
                body=default_track_body(request.number or "")
            )
        if request.path == self.identify_path:
            return self._scripted(request) or self._identify_answer(request)
        if request.path == self.carriers_path:
            return self._carriers_answer(request)
        return gateway(404, "Invalid Url")

    def _scripted(self, request: RecordedRequest) -> FakeResponse | None:
        for key in (request.number or "", ANY):
            with self._lock:
                queue = self._once.get(key)
                if queue:
                    return queue.popleft()
                if key in self._sticky:
                    return self._sticky[key]
                handler = self._handlers.get(key)
            if handler is not None and (answer := handler(request)) is not None:
                return answer
        return None

    def _identify_answer(self, request: RecordedRequest) -> FakeResponse:
        with self._lock:
            rows = self._identify.get(request.number or "", [])
        if not rows:
            body = {"ok": 0, "msg": "快递单号格式不正确", "kddh": request.number, "data": []}
            return FakeResponse(666, body)
        return FakeResponse(
            body={"ok": 1, "msg": "匹配成功", "data": rows, "likecount": len(rows)}
        )

    def _carriers_answer(self, request: RecordedRequest) -> FakeResponse:
        key = request.query.get("key", "")
        rows = [r for r in self.carrier_rows if key in r["Name"] or key in r["simName"]]
        if not rows:
            msg = f"暂未收录与关键字【{key}】相关的快递公司，欢迎反馈添加，谢谢。"
            return FakeResponse(666, {"ok": 0, "msg": msg, "data": [], "pages": 0, "count": 0})
        page, size = int(request.query.get("page") or 1), 20
        pages = (len(rows) + size - 1) // size
        body = {"ok": 1, "msg": "查询成功", "data": rows[(page - 1) * size : page * size]}
        return FakeResponse(
            body={**body, "thispage": page, "pagecount": pages, "count": len(rows)}
        )


def _make_handler(fake: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = fake._record("GET", self.path, headers)
            answer = fake._answer(request)
            fake._enter()
            try:
                time.sleep(fake.latency + answer.delay)
            finally:
                fake._leave()
            try:
                write_answer(self, answer, request.request_id)
            except (BrokenPipeError, ConnectionResetError) as exc:
                # The client gave up (a timeout or size test): note how far it read.
                with fake._lock:
                    fake.cut_answers.append(getattr(exc, "written", 0))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep test output quiet

    return _Handler


@pytest.fixture
def fake_upstream() -> Iterator[FakeUpstream]:
    """A started `FakeUpstream`, stopped after the test."""
    with FakeUpstream() as server:
        yield server
