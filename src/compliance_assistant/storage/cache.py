"""Cache adapters behind the engine's ``Cache`` port, and the cache key scheme (DESIGN §6).

Production uses Redis (:class:`RedisCache`); embedded mode the in-process ``MemoryCache``.
Cached values are derived data: every Redis failure surfaces as ``CacheUnavailable`` and
callers carry on without the cache.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from compliance_assistant.config import RedisSettings, Settings
from compliance_assistant.engine.ports import Cache, CacheUnavailable, Clock
from compliance_assistant.storage.memory_cache import MemoryCache

# TTLs of DESIGN §6, in seconds.
JOB_STATUS_TTL = 5 * 60
JOB_RESULT_TTL = 15 * 60
USER_RATELIMIT_TTL = 60
ARTICLE_HASH_TTL = 60 * 60
GTC_METADATA_TTL = 60 * 60
GTC_LOCATION_TTL = 24 * 60 * 60


@dataclass(frozen=True)
class CacheSlot:
    """A key and the TTL that goes with it: ``await cache.set(slot.key, v, slot.ttl)``."""

    key: str
    ttl: float


def job_status(job_id: str) -> CacheSlot:
    return CacheSlot(f"job:status:{job_id}", JOB_STATUS_TTL)


def job_result(job_id: str) -> CacheSlot:
    return CacheSlot(f"job:result:{job_id}", JOB_RESULT_TTL)


def user_ratelimit(user_id: str) -> CacheSlot:
    return CacheSlot(f"user:ratelimit:{user_id}", USER_RATELIMIT_TTL)


def article_hash(tenant_id: str, sha256: str) -> CacheSlot:
    """Duplicate detection: the tenant is part of the key, so tenants never share hits."""
    return CacheSlot(f"article:hash:{tenant_id}:{sha256}", ARTICLE_HASH_TTL)


def gtc_metadata(tenant_id: str, query: str, filters: Mapping[str, Any] | None = None) -> CacheSlot:
    """GTC search results, keyed by sha256 of (tenant, query, filters) (DESIGN §9)."""
    material = json.dumps(
        [tenant_id, query, dict(filters or {})],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
    return CacheSlot(f"gtc:metadata:{digest}", GTC_METADATA_TTL)


def gtc_location(gtc_id: str) -> CacheSlot:
    return CacheSlot(f"gtc:location:{gtc_id}", GTC_LOCATION_TTL)


def job_keys(job_id: str) -> tuple[str, str]:
    """Every cached key of a job (what the admin "clear job cache" endpoint deletes)."""
    return job_status(job_id).key, job_result(job_id).key


@dataclass(frozen=True)
class CacheHealth:
    status: Literal["ok", "degraded"]
    backend: Literal["redis", "memory"]
    detail: str | None = None
    latency_ms: float | None = None


# Transport failures, and the server refusing work it cannot do right now. Anything else
# (e.g. a wrong-type reply) is a bug and propagates.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    TimeoutError,
)


def redis_client(
    url: str, *, socket_timeout: float = 1.0, connect_timeout: float = 1.0
) -> aioredis.Redis:
    """A pooled asyncio client that fails fast: one quick retry, then ``CacheUnavailable``
    upstream — a cache that makes requests wait for it is worse than none."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=1),
        health_check_interval=30,
    )


class RedisCache:
    """The ``Cache`` port on Redis. ``key_prefix`` namespaces an environment's keys."""

    def __init__(self, client: aioredis.Redis, *, key_prefix: str = "") -> None:
        self.client = client
        self.key_prefix = key_prefix

    @classmethod
    def from_settings(cls, settings: RedisSettings) -> RedisCache:
        if settings.url is None:
            raise ValueError("redis.url is not set")
        client = redis_client(
            settings.url,
            socket_timeout=settings.socket_timeout_seconds,
            connect_timeout=settings.connect_timeout_seconds,
        )
        return cls(client, key_prefix=settings.key_prefix)

    def _key(self, key: str) -> str:
        return self.key_prefix + key

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self.client.get(self._key(key))
        except _UNAVAILABLE as exc:
            raise CacheUnavailable(f"redis get failed: {exc}") from exc
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Store with a TTL (millisecond precision); a TTL ≤ 0 deletes, like MemoryCache."""
        milliseconds = int(ttl_seconds * 1000)
        try:
            if milliseconds <= 0:
                await self.client.delete(self._key(key))
            else:
                await self.client.set(self._key(key), value, px=milliseconds)
        except _UNAVAILABLE as exc:
            raise CacheUnavailable(f"redis set failed: {exc}") from exc

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        try:
            return int(await self.client.delete(*(self._key(k) for k in keys)))
        except _UNAVAILABLE as exc:
            raise CacheUnavailable(f"redis delete failed: {exc}") from exc

    async def ttl(self, key: str) -> float | None:
        """Remaining lifetime in seconds; None when the key is missing or has no TTL."""
        try:
            milliseconds = int(await self.client.pttl(self._key(key)))
        except _UNAVAILABLE as exc:
            raise CacheUnavailable(f"redis pttl failed: {exc}") from exc
        return milliseconds / 1000 if milliseconds >= 0 else None

    async def health(self) -> CacheHealth:
        """``ok`` when a PING answers, ``degraded`` (with the reason) otherwise; never raises
        for an unreachable server, since the application runs on without its cache."""
        started = time.perf_counter()
        try:
            await self.client.ping()
        except (RedisError, OSError, TimeoutError) as exc:
            return CacheHealth(status="degraded", backend="redis", detail=str(exc))
        latency = (time.perf_counter() - started) * 1000
        return CacheHealth(status="ok", backend="redis", latency_ms=round(latency, 3))

    async def close(self) -> None:
        await self.client.aclose()


async def cache_health(cache: Cache) -> CacheHealth:
    """Health of any cache adapter; the in-process cache is always ``ok``."""
    if isinstance(cache, RedisCache):
        return await cache.health()
    return CacheHealth(status="ok", backend="memory")


def build_cache(settings: Settings, *, clock: Clock | None = None) -> Cache:
    """Redis when ``redis.url`` is set, else the in-process cache (embedded mode)."""
    if settings.redis.url is not None:
        return RedisCache.from_settings(settings.redis)
    return MemoryCache(clock=clock)


async def close_cache(cache: Cache) -> None:
    if isinstance(cache, RedisCache):
        await cache.close()
