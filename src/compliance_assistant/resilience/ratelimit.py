"""Requests-per-minute and tokens-per-minute limits, shared by every worker through Redis.

Built on the ``limits`` library's sliding-window counters: with Redis storage all processes
that use the same ``name`` draw from one budget; with memory storage (embedded mode) the budget
is the process's own. A caller asks :meth:`RateLimiter.acquire` before each call with the
tokens it expects to use; it waits until both budgets have room.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from compliance_assistant.resilience.retry import Sleep

logger = logging.getLogger(__name__)

# Never wait less than this between tries: a window that reset "now" may still be full for a
# few milliseconds in another process's view.
_MIN_WAIT = 0.05


class RateLimiter(Protocol):
    async def acquire(self, tokens: int) -> None:
        """Wait until a request using about ``tokens`` tokens may be sent."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class RateLimits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.requests_per_minute is None and self.tokens_per_minute is None


class SharedRateLimiter:
    """Both limits over one storage. ``storage_uri``: ``memory://`` or ``redis://host:port/db``
    (the ``redis.url`` setting).

    A request estimated above the whole token budget is admitted against a full window rather
    than never: the provider decides, and its 429 is retried like any other.
    """

    def __init__(
        self,
        storage_uri: str,
        limits: RateLimits,
        *,
        name: str = "llm",
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self.name = name
        self._sleep = sleep
        self._storage, self._pool = _storage_for(storage_uri)
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        self._items: list[tuple[str, RateLimitItem]] = []
        if limits.requests_per_minute is not None:
            self._items.append(("requests", RateLimitItemPerMinute(limits.requests_per_minute)))
        if limits.tokens_per_minute is not None:
            self._items.append(("tokens", RateLimitItemPerMinute(limits.tokens_per_minute)))

    async def try_acquire(self, tokens: int) -> float | None:
        """Take the budget and return None, or return the seconds to wait before trying again.

        Both windows are tested before either is hit, so a refused request spends nothing.
        """
        costs = {"requests": 1, "tokens": max(1, tokens)}
        for kind, item in self._items:
            cost = min(costs[kind], item.amount)
            if not await self._strategy.test(item, self.name, kind, cost=cost):
                return await self._wait_for(item, kind)
        for kind, item in self._items:
            cost = min(costs[kind], item.amount)
            if not await self._strategy.hit(item, self.name, kind, cost=cost):
                return await self._wait_for(item, kind)
        return None

    async def acquire(self, tokens: int) -> None:
        """Wait for room in both budgets. If the storage (Redis) fails, admit the request:
        the limiter protects the provider's quota, and the provider's own 429s still apply."""
        while True:
            try:
                wait = await self.try_acquire(tokens)
            except Exception as exc:  # any storage failure means "fail open"
                logger.warning("rate-limit storage unavailable, request admitted: %s", exc)
                return
            if wait is None:
                return
            await self._sleep(wait)

    async def reset(self) -> None:
        """Forget the consumed budget (tests, and an operator raising a provider quota)."""
        for kind, item in self._items:
            await self._strategy.clear(item, self.name, kind)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    async def _wait_for(self, item: RateLimitItem, kind: str) -> float:
        stats = await self._strategy.get_window_stats(item, self.name, kind)
        return max(stats.reset_time - time.time(), _MIN_WAIT)


class NoRateLimit:
    """No limit configured: admits every request at once."""

    async def acquire(self, tokens: int) -> None:  # noqa: ARG002 - the protocol's signature
        return None

    async def aclose(self) -> None:
        return None


def create_rate_limiter(
    storage_uri: str | None, limits: RateLimits, *, name: str = "llm", sleep: Sleep = asyncio.sleep
) -> RateLimiter:
    if limits.unlimited:
        return NoRateLimit()
    return SharedRateLimiter(storage_uri or "memory://", limits, name=name, sleep=sleep)


def _storage_for(uri: str) -> tuple[Storage, ConnectionPool | None]:
    """The storage and, for Redis, the connection pool we own (closed by ``aclose``)."""
    if uri.startswith("memory://"):
        return MemoryStorage(), None
    if uri.startswith(("redis://", "rediss://", "unix://")):
        pool = ConnectionPool.from_url(uri)
        storage = RedisStorage(
            f"async+{uri}",
            implementation="redispy",
            key_prefix="compliance-ratelimit",
            # limits types **options as scalars, but passes them to redis-py as they are.
            connection_pool=pool,  # type: ignore[arg-type]
        )
        return storage, pool
    raise ValueError(f"unsupported rate-limit storage '{uri}': use memory:// or redis://")
