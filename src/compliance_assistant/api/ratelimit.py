"""Per-user submission limit (``user:ratelimit:{user}``, one-minute window), on Redis when
configured so every API replica counts together, else in-process.

The limiter fails open: a broken Redis must not stop people from checking articles.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio import ConnectionPool

from compliance_assistant.api.errors import RateLimitedError
from compliance_assistant.config import Settings

logger = logging.getLogger(__name__)


class SubmitRateLimiter:
    def __init__(self, settings: Settings) -> None:
        per_minute = settings.api.submit_rate_per_minute
        self._item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self._pool: ConnectionPool | None = None
        storage: Storage
        if settings.redis.url is not None and self._item is not None:
            self._pool = ConnectionPool.from_url(
                settings.redis.url,
                socket_timeout=settings.redis.socket_timeout_seconds,
                socket_connect_timeout=settings.redis.connect_timeout_seconds,
            )
            storage = RedisStorage(
                f"async+{settings.redis.url}",
                implementation="redispy",
                key_prefix=f"{settings.redis.key_prefix}user:ratelimit",
                connection_pool=self._pool,  # type: ignore[arg-type]  # passed to redis-py
            )
        else:
            storage = MemoryStorage()
        self._strategy = FixedWindowRateLimiter(storage)

    async def check(self, tenant_id: str, user_id: str) -> None:
        """Count one submission; ``RateLimitedError`` (429, Retry-After) when over the limit."""
        if self._item is None:
            return
        try:
            allowed = await self._strategy.hit(self._item, tenant_id, user_id)
            if allowed:
                return
            stats = await self._strategy.get_window_stats(self._item, tenant_id, user_id)
        except Exception as exc:  # any storage failure: admit (see module docstring)
            logger.warning("rate-limit storage unavailable, request admitted: %s", exc)
            return
        retry_after = max(1.0, stats.reset_time - time.time())
        raise RateLimitedError(
            f"More than {self._item.amount} submissions in a minute; retry in "
            f"{int(retry_after)} s.",
            retry_after=retry_after,
            details={"limit_per_minute": self._item.amount},
        )

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()
