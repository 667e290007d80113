"""The in-process TTL cache (the Cache port in embedded mode), on a fake clock."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.ports import Cache
from compliance_assistant.storage.memory_cache import MemoryCache
from tests.doubles.clock import FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_values_expire_after_their_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    assert isinstance(cache, Cache)
    await cache.set("k", b"v", 10)
    assert await cache.get("k") == b"v"
    clock.advance(9.9)
    assert await cache.get("k") == b"v"
    clock.advance(0.1)
    assert await cache.get("k") is None
    assert len(cache) == 0


@pytest.mark.anyio
async def test_delete_and_zero_ttl() -> None:
    cache = MemoryCache(clock=FakeClock())
    await cache.set("a", b"1", 60)
    await cache.set("b", b"2", 60)
    assert await cache.delete("a", "missing") == 1
    await cache.set("b", b"3", 0)
    assert await cache.get("a") is None
    assert await cache.get("b") is None


@pytest.mark.anyio
async def test_bounded_size_drops_the_entries_closest_to_expiry() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock, max_entries=3)
    await cache.set("short", b"s", 5)
    await cache.set("long", b"l", 500)
    await cache.set("mid", b"m", 50)
    await cache.set("new", b"n", 100)
    assert len(cache) == 3
    assert await cache.get("short") is None
    assert [await cache.get(k) for k in ("long", "mid", "new")] == [b"l", b"m", b"n"]
