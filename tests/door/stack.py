"""The whole application with every inbound route, and requests signed the way each platform
signs them, for the hostile-input tests.

`Stack` is `build_application` from real settings (Telegram webhook, WeCom app and AI bot,
Feishu with encryption) on SQLite or PostgreSQL, with fake Telegram and Feishu APIs on
127.0.0.1 answering the bot-identity calls. `Request` is one HTTP request plus what it is:
`forged` (its signature, secret or timestamp is not what the platform would send) or not.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, urlencode

from flask.testing import FlaskClient
from sqlalchemy import func, select
from wechatpy.crypto import _get_signature
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from adapters.assembly import Application, build_application
from adapters.feishu.crypto import signature as feishu_signature
from adapters.telegram.inbound import SECRET_HEADER
from bot.clock import Clock
from bot.runtime.schema import DONE, REJECTED, inbox
from bot.settings import Settings
from tests.feishu.support import VECTORS as FEISHU
from tests.feishu.support import FakeFeishu
from tests.feishu.support import encrypt as feishu_encrypt
from tests.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.wecom.support import FakeWeCom

VECTORS = Path(__file__).resolve().parents[1] / "data/vectors"
TELEGRAM = json.loads((VECTORS / "telegram.json").read_text(encoding="utf-8"))
WECOM_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
WECOM_AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
WECOM_SECRET = "corp-secret-for-hostile-tests-5c2e"
#: A second key pair, so the AI bot's requests are not valid on the app's route and back.
AIBOT_TOKEN = "aibot-token-Fz93kQ"
AIBOT_AES_KEY = "YWlib3Qta2V5LWZvci1ob3N0aWxlLXRlc3RzLTAwMzI"
FEISHU_KEY = FEISHU["encrypt_key"]
FEISHU_TOKEN = FEISHU["verification_token"]
MAX_BODY = 64 * 1024
K100_SECRET = "k100-door-secret-7d1c9e"
K100_SALT = "k100-door-salt-42ab"
NONCE = "1372623149"


@dataclass(frozen=True)
class Request:
    """One request to the app. `forged`: not as the platform would sign it. `huge`: instead of
    `body`, a stream of that many bytes announced by Content-Length (or chunked, without a
    length), counting what the app reads of it."""

    method: str
    path: str
    body: bytes = b""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    forged: bool = False
    huge: int = 0
    chunked: bool = False

    def send(self, client: FlaskClient):
        """Send it through the Flask test client."""
        if self.huge:
            return self._send_huge(client)
        return client.open(
            self.path,
            method=self.method,
            data=self.body,
            query_string=self.query,
            headers=self.headers,
        )

    def _send_huge(self, client: FlaskClient):
        stream = CountingStream(self.huge)
        headers = dict(self.headers)
        if self.chunked:  # as gunicorn passes a chunked body: no length, input terminated
            headers["Transfer-Encoding"] = "chunked"
        response = client.open(
            self.path,
            method=self.method,
            input_stream=stream,
            query_string=self.query,
            headers=headers,
            environ_overrides={"wsgi.input_terminated": True} if self.chunked else None,
        )
        response.bytes_read = stream.read_count  # type: ignore[attr-defined]
        return response

    def but(self, **changes) -> Request:
        """A copy with `changes` (e.g. `forged=True`)."""
        return replace(self, **changes)


class CountingStream(io.RawIOBase):
    """`size` bytes of `[`, made as they are read; `read_count` says how many were."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_count = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # the test client measures the length by seeking to the end

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[
            whence
        ] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"[" * n
        self.position += n
        self.read_count += n
        return n


