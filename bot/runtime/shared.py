"""State shared by every process: platform access tokens and rate-limit buckets.

With `REDIS_URL` both live in Redis. Without it, buckets are in process and tokens are kept
in the database (`runtime_shared_tokens`), so the web process and workers still agree on one
token. Either way one process refreshes a token, under a lock that expires if it dies, and
the others wait for its result instead of fetching their own (WeCom and Feishu invalidate
the previous token when a new one is fetched, so parallel refreshes knock each other out).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from bot.clock import Clock
from bot.runtime.ports import TokenCache
from bot.runtime.schema import shared_tokens
from bot.runtime.send_buckets import Buckets, LocalBuckets, RedisBuckets
from bot.storage.db import Database
from bot.storage.sql import insert_ignore

log = logging.getLogger(__name__)

Fetch = Callable[[], tuple[str, float]]

#: How long a refresher may hold the lock before another process may take over.
LOCK_SECONDS = 30.0
#: How long `get` waits for another process's refresh before giving up.
WAIT_SECONDS = 35.0
POLL_SECONDS = 0.02


class TokenUnavailable(RuntimeError):
    """No token could be had within the wait (the refreshing process is stuck)."""


def refresh_margin(expires_in: float) -> float:
    """Refresh this long before expiry: a tenth of the lifetime, at most five minutes."""
    return min(300.0, max(0.0, expires_in) * 0.1)


@dataclass
class SharedState:
    """What the runtime and the adapters share between processes."""

    tokens: TokenCache
    buckets: Buckets

    @classmethod
    def create(cls, db: Database, clock: Clock, redis_url: str | None, prefix: str = "kuaidi:"):
        """Redis-backed when `redis_url` is set, else database tokens and local buckets."""
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url, decode_responses=True)
            return cls(RedisTokenCache(client, clock, prefix), RedisBuckets(client, clock, prefix))
        return cls(DbTokenCache(db, clock), LocalBuckets(clock))


class _Waiting:
    """The wait loop both caches use while another process refreshes."""

    @staticmethod
    def until(read: Callable[[], str | None], try_lock: Callable[[], str | None]) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            token = read() or try_lock()
            if token:
                return token
            time.sleep(POLL_SECONDS)
        raise TokenUnavailable("timed out waiting for another process to refresh a token")


class RedisTokenCache:
    """`TokenCache` in Redis: `{prefix}token:{name}` holds the token, a SET NX key the lock."""

    # Delete a key only if it still holds the given value (lock release, token drop).
    _RELEASE = (
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"
    )

    def __init__(self, client, clock: Clock, prefix: str = "kuaidi:") -> None:
        self.client = client
        self.clock = clock
        self.prefix = prefix
        self._release = client.register_script(self._RELEASE)

    def get(self, name: str, fetch: Fetch) -> str:
        """See `TokenCache.get`."""
        return self._read(name) or _Waiting.until(
            lambda: self._read(name), lambda: self._refresh_if_locked(name, fetch)
        )

    def invalidate(self, name: str, bad_token: str) -> None:
        """See `TokenCache.invalidate`."""
        key = self._key(name)
        raw = self.client.get(key)
        if raw and json.loads(raw)["token"] == bad_token:
            self._release(keys=[key], args=[raw])

    def _key(self, name: str) -> str:
        return f"{self.prefix}token:{name}"

    def _read(self, name: str) -> str | None:
        raw = self.client.get(self._key(name))
        if not raw:
            return None
        data = json.loads(raw)
        if self.clock.now().timestamp() >= data["refresh_at"]:
            return None
        return data["token"]

    def _refresh_if_locked(self, name: str, fetch: Fetch) -> str | None:
        lock_key, owner = f"{self.prefix}token-lock:{name}", str(uuid.uuid4())
        if not self.client.set(lock_key, owner, nx=True, px=int(LOCK_SECONDS * 1000)):
            return None
        try:
            token = self._read(name)  # someone may have refreshed between our read and lock
            if token:
                return token
            token, expires_in = fetch()
            now = self.clock.now().timestamp()
            data = {"token": token, "refresh_at": now + expires_in - refresh_margin(expires_in)}
            self.client.set(self._key(name), json.dumps(data), ex=max(1, int(expires_in)))
            log.info("refreshed shared token %s", name)
            return token
        finally:
            self._release(keys=[lock_key], args=[owner])


class DbTokenCache:
    """`TokenCache` in the database: a conditional UPDATE on the row is the lock."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, name: str, fetch: Fetch) -> str:
        """See `TokenCache.get`."""
        return self._read(name) or _Waiting.until(
            lambda: self._read(name), lambda: self._refresh_if_locked(name, fetch)
        )

    def invalidate(self, name: str, bad_token: str) -> None:
        """See `TokenCache.invalidate`."""
        stmt = (
            update(shared_tokens)
            .where(shared_tokens.c.name == name, shared_tokens.c.token == bad_token)
            .values(token=None, expires_at=None)
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    def _read(self, name: str) -> str | None:
        query = select(shared_tokens.c.token, shared_tokens.c.expires_at).where(
            shared_tokens.c.name == name
        )
        with self.db.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.token is None or row.expires_at is None:
            return None
        return row.token if self.clock.now() < row.expires_at else None

    def _refresh_if_locked(self, name: str, fetch: Fetch) -> str | None:
        owner, now = str(uuid.uuid4()), self.clock.now()
        if not self._lock(name, owner, now):
            return None
        try:
            token = self._read(name)
            if token:
                return token
            token, expires_in = fetch()
            self._store(name, owner, token, expires_in)
            log.info("refreshed shared token %s", name)
            return token
        finally:
            self._unlock(name, owner)

    def _lock(self, name: str, owner: str, now: datetime) -> bool:
        until = now + timedelta(seconds=LOCK_SECONDS)
        free = or_(shared_tokens.c.lock_until.is_(None), shared_tokens.c.lock_until < now)
        with self.db.engine.begin() as conn:
            insert_ignore(conn, shared_tokens, {"name": name})
            stmt = (
                update(shared_tokens)
                .where(shared_tokens.c.name == name, free)
                .values(lock_owner=owner, lock_until=until)
            )
            return conn.execute(stmt).rowcount == 1

    def _store(self, name: str, owner: str, token: str, expires_in: float) -> None:
        # `expires_at` here is the refresh time: expiry minus the safety margin.
        refresh_at = self.clock.now() + timedelta(seconds=expires_in - refresh_margin(expires_in))
        stmt = (
            update(shared_tokens)
            .where(shared_tokens.c.name == name, shared_tokens.c.lock_owner == owner)
            .values(token=token, expires_at=refresh_at)
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)

    def _unlock(self, name: str, owner: str) -> None:
        stmt = (
            update(shared_tokens)
            .where(shared_tokens.c.name == name, shared_tokens.c.lock_owner == owner)
            .values(lock_owner=None, lock_until=None)
        )
        with self.db.engine.begin() as conn:
            conn.execute(stmt)
