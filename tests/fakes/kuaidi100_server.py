"""A fake of Kuaidi100's enterprise API: a real HTTP server on 127.0.0.1, and its callbacks.

    with FakeKuaidi100() as k100:
        settings = k100.settings(kuaidi_providers="kuaidi100")
        k100.set_track("YT123", state=0, events=[("2026-01-01 09:00:00", "已揽收")])
        k100.mode = "down"            # every answer HTTP 502 (or "quota": returnCode 601)
        form = k100.callback_form("YT123")            # correctly signed push
        form = k100.callback_form("YT123", forged=True)
        k100.fire(bot_url + path, form)               # POST it like Kuaidi100 does

`POST /poll/query.do` checks the customer and `sign` = MD5(param+key+customer) upper case
(503 otherwise), `POST /poll` the key inside `param` (600 otherwise) and remembers each
subscription (a second one answers 501, as the real service does while it follows a parcel).
Scripted `returnCode`s can be queued per number. Shapes follow docs/kuaidi100.md.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx

from bot.settings import Settings

KEY = "k100-test-key-0123456789"
CUSTOMER = "K100CUSTOMER0001"
SALT = "k100-test-salt-abcdef"
SECRET = "k100-path-secret-0123456789abcdef"
CALLBACK_PATH = f"/kuaidi100/callback/{SECRET}"


@dataclass(frozen=True)
class K100Request:
    """One request as the fake saw it: path and form fields (`param` decoded)."""

    path: str
    form: dict[str, str]
    param: dict


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - their scheme


def tracking_object(number: str, com: str, state: int, events: Any) -> dict:
    """A tracking object as Kuaidi100 sends it (query answer / lastResult), newest first."""
    data = [
        e if isinstance(e, dict) else {"time": e[0], "ftime": e[0], "context": e[1]}
        for e in events
    ]
    return {
        "message": "ok",
        "nu": number,
        "ischeck": "1" if state == 3 else "0",
        "condition": "F00",
        "com": com,
        "status": "200",
        "state": str(state),
        "data": data,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class FakeKuaidi100:
    """The fake API; see the module docstring."""

    def __init__(self, *, key: str = KEY, customer: str = CUSTOMER, salt: str = SALT) -> None:
        self.key, self.customer, self.salt = key, customer, salt
        #: "up", "down" (HTTP 502 to everything) or "quota" (returnCode 601).
        self.mode = "up"
        self._lock = threading.Lock()
        self._requests: list[K100Request] = []
        self._tracks: dict[str, dict] = {}
        self._codes: dict[str, deque[tuple[str, str]]] = defaultdict(deque)
        self.subscribed: dict[str, dict] = {}
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeKuaidi100:
        """Listen on a free port of 127.0.0.1."""
        self._server = _Server(("127.0.0.1", 0), _make_handler(self))
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeKuaidi100:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:5678."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def settings_values(self, callback_base: str = "http://127.0.0.1:9") -> dict[str, Any]:
        """Setting values aimed at this fake, with push configured to `callback_base`."""
        return {
            "kuaidi100_key": self.key,
            "kuaidi100_customer": self.customer,
            "kuaidi100_salt": self.salt,
            "kuaidi100_callback_secret": SECRET,
            "kuaidi100_callback_url": callback_base + CALLBACK_PATH,
            "kuaidi100_api_base": self.url,
        }

    def settings(self, **overrides: Any) -> Settings:
        """`Settings` with only this provider (no Aliyun, no Redis), `overrides` applied."""
        values = {
            **self.settings_values(),
            "kuaidi_providers": "kuaidi100",
            "kuaidi_demo": False,
            "kuaidi_timeout": 2.0,
            "redis_url": None,
        }
        return Settings(_env_file=None, **{**values, **overrides})

    # --- scripting ------------------------------------------------------------------------
    def set_track(self, number: str, state: int = 0, events: Any = (), com: str = "yuantong"):
        """The tracking object served for `number` (queries and callbacks)."""
        with self._lock:
            self._tracks[number] = tracking_object(number, com, state, list(events))

    def push_code(self, number: str, code: str, message: str = "") -> None:
        """Answer the next request about `number` with `{"result": false, returnCode}`."""
        with self._lock:
            self._codes[number].append((code, message))

    @property
    def requests(self) -> list[K100Request]:
        """Every request so far."""
        with self._lock:
            return list(self._requests)

    def queries_for(self, number: str) -> list[K100Request]:
        """Real-time queries about `number`."""
        queries = [r for r in self.requests if r.path == "/poll/query.do"]
        return [r for r in queries if r.param.get("num") == number]

    def subscriptions_for(self, number: str) -> list[K100Request]:
        """Subscription requests about `number`."""
        return [r for r in self.requests if r.path == "/poll" and r.param.get("number") == number]

    # --- callbacks ------------------------------------------------------------------------
    def callback_form(
        self,
        number: str,
        *,
        status: str = "polling",
        message: str = "",
        forged: bool = False,
        auto_check: str = "0",
        com_old: str = "",
        com_new: str = "",
        track: dict | None = None,
    ) -> dict[str, str]:
        """The form Kuaidi100 posts for `number`'s current track; `forged` signs it with a
        wrong salt."""
        with self._lock:
            last = track or self._tracks.get(number) or tracking_object(number, "yuantong", 0, [])
        param = json.dumps(
            {
                "status": status,
                "billstatus": "got",
                "message": message,
                "autoCheck": auto_check,
                "comOld": com_old,
                "comNew": com_new,
                "lastResult": last,
            },
            ensure_ascii=False,
        )
        salt = "not-the-salt" if forged else self.salt
        return {"param": param, "sign": _md5(param + salt)}

    @staticmethod
    def fire(url: str, form: dict[str, str]) -> httpx.Response:
        """POST a callback form to the bot, as Kuaidi100 does."""
        return httpx.post(url, data=form, timeout=5.0)

    # --- answers --------------------------------------------------------------------------
    def _answer(self, path: str, form: dict[str, str]) -> tuple[int, dict]:
        try:
            param = json.loads(form.get("param", ""))
        except ValueError:
            param = {}
        param = param if isinstance(param, dict) else {}
        with self._lock:
            self._requests.append(K100Request(path, form, param))
        if self.mode == "down":
            return 502, {"error": "bad gateway"}
        if path == "/poll/query.do":
            return 200, self._query(form, param)
        if path == "/poll":
            return 200, self._subscribe(param)
        return 404, {"error": "not found"}

    def _query(self, form: dict[str, str], param: dict) -> dict:
        expected = _md5(form.get("param", "") + self.key + self.customer)
        if form.get("customer") != self.customer or form.get("sign") != expected:
            return _refusal("503", "验证签名失败")
        if self.mode == "quota":
            return _refusal("601", "POLL:KEY已过期")
        number = str(param.get("num") or "")
        with self._lock:
            scripted = self._codes[number].popleft() if self._codes[number] else None
            track = self._tracks.get(number)
        if scripted:
            return _refusal(*scripted)
        if track is None:
            return _refusal("500", "查询无结果，请隔段时间再查")
        return {**track, "com": param.get("com") or track["com"]}

    def _subscribe(self, param: dict) -> dict:
        if param.get("key") != self.key:
            return _refusal("600", "您不是合法的订阅者")
        if self.mode == "quota":
            return _refusal("601", "POLL:KEY已过期")
        number = str(param.get("number") or "")
        with self._lock:
            scripted = self._codes[number].popleft() if self._codes[number] else None
            if scripted:
                return _refusal(*scripted)
            if number in self.subscribed:
                return _refusal("501", "重复订阅")
            self.subscribed[number] = param
        return {"result": True, "returnCode": "200", "message": "提交成功"}


def _refusal(code: str, message: str) -> dict:
    return {"result": False, "returnCode": code, "message": message}


def _make_handler(fake: FakeKuaidi100) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            size = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(size).decode("utf-8"), keep_blank_values=True))
            status, body = fake._answer(self.path.split("?")[0], form)
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return _Handler
