"""The token bucket: in process on a fake clock, and shared through the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from tests.gtc.harness import FakeClock, RecordingSleep
from tests.services import free_port

from compliance_assistant.resilience.token_bucket import (
    MemoryTokenBucket,
    RateLimitExceeded,
    RedisTokenBucket,
    acquire,
)

pytestmark = pytest.mark.anyio


async def test_memory_bucket_allows_the_burst_then_the_rate() -> None:
    clock = FakeClock()
    bucket = MemoryTokenBucket(rate=100, burst=200, clock=clock)
    assert [await bucket.take() for _ in range(200)] == [0.0] * 200
    assert await bucket.take() == pytest.approx(0.01)
    clock.advance(0.5)  # 50 tokens back
    assert [await bucket.take() for _ in range(50)] == [0.0] * 50
    assert await bucket.take() > 0
    clock.advance(3600)
    assert [await bucket.take() for _ in range(200)] == [0.0] * 200  # never above the burst
    assert await bucket.take() > 0


async def test_acquire_sleeps_until_a_token_is_free() -> None:
    clock = FakeClock()
    sleep = RecordingSleep(clock)
    bucket = MemoryTokenBucket(rate=10, burst=1, clock=clock)
    assert await acquire(bucket, sleep=sleep) == 0
    waited = await acquire(bucket, sleep=sleep)
    assert waited == pytest.approx(0.1)
    with pytest.raises(RateLimitExceeded):
        await acquire(
            MemoryTokenBucket(rate=0.1, burst=1, clock=clock), sleep=sleep, tokens=2, max_wait=1.0
        )


def test_a_bucket_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        MemoryTokenBucket(rate=0, burst=10)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_redis_bucket_is_shared_between_processes(
    redis_client: aioredis.Redis, redis_key_prefix: str
) -> None:
    first = RedisTokenBucket(
        redis_client, name="shared", rate=1, burst=200, key_prefix=redis_key_prefix
    )
    second = RedisTokenBucket(
        redis_client, name="shared", rate=1, burst=200, key_prefix=redis_key_prefix
    )
    await first.reset()
    granted = [await (first if i % 2 else second).take() for i in range(200)]
    assert granted == [0.0] * 200
    wait = await second.take()
    assert 0 < wait <= 1.0  # one token a second (real time passes between the calls)
    # Time passing is simulated by moving the bucket's last update back 100 seconds.
    updated = float(await redis_client.hget(first.key, "updated"))  # type: ignore[arg-type]
    await redis_client.hset(first.key, "updated", str(updated - 100.0))  # type: ignore[misc]
    assert [await first.take() for _ in range(100)] == [0.0] * 100
    assert await first.take() > 0
    assert 0 < await redis_client.pttl(first.key) <= 201_000  # a full refill, then gone


async def test_redis_bucket_fails_open_when_redis_is_down() -> None:
    client = aioredis.Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    try:
        bucket = RedisTokenBucket(client, name="down", rate=1, burst=1)
        assert await bucket.take() == 0.0
        assert await bucket.take() == 0.0
    finally:
        await client.aclose()