@dataclass(repr=False)
class Stack:
    """The application and its fakes; `client` is a Flask test client of the real app."""

    app: Application
    client: FlaskClient
    telegram_api: FakeBotApi
    wecom_api: FakeWeCom
    feishu_api: FakeFeishu

    def __repr__(self) -> str:
        return "Stack(every platform, demo upstream)"

    def inbox_rows(self) -> int:
        """Rows in the inbox, whatever their status (rejected ones too)."""
        return self._count()

    def stored_rows(self) -> int:
        """Rows a worker will handle (or has): everything but the rejected."""
        return self._count(inbox.c.status != REJECTED)

    def rejected(self, platform: str) -> int:
        """Rows recorded as rejected (signed, but unreadable) for `platform`."""
        return self._count((inbox.c.status == REJECTED) & (inbox.c.platform == platform))

    def _count(self, *where) -> int:
        query = select(func.count()).select_from(inbox).where(*where)
        with self.app.core.db.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def unfinished_or_failed(self) -> list[tuple[str, str, str | None]]:
        """(delivery id, status, last error) of rows a worker took that are not done cleanly."""
        query = select(inbox.c.delivery_id, inbox.c.status, inbox.c.last_error).where(
            inbox.c.status != REJECTED,
            (inbox.c.status != DONE) | inbox.c.last_error.is_not(None),
        )
        with self.app.core.db.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]

    def work_off(self) -> None:
        """Let the worker handle every accepted row, as the worker process would."""
        while self.app.runtime.process_pending():
            pass

    def send_off(self) -> None:
        """Let the sender try every queued reply once, as the sender threads would."""
        self.app.runtime.send_pending()


def settings_for(db_url: str, data_dir, apis: dict[str, str], **overrides) -> Settings:
    """Every platform configured, demo upstream (no AppCode), a small body limit; the
    platforms' APIs at `apis` ({"telegram": url, "wecom": url, "feishu": url})."""
    values = {
        "data_dir": data_dir,
        "database_url": db_url,
        "redis_url": None,
        "max_request_bytes": MAX_BODY,
        "kuaidi_poller": False,
        "telegram_bot_token": TOKEN,
        "telegram_webhook_secret": TELEGRAM["secret_token"],
        "telegram_webhook_url": "https://bot.example.invalid/telegram/webhook",
        "telegram_api_base": apis["telegram"],
        "wecom_corp_id": CORP_ID,
        "wecom_agent_id": "1000002",
        "wecom_secret": WECOM_SECRET,
        "wecom_token": WECOM_TOKEN,
        "wecom_encoding_aes_key": WECOM_AES_KEY,
        "wecom_aibot_token": AIBOT_TOKEN,
        "wecom_aibot_encoding_aes_key": AIBOT_AES_KEY,
        "wecom_api_base": apis["wecom"],
        "feishu_app_id": "cli_test",
        "feishu_app_secret": "app-secret",
        "feishu_verification_token": FEISHU_TOKEN,
        "feishu_encrypt_key": FEISHU_KEY,
        "feishu_api_base": apis["feishu"],
        # Kuaidi100's push route (no key: lookups stay on the demo provider).
        "kuaidi100_callback_secret": K100_SECRET,
        "kuaidi100_salt": K100_SALT,
    }
    return Settings(_env_file=None, **{**values, **overrides})


@contextmanager
def running_stack(
    db_url: str, data_dir, *, scanner=None, clock: Clock | None = None, **overrides
) -> Iterator[Stack]:
    """The application built from `settings_for` (plus `overrides`), stopped afterwards;
    `clock` (e.g. a FakeClock) paces it instead of the real one; pictures are scanned by
    `scanner` when given (else by bot.vision)."""
    with FakeBotApi(me=TELEGRAM["bot_getMe"]) as telegram:
        wecom, feishu = FakeWeCom(CORP_ID, WECOM_SECRET).start(), FakeFeishu().start()
        apis = {"telegram": telegram.base, "wecom": wecom.base, "feishu": feishu.base}
        app = build_application(
            settings_for(db_url, data_dir, apis, **overrides),
            clock=clock,
            worker_threads=0,
            sender_threads=0,
            scanner=scanner,
        )
        try:
            yield Stack(app, app.flask.test_client(), telegram, wecom, feishu)
        finally:
            app.stop()
            wecom.close()
            feishu.close()


# --- requests as each platform signs them ---------------------------------------------------


def now() -> int:
    """The current time in whole seconds, as platforms write timestamps."""
    return int(time.time())


def kuaidi100_sign(param: str) -> str:
    """Kuaidi100's callback signature, upper-case hex MD5(param + salt) as its docs print it."""
    return hashlib.md5((param + K100_SALT).encode("utf-8")).hexdigest().upper()  # noqa: S324


def kuaidi100(param: str, *, sign: str | None = None, secret: str = K100_SECRET) -> Request:
    """`POST /kuaidi100/callback/<secret>`, form `param` and `sign` = MD5(param + salt)."""
    form = {"param": param, "sign": kuaidi100_sign(param) if sign is None else sign}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode(form).encode("ascii")
    return Request("POST", f"/kuaidi100/callback/{quote(secret, safe='')}", body, headers=headers)


