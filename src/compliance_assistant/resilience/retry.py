"""Retries with exponential backoff and jitter that honour ``Retry-After`` (tenacity).

Adapters disable their SDK's own retries and wrap calls in :func:`retrying`, so every attempt
is visible (counted, fed to the circuit breaker) and the policy is the same for every provider.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt
from tenacity.retry import retry_base
from tenacity.wait import wait_base, wait_exponential_jitter

# HTTP statuses worth another attempt: timeout, conflict, too early, rate limit, server errors.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts the first call. A ``Retry-After`` longer than ``max_wait`` ends the
    retries at once: waiting less than the server asked would only be refused again."""

    attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 30.0
    jitter: float = 0.5


def status_code_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK or httpx exception carries, if any."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def is_transient_http_error(exc: BaseException) -> bool:
    """Timeouts, connection failures, 408/409/425/429 and 5xx: the next attempt may succeed.

    Decided by status code and exception type names so that httpx, httpx2, openai and anthropic
    exceptions are all recognised without importing each SDK.
    """
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    status = status_code_of(exc)
    if status is not None:
        return status in TRANSIENT_STATUSES or status >= 500
    names = {cls.__name__ for cls in type(exc).__mro__}
    return any(
        (
            "Timeout" in name
            or "Connect" in name
            or name in {"RemoteProtocolError", "ReadError", "WriteError"}
        )
        for name in names
    )


def retry_after_seconds(exc: BaseException | None, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After``), if any."""
    response = getattr(exc, "response", None)
    headers: Mapping[str, str] | None = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value.strip() else None
        if parsed is None:
            return None
        return max(parsed.timestamp() - (time.time() if now is None else now), 0.0)


class _WaitRetryAfter(wait_base):
    """The server's ``Retry-After`` when it gave one, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_exponential_jitter(
            multiplier=policy.initial_wait, max=policy.max_wait, jitter=policy.jitter
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        hinted = retry_after_seconds(outcome.exception() if outcome else None)
        return hinted if hinted is not None else self._backoff(retry_state)


class _RetryTransient(retry_base):
    def __init__(self, policy: RetryPolicy, is_transient: Callable[[BaseException], bool]) -> None:
        self._policy = policy
        self._is_transient = is_transient

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if exc is None or not self._is_transient(exc):
            return False
        hinted = retry_after_seconds(exc)
        return hinted is None or hinted <= self._policy.max_wait


def retrying(
    policy: RetryPolicy,
    *,
    is_transient: Callable[[BaseException], bool] = is_transient_http_error,
    sleep: Sleep = asyncio.sleep,
    before_sleep: Callable[[RetryCallState], Any] | None = None,
) -> AsyncRetrying:
    """An ``AsyncRetrying`` for ``async for attempt in retrying(...): with attempt: ...``.

    The last exception is re-raised unchanged when attempts run out or it is not transient.
    ``sleep`` is injectable so tests observe the waits instead of sleeping.
    """
    return AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_WaitRetryAfter(policy),
        retry=_RetryTransient(policy, is_transient),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
