"""The circuit breaker's state machine, driven by a fake clock (no sleeps)."""

from __future__ import annotations

import pytest

from compliance_assistant.resilience.breaker import (
    BreakerOpenError,
    BreakerPolicy,
    BreakerRegistry,
    BreakerState,
    CircuitBreaker,
)
from tests.doubles.clock import FakeClock


def breaker(
    clock: FakeClock, changes: list[tuple[str, BreakerState]] | None = None
) -> CircuitBreaker:
    listener = (lambda name, state: changes.append((name, state))) if changes is not None else None
    return CircuitBreaker("llm:openai", clock, BreakerPolicy(), listener)


def fail(b: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        b.check()
        b.record_failure()


def test_opens_after_five_consecutive_failures() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 4)
    assert b.state is BreakerState.CLOSED
    fail(b, 1)
    assert b.state is BreakerState.OPEN
    with pytest.raises(BreakerOpenError) as info:
        b.check()
    assert info.value.retry_in == pytest.approx(60)
    assert "circuit breaker is open" in str(info.value)


def test_a_success_resets_the_failure_count() -> None:
    b = breaker(FakeClock())
    fail(b, 4)
    b.record_success()
    fail(b, 4)
    assert b.state is BreakerState.CLOSED


def test_half_open_after_sixty_seconds_then_closed_after_two_successes() -> None:
    clock = FakeClock()
    changes: list[tuple[str, BreakerState]] = []
    b = breaker(clock, changes)
    fail(b, 5)
    clock.advance(59.9)
    with pytest.raises(BreakerOpenError):
        b.check()
    clock.advance(0.1)
    assert b.state is BreakerState.HALF_OPEN
    b.check()  # a probe is let through
    b.record_success()
    assert b.state is BreakerState.HALF_OPEN
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert [state for _, state in changes] == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


def test_a_failed_probe_reopens_for_another_full_wait() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(60)
    b.check()
    b.record_failure()
    assert b.state is BreakerState.OPEN
    clock.advance(59)
    with pytest.raises(BreakerOpenError) as info:
        b.check()
    assert info.value.retry_in == pytest.approx(1)
    clock.advance(1)
    assert b.state is BreakerState.HALF_OPEN


def test_one_success_in_half_open_is_not_enough_after_a_failure() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(60)
    b.record_success()
    b.record_failure()
    assert b.state is BreakerState.OPEN


def test_registry_gives_one_breaker_per_name() -> None:
    registry = BreakerRegistry(FakeClock())
    assert registry.get("llm:openai") is registry.get("llm:openai")
    assert registry.get("llm:openai") is not registry.get("gtc:smart-search")
