"""Job events over Redis pub/sub and the in-process broadcast."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from compliance_assistant.config import load_settings
from compliance_assistant.engine.ports import CacheUnavailable
from compliance_assistant.storage.cache import redis_client
from compliance_assistant.storage.events import (
    InProcessEventBus,
    JobEventBus,
    RedisEventBus,
    build_event_bus,
    job_events_channel,
)
from tests.services import free_port

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[JobEventBus]:
    if request.param == "memory":
        instance: JobEventBus = InProcessEventBus()
    else:
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_key_prefix")
        instance = RedisEventBus(redis_client(url), key_prefix=prefix)
    yield instance
    await instance.close()


async def test_subscribers_receive_events_in_order(bus: JobEventBus) -> None:
    async with bus.subscribe("job-1") as first, bus.subscribe("job-1") as second:
        async with bus.subscribe("job-2") as unrelated:
            assert await bus.publish("job-1", {"type": "progress", "done": 1}) == 2
            assert await bus.publish("job-1", {"type": "completed"}) == 2
            assert await unrelated.next(timeout=0.1) is None
        for subscription in (first, second):
            assert await subscription.next(timeout=2) == {"type": "progress", "done": 1}
            assert await subscription.next(timeout=2) == {"type": "completed"}
            assert await subscription.next(timeout=0.05) is None


async def test_async_iteration_and_unsubscribe(bus: JobEventBus) -> None:
    received: list[dict[str, object]] = []

    async def consume() -> None:
        async with bus.subscribe("job-3") as subscription:
            ready.set()
            async for event in subscription:
                received.append(event)
                if event["type"] == "completed":
                    return

    ready = asyncio.Event()
    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(ready.wait(), 2)
    await bus.publish("job-3", {"type": "progress", "done": 2, "total": 4})
    await bus.publish("job-3", {"type": "completed", "score": 80})
    await asyncio.wait_for(consumer, 5)
    assert [e["type"] for e in received] == ["progress", "completed"]
    assert await bus.publish("job-3", {"type": "late"}) == 0  # nobody listens any more


async def test_events_must_be_json(bus: JobEventBus) -> None:
    with pytest.raises(TypeError):
        await bus.publish("job-4", {"when": object()})


async def test_slow_in_process_subscriber_keeps_the_newest() -> None:
    bus = InProcessEventBus(queue_size=2)
    async with bus.subscribe("j") as subscription:
        for done in range(5):
            await bus.publish("j", {"type": "progress", "done": done})
        assert await subscription.next(0.1) == {"type": "progress", "done": 3}
        assert await subscription.next(0.1) == {"type": "progress", "done": 4}
    assert bus.subscriber_count("j") == 0


async def test_redis_down_raises_cache_unavailable() -> None:
    bus = RedisEventBus(redis_client(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5))
    try:
        with pytest.raises(CacheUnavailable):
            await bus.publish("j", {"type": "x"})
        with pytest.raises(CacheUnavailable):
            async with bus.subscribe("j"):
                pass
    finally:
        await bus.close()


async def test_build_event_bus_follows_settings(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    embedded = build_event_bus(load_settings(data_dir=tmp_path))
    assert isinstance(embedded, InProcessEventBus)
    production = build_event_bus(load_settings(data_dir=tmp_path, redis={"url": redis_url}))
    assert isinstance(production, RedisEventBus)
    await production.close()
    assert job_events_channel("abc") == "job:events:abc"
