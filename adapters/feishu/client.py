"""A small synchronous client for the Feishu open API: tenant token, messages, bot info, and
the downloads of pictures users sent.

The `tenant_access_token` lives in the shared `TokenCache` so every process uses one token and
only one of them fetches it; when Feishu says a token is invalid we drop it and retry once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from adapters.downloads import Downloaded, download, require_picture
from bot.runtime.ports import AttachmentError, TokenCache

log = logging.getLogger(__name__)

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
BOT_INFO_PATH = "/open-apis/bot/v3/info"
#: "access token invalid" / "missing access token": refetch the token and retry once.
INVALID_TOKEN_CODES = frozenset({99991661, 99991663})


class FeishuApiError(RuntimeError):
    """A transient failure: network, HTTP 5xx without a Feishu code, or a non-JSON answer."""


@dataclass(frozen=True)
class ApiReply:
    """Feishu's answer: `code` 0 is success; `retry_after` from its rate-limit headers."""

    code: int
    msg: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """Feishu accepted the call."""
        return self.code == 0


class FeishuApi:
    """Calls the open API at `api_base` with a cached tenant token."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        tokens: TokenCache,
        api_base: str = "https://open.feishu.cn",
        http: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._tokens = tokens
        self._token_name = f"feishu:tenant_access_token:{app_id}"
        self._http = http or httpx.Client(base_url=api_base.rstrip("/"), timeout=timeout)

    def call(
        self, method: str, path: str, *, json: dict | None = None, params: dict | None = None
    ) -> ApiReply:
        """One authenticated call; on an invalid-token answer, refetch and retry once."""
        token = self._tokens.get(self._token_name, self._fetch_token)
        reply = self._send(method, path, token, json, params)
        if reply.code in INVALID_TOKEN_CODES:
            log.info("feishu: tenant token rejected (%s); refetching", reply.code)
            self._tokens.invalidate(self._token_name, token)
            token = self._tokens.get(self._token_name, self._fetch_token)
            reply = self._send(method, path, token, json, params)
        return reply

    def download(self, path: str, params: dict, *, max_bytes: int, timeout: float) -> bytes:
        """A file the API serves at `path` (e.g. a message's picture), streamed into memory
        within `max_bytes`; a refused token is refetched once. `AttachmentError` otherwise."""
        token = self._tokens.get(self._token_name, self._fetch_token)
        got = self._download(path, params, token, max_bytes, timeout)
        if _code(got) in INVALID_TOKEN_CODES:
            log.info("feishu: tenant token rejected on a download; refetching")
            self._tokens.invalidate(self._token_name, token)
            token = self._tokens.get(self._token_name, self._fetch_token)
            got = self._download(path, params, token, max_bytes, timeout)
        if got.is_json or got.status >= 400:
            raise AttachmentError("unavailable", f"{path.split('/')[-3]} code {_code(got)}")
        return require_picture(got)

    def _download(
        self, path: str, params: dict, token: str, max_bytes: int, timeout: float
    ) -> Downloaded:
        headers = {"Authorization": f"Bearer {token}"}
        url = str(self._http.base_url).rstrip("/") + path
        return download(
            self._http, url, params=params, headers=headers, max_bytes=max_bytes, timeout=timeout
        )

    def bot_open_id(self) -> str:
        """The bot's own open_id (GET /open-apis/bot/v3/info)."""
        reply = self.call("GET", BOT_INFO_PATH)
        open_id = (reply.data.get("bot") or {}).get("open_id") if reply.ok else None
        if not open_id:
            raise FeishuApiError(f"bot info failed: code {reply.code} {reply.msg}")
        return str(open_id)

    def verify_credentials(self) -> None:
        """Ask Feishu for a tenant token now, past the cache: raises `FeishuApiError` when
        the app id or secret is refused (used by `kuaidi-bot check`)."""
        self._fetch_token()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _fetch_token(self) -> tuple[str, float]:
        body = {"app_id": self._app_id, "app_secret": self._app_secret}
        reply = self._request("POST", TOKEN_PATH, {}, body, None)
        token = reply.data.get("tenant_access_token")
        if not reply.ok or not token:
            # The message is Feishu's, e.g. "app secret invalid"; it never echoes the secret.
            raise FeishuApiError(f"tenant_access_token failed: code {reply.code} {reply.msg}")
        return str(token), float(reply.data.get("expire") or 0)

    def _send(
        self, method: str, path: str, token: str, body: dict | None, params: dict | None
    ) -> ApiReply:
        headers = {"Authorization": f"Bearer {token}"}
        return self._request(method, path, headers, body, params)

    def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict | None,
        params: dict | None,
    ) -> ApiReply:
        try:
            response = self._http.request(method, path, headers=headers, json=body, params=params)
        except httpx.HTTPError as exc:
            raise FeishuApiError(f"{method} {path}: {type(exc).__name__}") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("code"), int):
            raise FeishuApiError(f"{method} {path}: HTTP {response.status_code}, no Feishu code")
        return ApiReply(
            code=data["code"],
            msg=str(data.get("msg") or ""),
            data=data.get("data") if isinstance(data.get("data"), dict) else data,
            retry_after=_reset_seconds(response.headers),
        )


def _code(got: Downloaded) -> int | None:
    """Feishu's `code` in a JSON answer to a download, else None."""
    if not got.is_json:
        return None
    try:
        code = json.loads(got.data).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def _reset_seconds(headers: httpx.Headers) -> float | None:
    """Seconds until the API's rate-limit window resets (`x-ogw-ratelimit-reset`), if given."""
    value = headers.get("x-ogw-ratelimit-reset")
    try:
        return max(float(value), 1.0) if value is not None else None
    except ValueError:
        return None
