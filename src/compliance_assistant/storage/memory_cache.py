"""In-process TTL cache: the ``Cache`` port in embedded mode (Redis takes its place in
production). Bounded: past ``max_entries`` the entries closest to expiry go first."""

from __future__ import annotations

import heapq

from compliance_assistant.engine.ports import Clock
from compliance_assistant.resilience.clock import SystemClock


class MemoryCache:
    """A dict with per-entry deadlines on the injected clock's monotonic time.

    Safe for one event loop: every method completes without awaiting, so no two coroutines
    interleave inside one.
    """

    def __init__(self, *, clock: Clock | None = None, max_entries: int = 10_000) -> None:
        self._clock = clock or SystemClock()
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, bytes]] = {}

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        deadline, value = entry
        if deadline <= self._clock.monotonic():
            del self._entries[key]
            return None
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            self._entries.pop(key, None)
            return
        self._entries[key] = (self._clock.monotonic() + ttl_seconds, value)
        if len(self._entries) > self._max_entries:
            self._evict()

    async def delete(self, *keys: str) -> int:
        return sum(1 for key in keys if self._entries.pop(key, None) is not None)

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        now = self._clock.monotonic()
        for key in [k for k, (deadline, _) in self._entries.items() if deadline <= now]:
            del self._entries[key]
        excess = len(self._entries) - self._max_entries
        if excess > 0:
            soonest = heapq.nsmallest(excess, self._entries.items(), key=lambda kv: kv[1][0])
            for key, _ in soonest:
                del self._entries[key]
