"""Mapping one HTTP answer of the API (gateway or vendor) to data or to an `UpstreamError`.

Order matters: 200 and 666 come from the vendor and carry JSON; anything else comes from the
Aliyun gateway, which names its reason in `X-Ca-Error-Message`. Quota messages are checked
before generic 403s, throttling before configuration errors, and unknown statuses fall back on
their class (5xx transient, 3xx/400/401/403/404 configuration).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot.masking import mask
from bot.upstream.errors import (
    BadResponse,
    ConfigurationError,
    QuotaExhausted,
    Throttled,
    UpstreamError,
    UpstreamUnavailable,
)
from bot.upstream.parsing import business_error, coerce_int

BUSINESS_FAILURE = 666  # the vendor's own status for a refused, unbilled query
_QUOTA = ("quota exhausted", "quota expired", "subscription quota")
#: Texts taken from an answer are cut to this length (they end up in chats and logs).
_MAX_TEXT = 200
_CONFIG = ("invalid appcode", "unauthorized", "invalid url", "api not found", "invalid domain")


def read_body(response: httpx.Response, limit: int, deadline: float) -> bytes:
    """The body of a streamed answer, refused when it is larger than `limit` bytes (declared
    or as it arrives, decompressed) or still arriving at `deadline` (time.monotonic())."""
    request_id = response.headers.get("X-Ca-Request-Id")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(response.status_code, limit, request_id)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise _too_large(response.status_code, limit, request_id)
        if time.monotonic() > deadline:
            raise UpstreamUnavailable(
                f"HTTP {response.status_code} answer still arriving at the deadline",
                request_id=request_id,
            )
    return bytes(body)


def _too_large(status: int, limit: int, request_id: str | None) -> BadResponse:
    return BadResponse(f"HTTP {status} answer larger than {limit} bytes", request_id=request_id)


def answer_data(response: httpx.Response, body: bytes) -> dict:
    """The JSON object of a successful answer (`body`, read by `read_body`); raises the
    matching `UpstreamError` otherwise."""
    request_id = response.headers.get("X-Ca-Request-Id")
    status = response.status_code
    if status == BUSINESS_FAILURE and not body.strip():
        raise business_error("", request_id)  # refused, and not a word about why
    if status in (200, BUSINESS_FAILURE):
        data = _json_object(status, body, request_id)
        ok = data.get("ok")
        if status == 200 and (ok is True or coerce_int(ok, 0) == 1):
            return data
        # A 666, or a 200 whose ok is not 1: the vendor refused; its reason is in msg.
        raise business_error(_clean(str(data.get("msg") or "")), request_id)
    raise gateway_error(response)


def _json_object(status: int, body: bytes, request_id: str | None) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadResponse(
            f"HTTP {status} with a body that is not JSON", request_id=request_id
        ) from None
    if not isinstance(data, dict):
        raise BadResponse(f"HTTP {status} with JSON that is not an object", request_id=request_id)
    return data


def gateway_error(response: httpx.Response) -> UpstreamError:
    """The error for a non-vendor answer, from its status and `X-Ca-Error-Message`."""
    status = response.status_code
    request_id = response.headers.get("X-Ca-Request-Id")
    message = _clean(response.headers.get("X-Ca-Error-Message", "").strip())
    lowered = message.lower()
    text = f"HTTP {status}" + (f" {message}" if message else "")
    if request_id:
        text += f" (request id {request_id})"
    if any(marker in lowered for marker in _QUOTA):
        return QuotaExhausted(text, request_id=request_id)
    if "throttled" in lowered or status == 429:
        return Throttled(text, request_id=request_id, retry_after=_retry_after(response))
    if any(marker in lowered for marker in _CONFIG):
        return ConfigurationError(text, request_id=request_id)
    if status >= 500:
        return UpstreamUnavailable(text, request_id=request_id)
    if 300 <= status < 400 or status in (400, 401, 403, 404, 405):
        return ConfigurationError(text, request_id=request_id)
    unknown = UpstreamUnavailable(text, request_id=request_id)
    unknown.retryable = False  # an unexplained 4xx will not improve by asking again
    return unknown


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _clean(text: str) -> str:
    """A text from an answer, safe for logs and chats: secrets masked (a gateway may echo
    the AppCode), cut to a sane length."""
    return mask(text)[:_MAX_TEXT]
