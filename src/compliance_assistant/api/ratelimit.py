"""Per-user request limits by route group, counted with the ``limits`` library.

Each group (``submit``, ``read``, ``write``, ``admin``; see ``api.rate_limits``) has its own
budget per user — tenant and user id together. Counts live in Redis when ``redis.url`` is
set (keys ``{prefix}user:ratelimit…``), so every API replica counts together; in-process
otherwise. Fixed windows: one counter per window, cheap to keep in Redis.

The limiter fails open: a broken Redis must not stop people from checking articles; the
failure is logged and the request admitted without rate-limit headers.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio import ConnectionPool

from compliance_assistant.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitStats:
    """The tightest limit of a group after counting one request."""

    group: str
    limit: int
    remaining: int
    reset_seconds: int
    allowed: bool
    window: str  # e.g. "500 per 1 minute"


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self._items: dict[str, list[RateLimitItem]] = {
            group: parse_many(spec) for group, spec in settings.api.rate_limits.items() if spec
        }
        self._pool: ConnectionPool | None = None
        storage: Storage
        if settings.redis.url is not None and self._items:
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

    def limited(self, group: str) -> bool:
        return group in self._items

    async def hit(self, group: str, tenant_id: str, user_id: str) -> RateLimitStats | None:
        """Count one request of ``group``; None when the group is unlimited or the storage
        failed (logged). Every limit of the group is counted; the stats are of the one with
        the fewest requests left."""
        items = self._items.get(group)
        if not items:
            return None
        try:
            tightest: RateLimitStats | None = None
            for item in items:
                allowed = await self._strategy.hit(item, group, tenant_id, user_id)
                window = await self._strategy.get_window_stats(item, group, tenant_id, user_id)
                stats = RateLimitStats(
                    group=group,
                    limit=item.amount,
                    remaining=max(0, window.remaining),
                    reset_seconds=max(1, int(window.reset_time - time.time() + 0.999)),
                    allowed=allowed,
                    window=str(item),
                )
                if tightest is None or _tighter(stats, tightest):
                    tightest = stats
                if not allowed:
                    return stats
            return tightest
        except Exception as exc:  # any storage failure: admit (see module docstring)
            logger.warning("rate-limit storage unavailable, request admitted: %s", exc)
            return None

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()


def _tighter(first: RateLimitStats, second: RateLimitStats) -> bool:
    return (first.remaining, -first.reset_seconds) < (second.remaining, -second.reset_seconds)


# ``api.deps.ApiState`` names the limiter by its former, submit-only name.
SubmitRateLimiter = RateLimiter
