"""HTTP calls to WeCom: the access token (through the shared `TokenCache`) and JSON posts.

The token is fetched with the corp id and secret, cached by the runtime's `TokenCache` (Redis or
the database, shared by every process) and refreshed once when WeCom calls it invalid or
expired. Secrets travel in query strings (`corpsecret`, `access_token`, a robot's `key`, a
response_url's `response_code`), so this module never logs a URL, keeps exception messages free of
them, and registers those parameters with the secret masker (`bot.masking`), which masks them
in every log line, httpx's request log included.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from bot.masking import mask, register_pattern
from bot.runtime.ports import TokenCache

log = logging.getLogger(__name__)

#: errcodes meaning "this access token is not (or no longer) valid": refresh once, retry once.
INVALID_TOKEN_CODES = frozenset({40001, 40014, 42001})

_SECRET_PARAMS = re.compile(r"((?:corpsecret|access_token|key|response_code)=)[^&\s\"'>]+")


register_pattern(_SECRET_PARAMS, r"\1***")


class WeComTransportError(Exception):
    """WeCom could not be reached or answered garbage (transient; the message has no URL)."""


@dataclass(frozen=True)
class ApiAnswer:
    """A WeCom JSON answer: `errcode` (0 = ok), a secret-free `errmsg`, and the whole body."""

    errcode: int
    errmsg: str
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when WeCom accepted the call."""
        return self.errcode == 0


def post_json(
    http: httpx.Client, url: str, payload: dict, params: dict | None = None
) -> ApiAnswer:
    """POST `payload` to `url` and read WeCom's `{errcode, errmsg}` answer.

    Raises `WeComTransportError` (without the URL) on network faults, HTTP errors or non-JSON."""
    try:
        response = http.post(url, params=params, json=payload)
    except httpx.HTTPError as exc:
        raise WeComTransportError(f"network error: {type(exc).__name__}") from None
    return _answer(response)


def _answer(response: httpx.Response) -> ApiAnswer:
    if response.status_code != 200:
        raise WeComTransportError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise WeComTransportError("answer is not JSON") from None
    if not isinstance(body, dict):
        raise WeComTransportError("answer is not a JSON object")
    errcode = int(body.get("errcode", 0) or 0)
    return ApiAnswer(errcode, mask(str(body.get("errmsg", "")))[:200], body)


class WeComApi:
    """The self-built app's API: `call(path, payload)` with a shared, self-refreshing token."""

    def __init__(
        self, http: httpx.Client, api_base: str, corp_id: str, secret: str, tokens: TokenCache
    ) -> None:
        self._http = http
        self._base = api_base.rstrip("/")
        self._corp_id = corp_id
        self._secret = secret
        self._tokens = tokens
        # One cache entry per app secret; the name holds a digest, never the secret itself.
        digest = hashlib.sha256(secret.encode()).hexdigest()[:12]
        self.token_name = f"wecom:{corp_id}:{digest}"

    @property
    def base(self) -> str:
        """The API base URL (no trailing slash)."""
        return self._base

    def token(self) -> str:
        """The current access token (fetched and cached when missing)."""
        return self._tokens.get(self.token_name, self._fetch_token)

    def invalidate(self, token: str) -> None:
        """WeCom refused `token`: drop it from the shared cache."""
        self._tokens.invalidate(self.token_name, token)

    def call(self, path: str, payload: dict) -> ApiAnswer:
        """POST `payload` to `{api_base}{path}?access_token=…`; on an invalid-token answer,
        invalidate that token and retry exactly once with a fresh one."""
        token = self._tokens.get(self.token_name, self._fetch_token)
        answer = self._post(path, payload, token)
        if answer.errcode in INVALID_TOKEN_CODES:
            log.info("WeCom said the access token is invalid (%s); refreshing", answer.errcode)
            self._tokens.invalidate(self.token_name, token)
            token = self._tokens.get(self.token_name, self._fetch_token)
            answer = self._post(path, payload, token)
        return answer

    def verify_credentials(self) -> None:
        """Ask WeCom for a token now, past the cache: raises `WeComTransportError` when the
        corp id or secret is refused (used by `kuaidi-bot check`)."""
        self._fetch_token()

    def _post(self, path: str, payload: dict, token: str) -> ApiAnswer:
        answer = post_json(self._http, self._base + path, payload, {"access_token": token})
        return ApiAnswer(answer.errcode, answer.errmsg.replace(token, "***"), answer.body)

    def _fetch_token(self) -> tuple[str, float]:
        """`gettoken` → (token, seconds to live). Its URL carries the secret: never logged."""
        try:
            response = self._http.get(
                self._base + "/cgi-bin/gettoken",
                params={"corpid": self._corp_id, "corpsecret": self._secret},
            )
        except httpx.HTTPError as exc:
            raise WeComTransportError(f"gettoken network error: {type(exc).__name__}") from None
        answer = _answer(response)
        token = answer.body.get("access_token")
        if not answer.ok or not isinstance(token, str) or not token:
            errmsg = answer.errmsg.replace(self._secret, "***")
            raise WeComTransportError(f"gettoken failed: errcode {answer.errcode} {errmsg}")
        expires_in = float(answer.body.get("expires_in") or 7200)
        # Leave a minute of slack on top of the cache's own margin: clocks and queues drift.
        return token, max(expires_in - 60, 60)
