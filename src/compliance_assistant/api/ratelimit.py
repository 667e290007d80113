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
from redis.asyncio import ConnectionPool

from compliance_assistant.config import Settings

logger = logging.getLogger(__name__)
# Window ends remembered per counter key (one per user and limit); beyond this, start over.
_MAX_REMEMBERED_WINDOWS = 50_000


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
        # The counting of limits' FixedWindowRateLimiter (same keys), without its three
        # storage round trips per request (incr, get, get_expiry): see :meth:`_count`.
        self._storage = storage
        self._window_ends: dict[str, float] = {}

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
                count, window_end = await self._count(item, group, tenant_id, user_id)
                stats = RateLimitStats(
                    group=group,
                    limit=item.amount,
                    remaining=max(0, item.amount - count),
                    reset_seconds=max(1, int(window_end - time.time() + 0.999)),
                    allowed=count <= item.amount,
                    window=str(item),
                )
                if tightest is None or _tighter(stats, tightest):
                    tightest = stats
                if not stats.allowed:
                    return stats
            return tightest
        except Exception as exc:  # any storage failure: admit (see module docstring)
            logger.warning("rate-limit storage unavailable, request admitted: %s", exc)
            return None

    async def _count(self, item: RateLimitItem, *identifiers: str) -> tuple[int, float]:
        """Count one hit; returns the window's count and when the window ends.

        One storage round trip per request: the count comes back from the increment, and a
        fixed window's end is set by its first hit and never moves, so once read it is
        remembered (every replica reads the same end from the shared storage) until it
        passes.
        """
        key = item.key_for(*identifiers)
        count = await self._storage.incr(key, item.get_expiry(), amount=1)
        now = time.time()
        window_end = self._window_ends.get(key)
        if window_end is None or window_end <= now:
            window_end = await self._storage.get_expiry(key)
            if len(self._window_ends) >= _MAX_REMEMBERED_WINDOWS:
                self._window_ends.clear()
            self._window_ends[key] = window_end
        return count, window_end

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()


def _tighter(first: RateLimitStats, second: RateLimitStats) -> bool:
    return (first.remaining, -first.reset_seconds) < (second.remaining, -second.reset_seconds)


# ``api.deps.ApiState`` names the limiter by its former, submit-only name.
SubmitRateLimiter = RateLimiter
