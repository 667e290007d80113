"""Token buckets for burst limits: ``rate`` tokens per second, at most ``burst`` in the bucket.

:class:`RedisTokenBucket` shares one bucket between every process through a Lua script that
refills and takes tokens atomically on the Redis server's clock (so hosts with skewed clocks
agree). :class:`MemoryTokenBucket` is the same algorithm in one process (embedded mode), on an
injected clock. Both answer :meth:`take` with the seconds to wait (0 when granted) and never
sleep themselves; :func:`acquire` waits with an injected sleep.

DESIGN §5 allows this one hand-written limiter: the ``limits`` library counts windows, it has
no token bucket, and a burst allowance is what an API quota of "100/s, burst 200" describes.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from compliance_assistant.engine.ports import Clock
from compliance_assistant.resilience.clock import SystemClock

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
_EPSILON = 1e-9
# Never wait less than this: shorter sleeps cost more than they save.
_MIN_WAIT = 0.001


class TokenBucket(Protocol):
    async def take(self, tokens: float = 1.0) -> float:
        """Take ``tokens`` and return 0, or take nothing and return the seconds until they
        would be available."""
        ...


class RateLimitExceeded(Exception):
    """Waiting for the bucket would take longer than the caller allows."""

    def __init__(self, name: str, wait: float) -> None:
        super().__init__(f"{name}: rate limit reached; next request possible in {wait:.2f} s")
        self.name = name
        self.wait = wait


@dataclass
class MemoryTokenBucket:
    """A process-local bucket. Not thread-safe: one bucket per event loop."""

    rate: float
    burst: float
    clock: Clock = field(default_factory=SystemClock)
    _tokens: float | None = None
    _updated: float = 0.0

    def __post_init__(self) -> None:
        _check(self.rate, self.burst)

    async def take(self, tokens: float = 1.0) -> float:
        now = self.clock.monotonic()
        available = (
            self.burst
            if self._tokens is None
            else min(self.burst, self._tokens + max(0.0, now - self._updated) * self.rate)
        )
        self._updated = now
        # A hair of tolerance: refills computed from float clock differences land a rounding
        # error short of a whole token, which would otherwise ask for a wait of 1e-16 s.
        if available >= tokens - _EPSILON:
            self._tokens = max(0.0, available - tokens)
            return 0.0
        self._tokens = available
        return (tokens - available) / self.rate


# KEYS[1] bucket hash; ARGV rate, burst, tokens. Returns the wait as a string: Lua numbers
# become integers on the way out of a script, which would round 0.004 s down to 0.
_TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisTokenBucket:
    """One bucket per ``name`` shared through Redis (key ``{key_prefix}tokenbucket:{name}``).

    When Redis cannot be reached the request is admitted (fail open) and a warning logged:
    the limiter protects a quota, and the service's own 429 answers still apply.
    """

    def __init__(
        self, client: aioredis.Redis, *, name: str, rate: float, burst: float, key_prefix: str = ""
    ) -> None:
        _check(rate, burst)
        self.rate = rate
        self.burst = burst
        self.key = f"{key_prefix}tokenbucket:{name}"
        self._client = client
        self._script = client.register_script(_TAKE_SCRIPT)

    async def take(self, tokens: float = 1.0) -> float:
        try:
            raw = await self._script(keys=[self.key], args=[self.rate, self.burst, tokens])
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning("token bucket %s unavailable, request admitted: %s", self.key, exc)
            return 0.0
        return float(raw.decode() if isinstance(raw, bytes) else raw)

    async def reset(self) -> None:
        """Refill the bucket (tests, and an operator after raising a quota)."""
        await self._client.delete(self.key)


async def acquire(
    bucket: TokenBucket,
    *,
    sleep: Sleep = asyncio.sleep,
    tokens: float = 1.0,
    max_wait: float = 5.0,
    name: str = "token bucket",
) -> float:
    """Wait (with ``sleep``) until ``tokens`` are taken; return the total seconds waited.

    Raises :class:`RateLimitExceeded` instead of waiting longer than ``max_wait`` in total.
    """
    waited = 0.0
    while True:
        wait = await bucket.take(tokens)
        if wait <= 0:
            return waited
        if waited + wait > max_wait:
            raise RateLimitExceeded(name, wait)
        wait = max(wait, _MIN_WAIT)
        await sleep(wait)
        waited += wait


def _check(rate: float, burst: float) -> None:
    if not (rate > 0 and math.isfinite(rate)) or burst < 1:
        raise ValueError(f"a token bucket needs rate > 0 and burst >= 1 (got {rate}, {burst})")
