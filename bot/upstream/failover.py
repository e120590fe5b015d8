"""`FailoverProvider`: several tracking providers in order of preference, one answering.

The first provider that is not resting answers. When it fails for reasons of its own
(unreachable, 5xx, a broken answer, quota used up, credentials refused, throttled) it rests
for a back-off (doubling while it keeps failing) and the next one answers the same question,
so the user sees an ordinary answer. When a provider cannot answer for this number (no
carrier code it knows) the next one is asked without the first counting as failed. An error
about the number itself (invalid, phone tail needed) is the answer: asking another provider
would pay twice to hear the same. When every provider rests, the one whose rest ends first is
tried, so a lookup is never refused without a call.

Counters say which provider answered what and why another was passed over; `health()` gives
each provider's state for /status.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass

from bot.clock import Clock
from bot.tracking import TrackResult
from bot.upstream.base import TrackingProvider, merge_stats
from bot.upstream.errors import BusinessError, NotConfigured, UpstreamError
from bot.upstream.kuaidi100_protocol import UnsupportedCarrier

log = logging.getLogger("bot.upstream")

#: The longest rest, in multiples of the base back-off.
MAX_FACTOR = 16


@dataclass(frozen=True)
class ProviderHealth:
    """One provider as /status shows it."""

    name: str
    answers: int
    failures_in_row: int
    resting_for: float | None  # seconds until it is tried again; None: not resting
    last_error: str


class _State:
    def __init__(self) -> None:
        self.failures = 0
        self.until: float | None = None
        self.last_error = ""


class FailoverProvider:
    """Tracks through `providers` (name, provider) in order; see the module docstring."""

    def __init__(
        self,
        providers: list[tuple[str, TrackingProvider]],
        clock: Clock | None = None,
        *,
        backoff: float = 60.0,
    ) -> None:
        if not providers:
            raise ValueError("at least one provider")
        self.providers = list(providers)
        self._clock = clock or Clock()
        self._backoff = backoff
        self._lock = threading.Lock()
        self._states = {name: _State() for name, _ in self.providers}
        self._answers: Counter[str] = Counter()
        self._passed: Counter[str] = Counter()

    def provider(self, name: str) -> TrackingProvider | None:
        """The provider called `name`, if configured."""
        return dict(self.providers).get(name)

    @property
    def stats(self) -> dict:
        """Every provider's counters summed, plus `answers` {provider: n}, `failovers`
        {provider_reason: n} and `calls_today` {provider: n} (exported to /metrics as
        labelled gauges)."""
        each = {name: provider.stats for name, provider in self.providers}
        merged = merge_stats(*each.values())
        calls = {name: stats.get("upstream_calls_today", 0) for name, stats in each.items()}
        with self._lock:
            return {
                **merged,
                "answers": dict(self._answers),
                "failovers": dict(self._passed),
                "calls_today": calls,
            }

    def health(self) -> list[ProviderHealth]:
        """Each provider's state, in order of preference."""
        now = self._clock.monotonic()
        with self._lock:
            return [
                ProviderHealth(
                    name,
                    self._answers[name],
                    state.failures,
                    state.until - now if state.until is not None and state.until > now else None,
                    state.last_error,
                )
                for name, state in self._states.items()
            ]

    def track(
        self,
        number: str,
        carrier: str | None = None,
        phone_tail: str | None = None,
        *,
        fresh: bool = False,
    ) -> TrackResult:
        """The first usable provider's answer; see the module docstring."""
        first_error: UpstreamError | None = None
        for name, provider in self._order():
            try:
                result = provider.track(number, carrier, phone_tail, fresh=fresh)
            except UnsupportedCarrier as exc:
                self._pass(name, exc, fault=False)
                first_error = first_error or exc
                continue
            except BusinessError:
                raise  # about the number: every provider would say the same
            except UpstreamError as exc:
                self._pass(name, exc, fault=not isinstance(exc, NotConfigured))
                first_error = first_error or exc
                continue
            self._answered(name)
            return result
        assert first_error is not None  # the loop returns or records an error
        raise first_error

    def _order(self) -> list[tuple[str, TrackingProvider]]:
        """Healthy providers in order of preference; if none, the one that rests least."""
        now = self._clock.monotonic()
        with self._lock:
            awake = [
                (n, p) for n, p in self.providers if (self._states[n].until or 0.0) <= now
            ]
            if awake:
                return awake
            return [min(self.providers, key=lambda item: self._states[item[0]].until or 0.0)]

    def _pass(self, name: str, error: UpstreamError, *, fault: bool) -> None:
        with self._lock:
            self._passed[f"{name}_{error.kind}"] += 1
            if not fault:
                return
            state = self._states[name]
            state.failures += 1
            factor = min(MAX_FACTOR, 2 ** (state.failures - 1))
            state.until = self._clock.monotonic() + self._backoff * factor
            state.last_error = error.kind
        log.warning("provider %s failed (%s); resting it", name, error.kind)

    def _answered(self, name: str) -> None:
        with self._lock:
            self._answers[name] += 1
            state = self._states[name]
            if state.failures:
                log.info("provider %s answers again", name)
            state.failures, state.until, state.last_error = 0, None, ""

    def identify(self, number: str) -> list[tuple[str, str]]:
        """The first provider that offers identification."""
        for _name, provider in self.providers:
            try:
                return provider.identify(number)
            except NotConfigured:
                continue
        raise NotConfigured("no provider identifies carriers")

    def carriers(self, page: int = 1, keyword: str = "") -> tuple[list[dict], int]:
        """The first provider that lists carriers."""
        for _name, provider in self.providers:
            try:
                return provider.carriers(page, keyword)
            except NotConfigured:
                continue
        raise NotConfigured("no provider lists carriers")
