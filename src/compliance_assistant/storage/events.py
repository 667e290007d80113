"""Job events for the SSE endpoint: Redis pub/sub on ``job:events:{id}`` in production, an
in-process broadcast in embedded mode (DESIGN §9).

Events are JSON objects (``{"type": "progress", ...}``); both buses serialise them, so an
event that Redis could not carry fails in embedded mode too. Delivery is at-most-once and
only to subscribers present at publish time: subscribe *first*, then read the status
snapshot, then stream — a late client misses nothing that way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from compliance_assistant.config import Settings
from compliance_assistant.engine.ports import CacheUnavailable
from compliance_assistant.storage.cache import redis_client

Event = dict[str, Any]
_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)
_POLL_SECONDS = 0.5


def job_events_channel(job_id: str) -> str:
    return f"job:events:{job_id}"


def _encode(event: Mapping[str, Any]) -> str:
    return json.dumps(dict(event), separators=(",", ":"), ensure_ascii=False)


class Subscription(Protocol):
    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when ``timeout`` seconds pass without one (the SSE
        endpoint sends a keep-alive then)."""
        ...

    def __aiter__(self) -> AsyncIterator[Event]: ...


class JobEventBus(Protocol):
    async def publish(self, job_id: str, event: Mapping[str, Any]) -> int:
        """Send to current subscribers; returns how many received it (Redis: per process)."""
        ...

    def subscribe(self, job_id: str) -> AbstractAsyncContextManager[Subscription]:
        """Subscribed when the context is entered, unsubscribed when it exits."""
        ...

    async def close(self) -> None: ...


class _QueueSubscription:
    def __init__(self, queue: asyncio.Queue[Event]) -> None:
        self._queue = queue

    async def next(self, timeout: float | None = None) -> Event | None:
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self._queue.get()


class InProcessEventBus:
    """Broadcast within one event loop. A subscriber that falls ``queue_size`` events behind
    loses the oldest ones: the newest status is what a progress display needs."""

    def __init__(self, *, queue_size: int = 256) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = {}

    async def publish(self, job_id: str, event: Mapping[str, Any]) -> int:
        payload = _encode(event)
        queues = list(self._subscribers.get(job_id, ()))
        for queue in queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(json.loads(payload))
        return len(queues)

    @asynccontextmanager
    async def _subscription(self, job_id: str) -> AsyncIterator[Subscription]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subscribers.setdefault(job_id, set()).add(queue)
        try:
            yield _QueueSubscription(queue)
        finally:
            queues = self._subscribers.get(job_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[job_id]

    def subscribe(self, job_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self._subscription(job_id)

    def subscriber_count(self, job_id: str) -> int:
        return len(self._subscribers.get(job_id, ()))

    async def close(self) -> None:
        self._subscribers.clear()


class _RedisSubscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, timeout: float | None = None) -> Event | None:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            # Always a finite wait: with None, redis-py falls back to the socket timeout and
            # an idle channel would look like a dead server.
            wait = _POLL_SECONDS if deadline is None else max(0.0, deadline - loop.time())
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=wait
                )
            except _UNAVAILABLE as exc:
                raise CacheUnavailable(f"redis pub/sub failed: {exc}") from exc
            if message is not None and message.get("type") == "message":
                decoded: Event = json.loads(message["data"])
                return decoded
            if deadline is not None and loop.time() >= deadline:
                return None

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            event = await self.next(None)
            if event is not None:
                yield event


async def _close(pubsub: PubSub) -> None:
    await pubsub.aclose()


class RedisEventBus:
    """Pub/sub on Redis channels ``{key_prefix}job:events:{id}``."""

    def __init__(
        self, client: aioredis.Redis, *, key_prefix: str = "", subscribe_timeout: float = 2.0
    ) -> None:
        self.client = client
        self.key_prefix = key_prefix
        self._subscribe_timeout = subscribe_timeout

    def _channel(self, job_id: str) -> str:
        return self.key_prefix + job_events_channel(job_id)

    async def publish(self, job_id: str, event: Mapping[str, Any]) -> int:
        try:
            return int(await self.client.publish(self._channel(job_id), _encode(event)))
        except _UNAVAILABLE as exc:
            raise CacheUnavailable(f"redis publish failed: {exc}") from exc

    @asynccontextmanager
    async def _subscription(self, job_id: str) -> AsyncIterator[Subscription]:
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(self._channel(job_id))
            # Wait for the server's confirmation, so events published after this returns
            # are certain to reach us.
            confirmed = await pubsub.get_message(timeout=self._subscribe_timeout)
            if confirmed is None or confirmed.get("type") != "subscribe":
                raise CacheUnavailable("redis did not confirm the subscription")
        except _UNAVAILABLE as exc:
            await _close(pubsub)
            raise CacheUnavailable(f"redis subscribe failed: {exc}") from exc
        except BaseException:
            await _close(pubsub)
            raise
        try:
            yield _RedisSubscription(pubsub)
        finally:
            # If the connection is gone, closing below is all that is left to do.
            with contextlib.suppress(*_UNAVAILABLE):
                await pubsub.unsubscribe()
            await _close(pubsub)

    def subscribe(self, job_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self._subscription(job_id)

    async def close(self) -> None:
        await self.client.aclose()


def build_event_bus(settings: Settings) -> JobEventBus:
    """Redis pub/sub when ``redis.url`` is set, else the in-process broadcast."""
    if settings.redis.url is None:
        return InProcessEventBus()
    client = redis_client(
        settings.redis.url,
        socket_timeout=settings.redis.socket_timeout_seconds,
        connect_timeout=settings.redis.connect_timeout_seconds,
    )
    return RedisEventBus(client, key_prefix=settings.redis.key_prefix)
