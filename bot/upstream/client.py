"""`ApiClient`: the paid 《物流快递查询》 API over a synchronous httpx client.

One request path for all three endpoints: pace with the token bucket, send with explicit
timeouts, log the gateway's `X-Ca-Request-Id`, map the answer to data or to an error (see
`bot.upstream.responses`), and retry what is transient (timeouts, 5xx, throttling) with
exponential backoff. The AppCode lives only in the client's default headers; every text taken
from an answer is scrubbed of it before it reaches a log line or an exception.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from bot.masking import register_secret
from bot.settings import Settings
from bot.tracking import TrackResult
from bot.upstream.base import Stats
from bot.upstream.errors import (
    BusinessError,
    ConfigurationError,
    NotConfigured,
    PhoneRequired,
    Throttled,
    UpstreamError,
    UpstreamUnavailable,
)
from bot.upstream.parsing import coerce_int, parse_track_response
from bot.upstream.ratelimit import TokenBucket
from bot.upstream.responses import answer_data, read_body

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("bot.upstream")

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_MAX_BACKOFF = 8.0
#: An attempt is not started with less time than this left before the deadline.
_MIN_ATTEMPT = 1.0
STAT_NAMES = ("upstream_calls", "upstream_calls_today", "billed_calls", "retries")
#: Threads per HTTP client. httpcore's pool looks through all of its connections on every
#: request, so one client shared by hundreds of worker threads spends its CPU there (measured
#: with 300 threads each waiting 1.5 s on an answer: one client managed 69 answers/s, 16
#: clients 200/s).
THREADS_PER_CLIENT = 16


def _same(code: str) -> str:
    return code


class ApiClient:
    """The paid API. Thread-safe: each thread uses one of a few pooled httpx clients."""

    def __init__(
        self,
        settings: Settings,
        *,
        carrier_name: Callable[[str], str] = _same,
        rate_limiter: TokenBucket | None = None,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        stats: Stats | None = None,
    ) -> None:
        """Read base URL, paths, timeout and retries from `settings`; requires an AppCode.

        `backoff` is the first retry delay in seconds (doubling, with jitter); `carrier_name`
        names a vendor code when the answer has no `kdmc`.
        """
        appcode = settings.kuaidi_appcode.get_secret_value() if settings.kuaidi_appcode else ""
        if not appcode.strip():
            raise ConfigurationError("no AppCode configured (KUAIDI_APPCODE)")
        _check_base_url(settings.kuaidi_api_base)
        register_secret(appcode)
        self._settings = settings
        self._carrier_name = carrier_name
        self._limiter = rate_limiter
        self._backoff = backoff
        self._sleep = sleep
        self._retries = max(0, settings.kuaidi_retries)
        self._stats = stats or Stats(names=STAT_NAMES)
        seconds = settings.kuaidi_timeout
        self._timeout = seconds
        self._deadline = settings.kuaidi_deadline
        self._max_body = settings.kuaidi_max_body_bytes
        self._clients = ThreadClients(
            math.ceil(max(1, settings.worker_threads) / THREADS_PER_CLIENT),
            lambda: httpx.Client(
                base_url=settings.kuaidi_api_base,
                headers={"Authorization": f"APPCODE {appcode.strip()}"},
                timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
                follow_redirects=False,  # a redirect is a misconfiguration, never followed
                verify=_tls_context(),
                # A thread has one request in flight at a time, so the threads that keep to
                # this client bound its connections; a cap would only make them queue.
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
            ),
        )

    @property
    def stats(self) -> dict[str, int]:
        """Counters: upstream_calls(_today), billed_calls, retries, errors_<kind>."""
        return self._stats.snapshot()

    def close(self) -> None:
        """Close the connection pools."""
        self._clients.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def track(
        self,
        number: str,
        carrier: str | None = None,
        phone_tail: str | None = None,
        *,
        fresh: bool = False,
    ) -> TrackResult:
        """Ask the API once (`fresh` is for caches; this client never caches).

        With a `carrier` code, a refusal (HTTP 666) is retried once without it: the vendor's
        codes are its own, and without `code` it detects the carrier itself. Both share one
        deadline (`KUAIDI_DEADLINE`).
        """
        deadline = time.monotonic() + self._deadline
        try:
            try:
                return self._track_once(number, carrier, phone_tail, deadline)
            except BusinessError as refusal:
                # A missing or wrong phone tail is not about the code: asking again won't help.
                if not carrier or isinstance(refusal, PhoneRequired):
                    raise
                # Too little time left for a second paid call: the refusal's reason is a better
                # answer than a timed-out retry whose (billed) answer would be dropped.
                if deadline - time.monotonic() < _MIN_ATTEMPT:
                    raise
                log.info("retrying %s without code %r after: %s", number, carrier, refusal.msg)
                return self._track_once(number, None, phone_tail, deadline)
        except UpstreamError as exc:
            self._stats.incr(f"errors_{exc.kind}")
            raise

    def _track_once(
        self, number: str, carrier: str | None, tail: str | None, deadline: float
    ) -> TrackResult:
        params = {"kddh": number}
        if carrier:
            params["code"] = carrier
        if tail:
            params["tel"] = tail
        data = self._request(self._settings.kuaidi_track_path, params, deadline)
        result = parse_track_response(data, number)
        name = result.carrier_name or (self._carrier_name(carrier) if carrier else "")
        return dataclasses.replace(result, carrier_code=carrier or "", carrier_name=name)

    def identify(self, number: str) -> list[tuple[str, str]]:
        """`[(vendor code, name)]` for `number`; raises NotConfigured without a path."""
        path = self._settings.kuaidi_identify_path
        if not path:
            raise NotConfigured("the identify endpoint has no path (KUAIDI_IDENTIFY_PATH)")
        data = self._counted(lambda: self._request(path, {"kddh": number}))
        return [(row["code"], row["name"]) for row in _carrier_rows(data.get("data"))]

    def carriers(self, page: int = 1, keyword: str = "") -> tuple[list[dict], int]:
        """Rows `{"code", "name", "phone", "url"}` and the page count; `([], 0)` if no match."""
        path = self._settings.kuaidi_carriers_path
        if not path:
            raise NotConfigured("the carrier list has no path (KUAIDI_CARRIERS_PATH)")
        params = {"page": str(page), **({"key": keyword} if keyword else {})}
        try:
            data = self._request(path, params)
        except BusinessError:  # "暂未收录与关键字…相关的快递公司": no match is not a failure
            return [], 0
        except UpstreamError as exc:
            self._stats.incr(f"errors_{exc.kind}")
            raise
        return _carrier_rows(data.get("data")), coerce_int(data.get("pagecount"), 1)

    def _counted(self, call: Callable[[], dict]) -> dict:
        try:
            return call()
        except UpstreamError as exc:
            self._stats.incr(f"errors_{exc.kind}")
            raise

    def _request(self, path: str, params: dict[str, str], deadline: float | None = None) -> dict:
        """GET `path` with retries until `deadline` (time.monotonic(); default: the configured
        deadline from now); the answer's JSON object, or the mapped error."""
        if deadline is None:
            deadline = time.monotonic() + self._deadline
        attempts = self._retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(path, params, deadline)
            except UpstreamError as exc:
                delay = self._delay(attempt, exc)
                late = time.monotonic() + delay + _MIN_ATTEMPT > deadline
                if not exc.retryable or attempt == attempts or late:
                    raise
                log.warning("upstream %s: %s; retry %d in %.2fs", path, exc, attempt, delay)
                self._stats.incr("retries")
                self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _delay(self, attempt: int, error: UpstreamError) -> float:
        """Exponential backoff with jitter; a gateway's Retry-After wins when longer."""
        delay = min(_MAX_BACKOFF, self._backoff * 2 ** (attempt - 1))
        delay *= 1 + random.random() / 4  # noqa: S311 - jitter, not security
        if isinstance(error, Throttled) and error.retry_after:
            delay = max(delay, min(error.retry_after, _MAX_BACKOFF))
        return delay

    def _attempt(self, path: str, params: dict[str, str], deadline: float) -> dict:
        """One HTTP request: the JSON object of a 200/666 answer, or an UpstreamError. Every
        wait (connect, each read) ends by the deadline; the body is read at most once more."""
        if self._limiter is not None:
            self._limiter.acquire()
        self._stats.incr("upstream_calls", daily=True)
        started = time.monotonic()
        left = max(0.01, deadline - started)
        timeout = httpx.Timeout(min(self._timeout, left), connect=min(self._timeout, 5.0, left))
        try:
            with self._clients.mine().stream(
                "GET", path, params=params, timeout=timeout
            ) as response:
                if response.status_code == 200:  # billed, even if the body is refused below
                    self._stats.incr("billed_calls")
                body = read_body(response, self._max_body, deadline)
        except httpx.TimeoutException:
            raise UpstreamUnavailable(f"upstream timed out ({path})") from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"network error: {type(exc).__name__}") from None
        request_id = response.headers.get("X-Ca-Request-Id")
        log.info(
            "upstream GET %s kddh=%s -> %s in %.0f ms, request id %s",
            path,
            params.get("kddh", "-"),
            response.status_code,
            (time.monotonic() - started) * 1000,
            request_id,
        )
        return answer_data(response, body)


