"""Test doubles for the WeCom adapter: a token cache, a recording inbox, a fake WeCom API.

`FakeWeCom` is a real `ThreadingHTTPServer` on 127.0.0.1 answering like WeCom: `gettoken`,
`message/send` (42001 for an expired token), the AI bot's `response_url` (one call per URL)
and the group robot webhook. Tests queue special answers with `answers[path].append(...)`.
Pictures: `media/get` serves `files` by media_id to a valid token (42001 for an expired one,
40007 as JSON for an unknown id, as WeCom answers), and `aibot_files` serves the AI bot's
encrypted pictures at `aibot_url(key)` (put them there with `aibot_encrypt`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import xmltodict
from wechatpy.crypto import WeChatCipher, _get_signature
from wechatpy.crypto.pkcs7 import PKCS7Encoder
from wechatpy.enterprise import WeChatCrypto
from wechatpy.enterprise.crypto import PrpCrypto

from bot.settings import Settings
from tests.fakes.files import FileShelf
from tests.fakes.platform import MemoryTokenCache, RecordingInbox  # noqa: F401

CORP_ID = "ww1436e0e65a779aee"
SECRET = "corp-secret-DO-NOT-LOG-7f3a9"

NONCE = "424242"


def now_ts() -> str:
    """The current time as WeCom writes it in `timestamp` (fresh, so not refused as stale)."""
    return str(int(time.time()))


def crypto_for(vectors, receive_id: str) -> WeChatCrypto:
    return WeChatCrypto(vectors["token"], vectors["encoding_aes_key"], receive_id)


def app_request(vectors, plaintext: str, receive_id: str | None = None):
    """(query, body) of a self-built app callback carrying `plaintext`, as WeCom builds it."""
    crypto = crypto_for(vectors, vectors["corp_id"] if receive_id is None else receive_id)
    ts = now_ts()
    envelope = xmltodict.parse(crypto.encrypt_message(plaintext, NONCE, ts))["xml"]
    body = (
        f"<xml><ToUserName><![CDATA[{vectors['corp_id']}]]></ToUserName>"
        f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt><AgentID>1000002</AgentID></xml>"
    )
    query = {"msg_signature": envelope["MsgSignature"], "timestamp": ts, "nonce": NONCE}
    return query, body


def signed(vectors, encrypt: str) -> dict:
    """Query parameters with a valid signature over an arbitrary `encrypt` value."""
    ts = now_ts()
    signature = _get_signature(vectors["token"], ts, NONCE, encrypt)
    return {"msg_signature": signature, "timestamp": ts, "nonce": NONCE}


def aibot_request(vectors, payload: dict, receive_id: str = ""):
    """(query, JSON body) of an AI-bot callback carrying `payload`."""
    key = crypto_for(vectors, receive_id).key
    encrypt = PrpCrypto(key).encrypt(json.dumps(payload, ensure_ascii=False), receive_id).decode()
    return signed(vectors, encrypt), {"encrypt": encrypt}


@dataclass
class Recorded:
    """One request the fake API received."""

    method: str
    path: str
    query: dict[str, str]
    body: dict = field(default_factory=dict)


class FakeWeCom:
    """A fake WeCom API on 127.0.0.1 (see the module docstring)."""

    def __init__(self, corp_id: str = CORP_ID, secret: str = SECRET) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.requests: list[Recorded] = []
        self.answers: dict[str, deque[dict]] = defaultdict(deque)
        self.valid_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self.used_response_codes: set[str] = set()
        self.gettoken_calls = 0
        # When set, requests with an expired token wait here until both workers have sent one.
        self.expired_barrier: threading.Barrier | None = None
        self.files = FileShelf()
        self.aibot_files = FileShelf()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeWeCom:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def close(self) -> None:
        self.files.close()
        self.aibot_files.close()
        self._server.shutdown()
        self._server.server_close()

    def aibot_url(self, key: str) -> str:
        """Where the AI bot's picture `key` is downloaded from."""
        return f"{self.base}/aibot-file/{key}"

    def _media(self, handler: BaseHTTPRequestHandler, query: dict[str, str]) -> dict | None:
        """Serve media/get (None when the file was written); a JSON error otherwise."""
        with self._lock:
            self.requests.append(Recorded("GET", "/cgi-bin/media/get", query, {}))
        token = query.get("access_token", "")
        if token in self.expired_tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self.valid_tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        media_id = query.get("media_id", "")
        if media_id not in self.files.files:
            return {"errcode": 40007, "errmsg": "invalid media_id"}
        self.files.write(handler, media_id)
        return None

    def expire(self, token: str) -> None:
        """From now on `token` is answered with 42001 (expired)."""
        with self._lock:
            self.valid_tokens.discard(token)
            self.expired_tokens.add(token)

    def sent(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def response_url(self, code: str) -> str:
        return f"{self.base}/cgi-bin/aibot/response?response_code={code}"

    # --- request handling ---------------------------------------------------------------

    def _handle(self, method: str, path: str, query: dict[str, str], body: dict) -> dict:
        with self._lock:
            self.requests.append(Recorded(method, path, query, body))
        if path == "/cgi-bin/gettoken":
            return self._gettoken(query)
        if path == "/cgi-bin/message/send":
            return self._message_send(query)
        if path == "/cgi-bin/aibot/response":
            return self._aibot_response(query)
        if path == "/cgi-bin/webhook/send":
            if self.answers[path]:
                return self.answers[path].popleft()
            return {"errcode": 0, "errmsg": "ok"}
        return {"errcode": 404, "errmsg": "unknown path"}

    def _gettoken(self, query: dict[str, str]) -> dict:
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        with self._lock:
            self.gettoken_calls += 1
            token = f"TOKEN-{self.gettoken_calls}"
            self.valid_tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _message_send(self, query: dict[str, str]) -> dict:
        token = query.get("access_token", "")
        if token in self.expired_tokens:
            if self.expired_barrier is not None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    self.expired_barrier.wait()
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self.valid_tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        path = "/cgi-bin/message/send"
        if self.answers[path]:
            return self.answers[path].popleft()
        with self._lock:
            count = len(self.sent(path))
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": f"msg-{count}"}

    def _aibot_response(self, query: dict[str, str]) -> dict:
        if self.answers["/cgi-bin/aibot/response"]:
            return self.answers["/cgi-bin/aibot/response"].popleft()
        code = query.get("response_code", "")
        with self._lock:
            if code in self.used_response_codes:
                return {"errcode": 40058, "errmsg": "response_code used"}
            self.used_response_codes.add(code)
        return {"errcode": 0, "errmsg": "ok"}

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path.startswith("/aibot-file/"):
                    fake.aibot_files.write(self, parts.path.removeprefix("/aibot-file/"))
                    return
                if parts.path == "/cgi-bin/media/get":
                    error = fake._media(self, query)
                    if error is None:
                        return
                    self._json(error)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                self._json(fake._handle(method, parts.path, query, body))

            def _json(self, payload: dict) -> None:
                answer = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def log_message(self, *args) -> None:
                pass

        return Handler


def aibot_encrypt(data: bytes, encoding_aes_key: str) -> bytes:
    """A picture as the AI bot's download URL serves it: AES-256-CBC with the bot's key, IV =
    the key's first 16 bytes, PKCS#7 padding to 32-byte blocks. Made with wechatpy's own
    cipher and padding (WeCom's sample code in Python), not with the adapter's code."""
    key = base64.b64decode(encoding_aes_key + "=")
    return WeChatCipher(key, key[:16]).encrypt(PKCS7Encoder.encode(data))


def make_settings(vectors: dict, api_base: str = "http://127.0.0.1:9", **overrides) -> Settings:
    """Settings for the sample corp (app and AI bot share the sample token/key), no `.env`."""
    values = {
        "wecom_corp_id": vectors["corp_id"],
        "wecom_agent_id": "1000002",
        "wecom_secret": SECRET,
        "wecom_token": vectors["token"],
        "wecom_encoding_aes_key": vectors["encoding_aes_key"],
        "wecom_aibot_token": vectors["token"],
        "wecom_aibot_encoding_aes_key": vectors["encoding_aes_key"],
        "wecom_api_base": api_base,
        **overrides,
    }
    return Settings(_env_file=None, **values)
