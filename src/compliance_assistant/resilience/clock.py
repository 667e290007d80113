"""The real clock (the engine's ``Clock`` port); tests inject a fake one instead."""

from __future__ import annotations

import time


class SystemClock:
    """Wall time for timestamps, the monotonic clock for durations and deadlines."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()
