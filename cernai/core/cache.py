"""The default cache: Redis in front for speed, PostgreSQL for security state, and no 500 when Redis
is down (quality.md T18).

- Keys that guard sign-in (allauth's rate-limit counters and its used-TOTP marks, all named
  ``allauth…``) live in PostgreSQL (the ``durable`` cache, table ``cernai_cache``): a Redis outage
  or restart can neither forget a used code nor reset a counter.
- Everything else (sessions' cached copies, the beat heartbeat) goes to Redis (the ``redis`` cache).
  When Redis cannot be reached, a read is a miss and a write is dropped with a warning; sessions
  then come from PostgreSQL (``cached_db``). A key whose write or delete missed Redis is remembered
  and deleted from Redis as soon as it answers again, so a session changed or ended during the
  outage is not brought back by a stale cached copy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import BaseCache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Bounded: an outage that outlasts this many dropped writes is followed by a full expiry instead.
MAX_STALE_KEYS = 100_000


class ResilientCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self.fast_alias = options.get("FAST", "redis")
        self.durable_alias = options.get("DURABLE", "durable")
        self.durable_prefixes = tuple(options.get("DURABLE_PREFIXES", ("allauth",)))
        self._stale: set[tuple[str, int | None]] = set()
        self._lock = threading.Lock()

    @property
    def fast(self) -> BaseCache:
        return caches[self.fast_alias]

    @property
    def durable(self) -> BaseCache:
        return caches[self.durable_alias]

    def _is_durable(self, key: str) -> bool:
        return key.startswith(self.durable_prefixes)

    def _on_fast(self, call: Callable[[BaseCache], T], default: T, dropped: list[tuple[str, int | None]]) -> T:
        """Run ``call`` on Redis; if Redis cannot answer, log, remember ``dropped`` keys, return ``default``."""
        try:
            self._forget_stale()
            return call(self.fast)
        except (RedisError, OSError) as exc:
            logger.warning("redis unavailable, degraded cache operation: %r", exc)
            with self._lock:
                if len(self._stale) < MAX_STALE_KEYS:
                    self._stale.update(dropped)
            return default

    def _forget_stale(self) -> None:
        if not self._stale:
            return
        with self._lock:
            stale, self._stale = self._stale, set()
        try:
            for key, version in stale:
                self.fast.delete(key, version=version)
        except Exception:
            with self._lock:
                self._stale |= stale
            raise

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        if self._is_durable(key):
            return self.durable.add(key, value, timeout, version)
        return self._on_fast(lambda c: c.add(key, value, timeout, version), False, [(key, version)])

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        if self._is_durable(key):
            return self.durable.get(key, default, version)
        return self._on_fast(lambda c: c.get(key, default, version), default, [])

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        if self._is_durable(key):
            return self.durable.set(key, value, timeout, version)
        return self._on_fast(lambda c: c.set(key, value, timeout, version), None, [(key, version)])

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        if self._is_durable(key):
            return self.durable.touch(key, timeout, version)
        return self._on_fast(lambda c: c.touch(key, timeout, version), False, [(key, version)])

    def delete(self, key: Any, version: int | None = None) -> bool:
        if self._is_durable(key):
            return self.durable.delete(key, version)
        return self._on_fast(lambda c: c.delete(key, version), False, [(key, version)])

    def has_key(self, key: Any, version: int | None = None) -> bool:
        if self._is_durable(key):
            return self.durable.has_key(key, version)
        return self._on_fast(lambda c: c.has_key(key, version), False, [])

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        if self._is_durable(key):
            return self.durable.incr(key, delta, version)
        try:
            self._forget_stale()
            return self.fast.incr(key, delta, version)
        except (RedisError, OSError) as exc:
            # A counter that cannot be read cannot be incremented: say so, as a missing key would.
            raise ValueError(f"Key '{key}' not found (redis unavailable: {exc!r})") from exc

    def clear(self) -> None:
        self.durable.clear()
        self._on_fast(lambda c: c.clear(), None, [])

    def close(self, **kwargs: Any) -> None:
        self._on_fast(lambda c: c.close(**kwargs), None, [])
