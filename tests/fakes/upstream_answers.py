"""What the fake upstream (`tests.fakes.upstream_server`) records and answers: recorded
requests, scripted answers, plausible success bodies, and writing an answer onto the wire
(at once, chunked, or as a slow drip)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from zoneinfo import ZoneInfo

_CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    request_id: str
    at: float  # time.monotonic() on arrival

    @property
    def number(self) -> str | None:
        """The `kddh` parameter."""
        return self.query.get("kddh")


@dataclass
class FakeResponse:
    """A scripted answer: dict/list bodies are sent as JSON, str/bytes as they are."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Seconds between single bytes of the body (a slow drip); 0 sends it at once.
    drip: float = 0.0
    #: Send the body chunked, without Content-Length (the client learns its size by reading).
    chunked: bool = False


def track_body(number: str, status: int = 2, events: Any = (), kdmc: str = "中通快递") -> dict:
    """A success body; `events` are (time, content) pairs or ready dicts, newest first."""
    data = [e if isinstance(e, dict) else {"time": e[0], "content": e[1]} for e in events]
    masked = number[:5] + "****" + number[-3:] if len(number) > 8 else number
    return {
        "ok": 1,
        "msg": "查询成功",
        "status": status,
        "kdmc": kdmc,
        "kddh": masked,
        "data": data,
    }


def default_track_body(number: str) -> dict:
    """A plausible in-transit answer, stable per number, timed just before now (China time)."""
    seed = int(hashlib.sha256(number.encode()).hexdigest()[:8], 16)
    newest = datetime.now(_CHINA).replace(microsecond=0) - timedelta(minutes=seed % 600)
    texts = [
        "【泉州市】快件离开【泉州中转部】已发往【杭州中转部】",
        "【泉州市】快件已到达【泉州中转部】",
    ]
    texts.append("【泉州市】【福建营销部】已揽收")
    events = [
        ((newest - timedelta(hours=3 * i)).strftime("%Y-%m-%d %H:%M:%S"), text)
        for i, text in enumerate(texts)
    ]
    return track_body(number, 2, events)


def gateway(status: int, message: str) -> FakeResponse:
    """An answer of the Aliyun gateway: `status`, `X-Ca-Error-Message`, empty body."""
    return FakeResponse(status, b"", {"X-Ca-Error-Message": message})


def write_answer(handler: BaseHTTPRequestHandler, answer: FakeResponse, request_id: str) -> None:
    """Write `answer` to the client; raises BrokenPipeError/ConnectionResetError (with
    `.written` bytes of body sent) when the client hangs up first."""
    body = answer.body
    if isinstance(body, dict | list):
        body = json.dumps(body, ensure_ascii=False)
    payload = body.encode() if isinstance(body, str) else (body or b"")
    handler.send_response(answer.status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    if answer.chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    else:
        handler.send_header("Content-Length", str(len(payload)))
    handler.send_header("X-Ca-Request-Id", request_id)
    for name, value in answer.headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if not answer.chunked:
        handler.wfile.write(payload)
        return
    size, written = (1 if answer.drip else 65536), 0
    try:
        for start in range(0, len(payload), size):
            piece = payload[start : start + size]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.flush()
            written += len(piece)
            time.sleep(answer.drip)
        handler.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError) as exc:
        exc.written = written  # type: ignore[attr-defined]
        raise
