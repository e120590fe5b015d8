"""Token buckets for outbound rate limits, in process or in Redis.

A send takes one token from every bucket that applies to it (the chat's or group's, and the
app's), all or none: `acquire` returns 0 when it took them, or the seconds until it could.
The sender then reschedules the row instead of sleeping, so one slow chat blocks nobody.
Time comes from the injected clock (Redis gets it as an argument), so tests need no sleeps.
When Redis cannot be reached, its buckets give way to this process's own for a while: sends
go on under per-process limits instead of failing row after row until Redis is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.clock import Clock
from bot.models import Target
from bot.runtime.ports import RateLimit, SendLimits

log = logging.getLogger(__name__)

BucketRequest = tuple[str, RateLimit]
#: Seconds the Redis buckets are left alone after Redis could not be reached.
REDIS_PAUSE_SECONDS = 30.0


class Buckets(Protocol):
    """Take one token from each named bucket, atomically."""

    def acquire(self, requests: Sequence[BucketRequest]) -> float:
        """0.0 when a token was taken from every bucket; else seconds to wait (none taken)."""
        ...


def buckets_for(target: Target, limits: SendLimits) -> list[BucketRequest]:
    """The buckets a send to `target` draws from."""
    if target.is_group:
        chat = (f"{target.platform}:group:{target.chat_id}", limits.per_group)
    else:
        chat = (f"{target.platform}:chat:{target.chat_id}", limits.per_chat)
    return [chat, (f"{target.platform}:app", limits.overall)]


class LocalBuckets:
    """Buckets in this process's memory (one process, or per-process limits)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}  # name -> (tokens, at)

    def acquire(self, requests: Sequence[BucketRequest]) -> float:
        """See `Buckets.acquire`."""
        now = self.clock.now().timestamp()
        with self._lock:
            levels = {name: self._level(name, limit, now) for name, limit in requests}
            wait = max(
                (_wait_for_one(levels[name], limit) for name, limit in requests), default=0.0
            )
            if wait > 0:
                return wait
            for name, _limit in requests:
                self._state[name] = (levels[name] - 1.0, now)
            return 0.0

    def _level(self, name: str, limit: RateLimit, now: float) -> float:
        tokens, at = self._state.get(name, (float(limit.count), now))
        refill = (now - at) * limit.count / limit.seconds
        return min(float(limit.count), tokens + max(0.0, refill))


def _wait_for_one(tokens: float, limit: RateLimit) -> float:
    if tokens >= 1.0:
        return 0.0
    return (1.0 - tokens) * limit.seconds / limit.count


# KEYS: bucket keys. ARGV: now, then count and seconds per key. Returns the wait in
# milliseconds as a string (0 = taken). State per key: hash {tokens, at}.
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local levels = {}
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(ARGV[2 * i])
  local seconds = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or count
  local at = tonumber(state[2]) or now
  local level = math.min(count, tokens + math.max(0, (now - at) * count / seconds))
  levels[i] = level
  if level < 1 then
    wait = math.max(wait, (1 - level) * seconds / count)
  end
end
if wait > 0 then
  return tostring(wait)
end
for i, key in ipairs(KEYS) do
  local seconds = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', key, 'tokens', tostring(levels[i] - 1), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(seconds * 2000))
end
return '0'
"""


class RedisBuckets:
    """Buckets in Redis, shared by every process; one Lua script keeps them atomic."""

    def __init__(self, client, clock: Clock, prefix: str = "kuaidi:") -> None:
        self.client = client
        self.clock = clock
        self.prefix = prefix
        self._script = client.register_script(_ACQUIRE_LUA)
        self._local = LocalBuckets(clock)  # while Redis is unreachable
        self._paused_until = float("-inf")

    def acquire(self, requests: Sequence[BucketRequest]) -> float:
        """See `Buckets.acquire`; this process's own buckets while Redis is unreachable."""
        if not requests:
            return 0.0
        if self.clock.monotonic() < self._paused_until:
            return self._local.acquire(requests)
        keys = [f"{self.prefix}bucket:{name}" for name, _ in requests]
        args: list[str] = [repr(self.clock.now().timestamp())]
        for _name, limit in requests:
            args += [str(limit.count), repr(float(limit.seconds))]
        try:
            return float(self._script(keys=keys, args=args))
        except (RedisConnectionError, RedisTimeoutError) as exc:
            self._paused_until = self.clock.monotonic() + REDIS_PAUSE_SECONDS
            log.warning(
                "redis send buckets unreachable (%s); per-process limits for %.0fs",
                type(exc).__name__,
                REDIS_PAUSE_SECONDS,
            )
            return self._local.acquire(requests)