def telegram(update: object, *, secret: str | None = None) -> Request:
    """`POST /telegram/webhook` with the secret header (JSON body, as Telegram sends)."""
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = {
        "Content-Type": "application/json",
        SECRET_HEADER: secret or TELEGRAM["secret_token"],
    }
    return Request("POST", "/telegram/webhook", body, headers=headers)


def json_text(payload: object) -> str:
    """JSON as platforms write it; ASCII escapes carry even lone surrogates and NUL."""
    return json.dumps(payload)


def wecom_encrypt(plaintext: str | bytes, *, aibot: bool) -> str:
    """WeCom's ciphertext of `plaintext` for the app (receive id = CorpID) or the AI bot."""
    key, receive_id = (AIBOT_AES_KEY, "") if aibot else (WECOM_AES_KEY, CORP_ID)
    crypto = WeChatCrypto(AIBOT_TOKEN if aibot else WECOM_TOKEN, key, receive_id)
    if isinstance(plaintext, str):  # a forger may encrypt bytes that are not UTF-8
        plaintext = plaintext.encode("utf-8", "surrogatepass")
    state = random.getstate()  # wechatpy draws its 16-byte prefix from `random`, which
    try:  # would make hypothesis's examples depend on more than their seed
        return PrpCrypto(crypto.key).encrypt(plaintext, receive_id).decode()
    finally:
        random.setstate(state)


def wecom_signature(encrypted: str, timestamp: str, *, aibot: bool) -> str:
    """WeCom's msg_signature over `encrypted` at `timestamp`."""
    return _get_signature(AIBOT_TOKEN if aibot else WECOM_TOKEN, timestamp, NONCE, encrypted)


def wecom_query(encrypted: str, *, aibot: bool, timestamp: int | None = None) -> dict[str, str]:
    """The signed query WeCom sends with `encrypted` (the echostr or the Encrypt field)."""
    ts = str(now() if timestamp is None else timestamp)
    signature = wecom_signature(encrypted, ts, aibot=aibot)
    return {"msg_signature": signature, "timestamp": ts, "nonce": NONCE}


def wecom_app_post(plaintext: str, *, timestamp: int | None = None) -> Request:
    """`POST /wecom/callback`: the XML envelope around the encrypted message XML."""
    encrypted = wecom_encrypt(plaintext, aibot=False)
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]>"
        f"</Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
    ).encode()
    query = wecom_query(encrypted, aibot=False, timestamp=timestamp)
    return Request("POST", "/wecom/callback", body, query, {"Content-Type": "text/xml"})


def wecom_aibot_post(payload: object, *, timestamp: int | None = None) -> Request:
    """`POST /wecom/aibot`: `{"encrypt": …}` around the encrypted JSON payload."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    encrypted = wecom_encrypt(text, aibot=True)
    body = json.dumps({"encrypt": encrypted}).encode()
    query = wecom_query(encrypted, aibot=True, timestamp=timestamp)
    return Request("POST", "/wecom/aibot", body, query, {"Content-Type": "application/json"})


def wecom_url_check(path: str, echo: str, *, timestamp: int | None = None) -> Request:
    """`GET` URL verification: the signed, encrypted `echostr`."""
    aibot = path == "/wecom/aibot"
    echostr = wecom_encrypt(echo, aibot=aibot)
    query = {**wecom_query(echostr, aibot=aibot, timestamp=timestamp), "echostr": echostr}
    return Request("GET", path, query=query)


def feishu_headers(body: bytes, timestamp: int | str | None = None) -> dict[str, str]:
    """Feishu's signature headers over the raw body."""
    ts, nonce = str(now() if timestamp is None else timestamp), "nonce-17"
    return {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": ts,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": feishu_signature(ts, nonce, FEISHU_KEY, body),
    }


def feishu(path: str, payload: object, *, timestamp: int | None = None) -> Request:
    """`POST /feishu/events` or `/feishu/card`: the encrypted payload, signed."""
    plaintext = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    body = json.dumps({"encrypt": feishu_encrypt(FEISHU_KEY, plaintext)}).encode()
    return Request("POST", path, body, headers=feishu_headers(body, timestamp))
