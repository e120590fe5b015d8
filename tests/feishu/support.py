"""Test doubles for the Feishu adapter: token cache, inbox, a fake open API, request builders."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapters.feishu.crypto import signature
from bot.settings import Settings
from tests.fakes.files import FileShelf
from tests.fakes.platform import MemoryTokenCache, RecordingInbox  # noqa: F401

_RESOURCE = re.compile(r"/open-apis/im/v1/messages/[^/]+/resources/[^/]+")
VECTOR_PATH = Path(__file__).resolve().parents[1] / "data/vectors/feishu.json"
VECTORS = json.loads(VECTOR_PATH.read_text(encoding="utf-8"))


class FakeFeishu:
    """A fake Feishu open API on 127.0.0.1 that records requests and answers like Feishu.

    `script[(method, path)]` holds queued (status, body) answers used before the default one.
    `files` serves pictures at the message resource API
    (`GET /open-apis/im/v1/messages/{message_id}/resources/{file_key}?type=image`) to a valid
    tenant token, keyed by file_key; an unknown key gets a JSON error as Feishu answers.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: dict[tuple[str, str], list[tuple[int, dict]]] = {}
        self.valid_tokens: set[str] = set()
        self._issued = 0
        self.files = FileShelf()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeFeishu:
        self.thread.start()
        return self

    def close(self) -> None:
        self.files.close()
        self.server.shutdown()
        self.server.server_close()

    def queue(self, method: str, path: str, status: int, body: dict) -> None:
        self.script.setdefault((method, path), []).append((status, body))

    def calls(self, method: str, path_pattern: str) -> list[dict[str, Any]]:
        with self._lock:
            recorded = list(self.requests)
        pattern = re.compile(path_pattern)
        return [r for r in recorded if r["method"] == method and pattern.fullmatch(r["path"])]

    def answer(self, method: str, path: str, headers: dict, body: Any) -> tuple[int, dict]:
        with self._lock:
            self.requests.append({"method": method, "path": path, "headers": headers, **body})
            queued = self.script.get((method, path))
            if queued:
                return queued.pop(0)
            if path == "/open-apis/auth/v3/tenant_access_token/internal":
                if body["json"] != {"app_id": "cli_test", "app_secret": "app-secret"}:
                    return 400, {"code": 10014, "msg": "app secret invalid"}
                self._issued += 1
                token = f"t-{self._issued}"
                self.valid_tokens.add(token)
                return 200, {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
            if headers.get("authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
                return 400, {"code": 99991663, "msg": "Invalid access token for authorization."}
            if _RESOURCE.fullmatch(path):
                return 400, {"code": 234003, "msg": "File not in msg."}
            if path == "/open-apis/bot/v3/info":
                bot = {"app_name": "MyBot", "open_id": "ou_bot"}
                return 200, {"code": 0, "msg": "ok", "bot": bot}
            if method == "PATCH":
                return 200, {"code": 0, "msg": "success", "data": {}}
            self._issued += 1
            data = {"message_id": f"om_sent{self._issued}"}
            return 200, {"code": 0, "msg": "success", "data": data}

    def serve_file(self, handler: BaseHTTPRequestHandler, url) -> bool:
        """Write the picture when the token is valid and the key known (True); else False,
        and the default answer (an invalid-token or not-found code) follows."""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        query = parse_qs(url.query)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        key = url.path.rsplit("/", 1)[-1]
        with self._lock:
            known = token in self.valid_tokens and key in self.files.files
            if not (known and query.get("type") == ["image"]):
                return False  # answered (and recorded) like any other call
            self.requests.append({"method": "GET", "path": url.path, "headers": headers})
        self.files.write(handler, key)
        return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                if _RESOURCE.fullmatch(url.path) and fake.serve_file(self, url):
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = {"json": json.loads(raw) if raw else None, "query": parse_qs(url.query)}
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = fake.answer(self.command, url.path, headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _serve

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler


def encrypt(encrypt_key: str, plaintext: bytes, iv: bytes | None = None) -> str:
    """Feishu's encryption: AES-256-CBC with key sha256(EncryptKey), IV prepended, base64."""
    iv = iv or os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    key = hashlib.sha256(encrypt_key.encode()).digest()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode()


def signed_request(payload: dict, encrypt_key: str = "test key") -> tuple[bytes, dict[str, str]]:
    """An encrypted body and the headers Feishu would sign it with."""
    body = json.dumps({"encrypt": encrypt(encrypt_key, json.dumps(payload).encode())}).encode()
    return body, signed_headers(body, encrypt_key)


def signed_headers(body: bytes, encrypt_key: str = "test key") -> dict[str, str]:
    """The headers Feishu sends with `body`, signed now (a request signed long ago, like the
    vector's, is refused as a replay)."""
    timestamp, nonce = str(int(time.time())), "nonce-42"
    return {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature(timestamp, nonce, encrypt_key, body),
    }


def message_event(
    *,
    event_id: str = "ev-1",
    message_id: str = "om_msg1",
    text: str = "@_user_1 /sub 天气",
    chat_type: str = "group",
    mentions: list[dict] | None = None,
    message_type: str = "text",
    token: str = "test-verification-token",
) -> dict:
    """A schema 2.0 `im.message.receive_v1` payload shaped like the vector's."""
    payload = json.loads(json.dumps(VECTORS["event"]["plaintext"]))
    payload["header"].update(event_id=event_id, token=token)
    message = payload["event"]["message"]
    message.update(message_id=message_id, chat_type=chat_type, message_type=message_type)
    message["content"] = json.dumps({"text": text}, ensure_ascii=False)
    if mentions is not None:
        message["mentions"] = mentions
    return payload


def mention(key: str, open_id: str, name: str) -> dict:
    """One entry of `message.mentions`."""
    return {"key": key, "id": {"open_id": open_id, "union_id": "", "user_id": ""}, "name": name}


def card_action_event(
    action: Any, *, event_id: str = "ev-card-1", chat_type: str = "group"
) -> dict:
    """A schema 2.0 `card.action.trigger` callback for a press of one of our buttons."""
    value = {"action": action, "chat_type": chat_type} if action is not None else {"x": 1}
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "card.action.trigger",
            "create_time": "1700000000000",
            "token": "test-verification-token",
            "app_id": "cli_test",
            "tenant_key": "tenant_test",
        },
        "event": {
            "operator": {"open_id": "ou_presser", "union_id": "on_p", "user_id": "up"},
            "token": "c-card-update-token",
            "action": {"tag": "button", "value": value},
            "context": {"open_message_id": "om_card1", "open_chat_id": "oc_chat1"},
        },
    }


def make_settings(api_base: str, **overrides) -> Settings:
    """Settings for the vector's app, reading no `.env` file."""
    values = {
        "feishu_app_id": "cli_test",
        "feishu_app_secret": "app-secret",
        "feishu_verification_token": "test-verification-token",
        "feishu_encrypt_key": "test key",
        "feishu_mode": "webhook",
        "feishu_api_base": api_base,
        **overrides,
    }
    return Settings(_env_file=None, **values)
