"""A circuit breaker: a small state machine with an injected clock.

closed ──(``failure_threshold`` consecutive failures)──▶ open
open ──(``reset_after`` seconds pass)──▶ half-open (calls are let through as probes)
half-open ──(``success_threshold`` consecutive successes)──▶ closed
half-open ──(any failure)──▶ open again, for another ``reset_after`` seconds

Only transient failures (timeouts, 429, 5xx, connection errors) should be recorded: a 400 or
401 says nothing about the provider's health. The breaker never sleeps and never calls the
protected service itself; callers ask :meth:`CircuitBreaker.check` before each call and report
the outcome with :meth:`record_success` / :meth:`record_failure`. Not thread-safe: one breaker
belongs to one event loop (a worker process), which is where asyncio callers live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from compliance_assistant.engine.ports import CheckUnavailableError, Clock


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerOpenError(CheckUnavailableError):
    """The breaker is open: the call was not attempted. ``retry_in`` seconds until a probe."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(
            f"{name} is failing; the circuit breaker is open and calls resume in {retry_in:.0f} s"
        )
        self.name = name
        self.retry_in = retry_in


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    reset_after: float = 60.0
    success_threshold: int = 2


StateListener = Callable[[str, BreakerState], None]


@dataclass
class CircuitBreaker:
    """One breaker per protected dependency (e.g. per LLM provider, per GTC endpoint)."""

    name: str
    clock: Clock
    policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    on_change: StateListener | None = None
    _state: BreakerState = BreakerState.CLOSED
    _failures: int = 0
    _successes: int = 0
    _opened_at: float = 0.0

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose wait is over reads as half-open."""
        if self._state is BreakerState.OPEN and self._wait_left() <= 0:
            self._move(BreakerState.HALF_OPEN)
        return self._state

    def check(self) -> None:
        """Raise :class:`BreakerOpenError` when a call must not be attempted now."""
        if self.state is BreakerState.OPEN:
            raise BreakerOpenError(self.name, self._wait_left())

    def record_success(self) -> None:
        state = self.state
        self._failures = 0
        if state is BreakerState.HALF_OPEN:
            self._successes += 1
            if self._successes >= self.policy.success_threshold:
                self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        state = self.state
        if state is BreakerState.HALF_OPEN:
            self._open()
            return
        self._failures += 1
        if state is BreakerState.CLOSED and self._failures >= self.policy.failure_threshold:
            self._open()

    def _open(self) -> None:
        self._opened_at = self.clock.monotonic()
        self._move(BreakerState.OPEN)

    def _wait_left(self) -> float:
        return self._opened_at + self.policy.reset_after - self.clock.monotonic()

    def _move(self, state: BreakerState) -> None:
        self._state = state
        self._failures = 0
        self._successes = 0
        if self.on_change is not None:
            self.on_change(self.name, state)


@dataclass
class BreakerRegistry:
    """Breakers by name, created on first use with one policy and clock (one per process)."""

    clock: Clock
    policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    on_change: StateListener | None = None
    _breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def get(self, name: str) -> CircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = CircuitBreaker(name, self.clock, self.policy, self.on_change)
            self._breakers[name] = breaker
        return breaker
