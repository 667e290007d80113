"""Cache adapters (real Redis and in-process) and the DESIGN §6 key scheme."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from compliance_assistant.config import load_settings
from compliance_assistant.engine.ports import Cache, CacheUnavailable
from compliance_assistant.storage import cache as keys
from compliance_assistant.storage.cache import (
    RedisCache,
    build_cache,
    cache_health,
    close_cache,
    redis_client,
)
from compliance_assistant.storage.memory_cache import MemoryCache
from tests.services import free_port

pytestmark = pytest.mark.anyio


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t


@pytest.fixture
async def redis_cache(redis_url: str, redis_key_prefix: str) -> AsyncIterator[RedisCache]:
    cache = RedisCache(redis_client(redis_url), key_prefix=redis_key_prefix)
    yield cache
    await cache.close()


def test_key_scheme_and_ttls() -> None:
    assert keys.job_status("j1") == keys.CacheSlot("job:status:j1", 300)
    assert keys.job_result("j1") == keys.CacheSlot("job:result:j1", 900)
    assert keys.user_ratelimit("u1") == keys.CacheSlot("user:ratelimit:u1", 60)
    assert keys.article_hash("t1", "ab" * 32) == keys.CacheSlot(
        f"article:hash:t1:{'ab' * 32}", 3600
    )
    assert keys.gtc_location("gtc-9") == keys.CacheSlot("gtc:location:gtc-9", 86400)
    slot = keys.gtc_metadata("t1", "savings fees", {"product_id": "p1", "lang": "en"})
    material = json.dumps(
        ["t1", "savings fees", {"lang": "en", "product_id": "p1"}], separators=(",", ":")
    )
    assert slot == keys.CacheSlot(
        f"gtc:metadata:{hashlib.sha256(material.encode()).hexdigest()}", 3600
    )
    # Filter order does not matter; tenant, query and filters all do.
    assert slot == keys.gtc_metadata("t1", "savings fees", {"lang": "en", "product_id": "p1"})
    assert slot != keys.gtc_metadata("t2", "savings fees", {"product_id": "p1", "lang": "en"})
    assert slot != keys.gtc_metadata("t1", "savings fees")
    assert keys.job_keys("j1") == ("job:status:j1", "job:result:j1")


async def test_redis_round_trip_ttl_and_prefix(
    redis_cache: RedisCache, redis_url: str, redis_key_prefix: str
) -> None:
    slot = keys.job_status("cache-test")
    await redis_cache.set(slot.key, b"\x00queued", slot.ttl)
    assert await redis_cache.get(slot.key) == b"\x00queued"
    remaining = await redis_cache.ttl(slot.key)
    assert remaining is not None
    assert 299 < remaining <= 300
    # Stored under the prefix, so environments (and test sessions) never collide.
    raw = redis_client(redis_url)
    try:
        assert await raw.get(redis_key_prefix + slot.key) == b"\x00queued"
        assert await raw.get(slot.key) is None
    finally:
        await raw.aclose()
    assert await redis_cache.delete(slot.key, "missing") == 1
    assert await redis_cache.get(slot.key) is None
    assert await redis_cache.ttl(slot.key) is None
    assert await redis_cache.delete() == 0


async def test_redis_non_positive_ttl_deletes(redis_cache: RedisCache) -> None:
    await redis_cache.set("k", b"v", 60)
    await redis_cache.set("k", b"v2", 0)
    assert await redis_cache.get("k") is None


async def test_redis_health_ok(redis_cache: RedisCache) -> None:
    health = await cache_health(redis_cache)
    assert (health.status, health.backend) == ("ok", "redis")
    assert health.latency_ms is not None


async def test_redis_down_raises_cache_unavailable() -> None:
    cache = RedisCache(redis_client(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5))
    try:
        with pytest.raises(CacheUnavailable):
            await cache.get("k")
        with pytest.raises(CacheUnavailable):
            await cache.set("k", b"v", 10)
        with pytest.raises(CacheUnavailable):
            await cache.delete("k")
        health = await cache.health()
        assert health.status == "degraded"
        assert health.detail
    finally:
        await cache.close()


async def test_in_process_cache_expires_on_the_injected_clock() -> None:
    clock = FakeClock()
    cache: Cache = MemoryCache(clock=clock)
    slot = keys.job_result("j1")
    await cache.set(slot.key, b"result", slot.ttl)
    clock.t += slot.ttl - 1
    assert await cache.get(slot.key) == b"result"
    clock.t += 1
    assert await cache.get(slot.key) is None
    assert (await cache_health(cache)).status == "ok"


async def test_build_cache_follows_settings(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    embedded = build_cache(load_settings(data_dir=tmp_path), clock=FakeClock())
    assert isinstance(embedded, MemoryCache)
    await close_cache(embedded)
    production = build_cache(
        load_settings(data_dir=tmp_path, redis={"url": redis_url, "key_prefix": "x:"})
    )
    assert isinstance(production, RedisCache)
    assert production.key_prefix == "x:"
    assert (await production.health()).status == "ok"
    await close_cache(production)
