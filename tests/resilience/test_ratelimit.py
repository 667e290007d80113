"""Request and token budgets: shared through real Redis, or per process in memory."""

from __future__ import annotations

import pytest

from compliance_assistant.resilience.ratelimit import (
    NoRateLimit,
    RateLimits,
    SharedRateLimiter,
    create_rate_limiter,
)
from tests.doubles.fixtures import SleepRecorder, unique


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue("redis_url"))


@pytest.mark.anyio
async def test_requests_per_minute(storage_uri: str) -> None:
    limiter = SharedRateLimiter(storage_uri, RateLimits(requests_per_minute=3), name=unique("rpm"))
    try:
        assert [await limiter.try_acquire(10) for _ in range(3)] == [None, None, None]
        wait = await limiter.try_acquire(10)
        assert wait is not None
        assert 0 < wait <= 60
    finally:
        await limiter.reset()
        await limiter.aclose()


@pytest.mark.anyio
async def test_tokens_per_minute_and_a_refusal_spends_nothing(storage_uri: str) -> None:
    limiter = SharedRateLimiter(
        storage_uri, RateLimits(requests_per_minute=10, tokens_per_minute=1000), name=unique("tpm")
    )
    try:
        assert await limiter.try_acquire(700) is None
        assert await limiter.try_acquire(400) is not None  # 1100 > 1000
        assert await limiter.try_acquire(300) is None  # the refused 400 were not spent
        # An estimate above the whole budget is admitted against an empty window only.
        await limiter.reset()
        assert await limiter.try_acquire(5000) is None
        assert await limiter.try_acquire(1) is not None
    finally:
        await limiter.reset()
        await limiter.aclose()


@pytest.mark.anyio
async def test_workers_share_one_budget_through_redis(redis_url: str) -> None:
    name = unique("shared")
    worker_a = SharedRateLimiter(redis_url, RateLimits(requests_per_minute=4), name=name)
    worker_b = SharedRateLimiter(redis_url, RateLimits(requests_per_minute=4), name=name)
    try:
        results = [
            await worker_a.try_acquire(1),
            await worker_b.try_acquire(1),
            await worker_a.try_acquire(1),
            await worker_b.try_acquire(1),
        ]
        assert results == [None] * 4
        assert await worker_a.try_acquire(1) is not None
        assert await worker_b.try_acquire(1) is not None
    finally:
        await worker_a.reset()
        await worker_a.aclose()
        await worker_b.aclose()


@pytest.mark.anyio
async def test_memory_budgets_are_per_process() -> None:
    name = unique("local")
    first = SharedRateLimiter("memory://", RateLimits(requests_per_minute=1), name=name)
    second = SharedRateLimiter("memory://", RateLimits(requests_per_minute=1), name=name)
    assert await first.try_acquire(1) is None
    assert await second.try_acquire(1) is None


@pytest.mark.anyio
async def test_acquire_waits_until_the_window_has_room(storage_uri: str) -> None:
    waits: list[float] = []
    limiter: SharedRateLimiter

    async def window_passes(seconds: float) -> None:
        waits.append(seconds)
        await limiter.reset()

    limiter = SharedRateLimiter(
        storage_uri, RateLimits(requests_per_minute=1), name=unique("wait"), sleep=window_passes
    )
    try:
        await limiter.acquire(1)
        await limiter.acquire(1)
        assert len(waits) == 1
        assert 0 < waits[0] <= 60
    finally:
        await limiter.reset()
        await limiter.aclose()


@pytest.mark.anyio
async def test_an_unreachable_redis_admits_requests() -> None:
    sleep = SleepRecorder()
    # Port 9 (discard) is closed on loopback: every storage call fails at once.
    limiter = SharedRateLimiter(
        "redis://127.0.0.1:9/0", RateLimits(requests_per_minute=1), name=unique("down"), sleep=sleep
    )
    try:
        await limiter.acquire(1)
        await limiter.acquire(1)
        assert sleep.waits == []
    finally:
        await limiter.aclose()


def test_no_limits_configured_means_no_limiter() -> None:
    assert isinstance(create_rate_limiter(None, RateLimits()), NoRateLimit)
    assert isinstance(
        create_rate_limiter(None, RateLimits(requests_per_minute=5)), SharedRateLimiter
    )
    with pytest.raises(ValueError, match="unsupported rate-limit storage"):
        SharedRateLimiter("memcached://x", RateLimits(requests_per_minute=1))