class ThreadClients:
    """A few HTTP clients, each thread keeping to one of them (assigned in turn)."""

    def __init__(self, count: int, make: Callable[[], httpx.Client]) -> None:
        self.clients = [make() for _ in range(count)]
        self._turn = itertools.count()
        self._local = threading.local()

    def mine(self) -> httpx.Client:
        """The calling thread's client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self.clients[next(self._turn) % len(self.clients)]
            self._local.client = client
        return client

    def close(self) -> None:
        """Close every client's connections."""
        for client in self.clients:
            client.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for all clients (loading the CA bundle takes ~70 ms)."""
    return httpx.create_ssl_context()


def _check_base_url(base_url: str) -> None:
    """HTTPS only: the AppCode is a bearer secret. Plain HTTP is allowed to loopback (tests)."""
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return
    raise ConfigurationError("KUAIDI_API_BASE must be an https:// URL")


def _carrier_rows(data: object) -> list[dict]:
    """Normalise the vendor's carrier rows (`simName`/`Name` casing varies) to plain keys."""
    rows = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        lower = {str(k).lower(): v for k, v in item.items()}
        code = str(lower.get("simname") or "").strip()
        if code:
            rows.append(
                {
                    "code": code,
                    "name": str(lower.get("name") or code).strip(),
                    "phone": str(lower.get("phone") or "").strip(),
                    "url": str(lower.get("url") or "").strip(),
                }
            )
    return rows
