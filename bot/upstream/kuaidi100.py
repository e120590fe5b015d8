"""`Kuaidi100Client`: Kuaidi100's real-time query and push subscription over httpx.

It answers `track` like the Aliyun client (same `TrackResult`, same error classes, so a user
cannot tell which provider answered) and adds `subscribe`, which asks Kuaidi100 to push every
change of a parcel to our callback route. Kuaidi100 needs a carrier code for every query: the
caller's code (a registry code, or the Aliyun vendor's) is mapped to Kuaidi100's by
`code_for`; without one the query is refused with `UnsupportedCarrier`, which tells fail-over
to ask the next provider. The key and customer are secrets: they are registered for masking
and never appear in a log line or an error.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from bot.masking import register_secret
from bot.settings import Settings, reveal
from bot.tracking import TrackResult
from bot.upstream.base import Stats
from bot.upstream.errors import (
    BadResponse,
    ConfigurationError,
    NotConfigured,
    UpstreamError,
    UpstreamUnavailable,
)
from bot.upstream.kuaidi100_protocol import (
    PushRegistration,
    UnsupportedCarrier,
    query_answer,
    query_form,
    subscribe_answer,
    subscribe_form,
)
from bot.upstream.responses import read_body

log = logging.getLogger("bot.upstream")

QUERY_PATH = "/poll/query.do"
SUBSCRIBE_PATH = "/poll"
STAT_NAMES = ("upstream_calls", "upstream_calls_today", "billed_calls", "subscriptions")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _same(code: str) -> str | None:
    return code


class Kuaidi100Client:
    """Kuaidi100's enterprise API. Thread-safe (one pooled httpx client)."""

    name = "kuaidi100"

    def __init__(
        self,
        settings: Settings,
        *,
        code_for: Callable[[str], str | None] = _same,
        stats: Stats | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Requires `KUAIDI100_KEY` and `KUAIDI100_CUSTOMER`; `code_for` maps a caller's carrier
        code to Kuaidi100's (None: Kuaidi100 does not know the carrier)."""
        key, customer = reveal(settings.kuaidi100_key), reveal(settings.kuaidi100_customer)
        if not (key and key.strip() and customer and customer.strip()):
            raise ConfigurationError("KUAIDI100_KEY and KUAIDI100_CUSTOMER are both needed")
        _check_base_url(settings.kuaidi100_api_base)
        self._key, self._customer = key.strip(), customer.strip()
        for secret in (self._key, self._customer, reveal(settings.kuaidi100_salt)):
            if secret:
                register_secret(secret)
        self._salt = reveal(settings.kuaidi100_salt) or ""
        self._callback_url = reveal(settings.kuaidi100_callback_url) or ""
        self._code_for = code_for
        self._stats = stats or Stats(names=STAT_NAMES)
        self._monotonic = monotonic
        self._deadline = settings.kuaidi_deadline
        self._max_body = settings.kuaidi_max_body_bytes
        seconds = settings.kuaidi_timeout
        self._client = httpx.Client(
            base_url=settings.kuaidi100_api_base,
            timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
            follow_redirects=False,
        )

    @property
    def stats(self) -> dict[str, int]:
        """Counters: upstream_calls(_today), billed_calls, subscriptions, errors_<kind>."""
        return self._stats.snapshot()

    @property
    def can_push(self) -> bool:
        """True when a callback URL and salt are configured, so `subscribe` may be used."""
        return bool(self._callback_url and self._salt)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def track(
        self,
        number: str,
        carrier: str | None = None,
        phone_tail: str | None = None,
        *,
        fresh: bool = False,
    ) -> TrackResult:
        """One real-time query (`fresh` is for caches; this client never caches)."""
        com = self._code_for(carrier) if carrier else None
        try:
            if not com:
                raise UnsupportedCarrier("kuaidi100 needs a carrier code it knows")
            form = query_form(self._key, self._customer, com, number, phone_tail)
            data = self._post(QUERY_PATH, form)
            result = query_answer(data, number)
        except UpstreamError as exc:
            self._stats.incr(f"errors_{exc.kind}")
            raise
        answered = result.carrier_code or com
        # The caller's code when Kuaidi100 answered for the carrier asked about, so callers
        # see the same code whichever provider answered; else Kuaidi100's own code.
        code = carrier if answered == com else answered
        return dataclasses.replace(result, carrier_code=code or "")

    def subscribe(
        self, number: str, carrier: str | None, phone_tail: str | None
    ) -> PushRegistration:
        """Ask Kuaidi100 to push every change of `number` to our callback (once per parcel;
        "already followed" counts as accepted). Raises for provider faults."""
        if not self.can_push:
            raise NotConfigured("KUAIDI100_CALLBACK_URL and KUAIDI100_SALT are needed to push")
        com = (self._code_for(carrier) if carrier else None) or ""
        form = subscribe_form(self._key, com, number, self._callback_url, self._salt, phone_tail)
        try:
            registration = subscribe_answer(self._post(SUBSCRIBE_PATH, form))
        except UpstreamError as exc:
            self._stats.incr(f"errors_{exc.kind}")
            raise
        self._stats.incr("subscriptions")
        log.info("kuaidi100 subscription of %s: %s", number, registration.code)
        return registration

    def identify(self, number: str) -> list[tuple[str, str]]:
        """Not offered here (Kuaidi100's auto-number API is a separate product)."""
        raise NotConfigured("kuaidi100 identify is not used")

    def carriers(self, page: int = 1, keyword: str = "") -> tuple[list[dict], int]:
        """Not offered here (the registry already holds Kuaidi100's codes)."""
        raise NotConfigured("kuaidi100 has no carrier list endpoint")

    def _post(self, path: str, form: dict[str, str]) -> dict:
        """POST a form; the answer's JSON object, or the error for a transport/HTTP fault."""
        self._stats.incr("upstream_calls", daily=True)
        started = self._monotonic()
        deadline = time.monotonic() + self._deadline
        try:
            with self._client.stream("POST", path, data=form) as response:
                body = read_body(response, self._max_body, deadline)
        except httpx.TimeoutException:
            raise UpstreamUnavailable(f"kuaidi100 timed out ({path})") from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"kuaidi100 network error: {type(exc).__name__}") from None
        status = response.status_code
        elapsed = (self._monotonic() - started) * 1000
        log.info("kuaidi100 POST %s -> %s in %.0f ms", path, status, elapsed)
        if status >= 500:
            raise UpstreamUnavailable(f"kuaidi100 HTTP {status}")
        if status != 200:
            raise ConfigurationError(f"kuaidi100 HTTP {status} (check KUAIDI100_API_BASE)")
        self._stats.incr("billed_calls")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadResponse("kuaidi100 answer is not JSON") from None
        if not isinstance(data, dict):
            raise BadResponse("kuaidi100 answer is not a JSON object")
        return data


def _check_base_url(base_url: str) -> None:
    """HTTPS only (the key travels in the subscription form); plain HTTP to loopback (tests)."""
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return
    raise ConfigurationError("KUAIDI100_API_BASE must be an https:// URL")
