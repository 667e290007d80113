"""Retries: backoff with jitter, Retry-After honoured, transient vs permanent errors."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from compliance_assistant.resilience.retry import (
    RetryPolicy,
    is_transient_http_error,
    retry_after_seconds,
    retrying,
)
from tests.doubles.fixtures import SleepRecorder


class StatusError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        request = httpx.Request("POST", "http://llm.test/v1/chat/completions")
        self.response = httpx.Response(status, headers=headers or {}, request=request)
        self.status_code = status


async def call_with(
    failures: list[BaseException], policy: RetryPolicy, sleep: SleepRecorder
) -> int:
    calls = 0
    async for attempt in retrying(policy, sleep=sleep):
        with attempt:
            calls += 1
            if failures:
                raise failures.pop(0)
    return calls


@pytest.mark.anyio
async def test_retry_after_is_honoured() -> None:
    sleep = SleepRecorder()
    calls = await call_with([StatusError(429, {"retry-after": "7"})], RetryPolicy(), sleep)
    assert calls == 2
    assert sleep.waits == [7.0]


@pytest.mark.anyio
async def test_backoff_grows_with_jitter_when_no_hint() -> None:
    sleep = SleepRecorder()
    policy = RetryPolicy(attempts=4, initial_wait=1.0, max_wait=30.0, jitter=0.5)
    calls = await call_with([StatusError(500), StatusError(502), StatusError(503)], policy, sleep)
    assert calls == 4
    assert len(sleep.waits) == 3
    for index, wait in enumerate(sleep.waits):
        base = 2.0**index
        assert base <= wait <= base + 0.5


@pytest.mark.anyio
async def test_gives_up_after_the_attempts_and_reraises() -> None:
    sleep = SleepRecorder()
    failures: list[BaseException] = [StatusError(500) for _ in range(5)]
    with pytest.raises(StatusError):
        await call_with(failures, RetryPolicy(attempts=3), sleep)
    assert len(failures) == 2  # three attempts were made
    assert len(sleep.waits) == 2


@pytest.mark.anyio
async def test_permanent_errors_are_not_retried() -> None:
    sleep = SleepRecorder()
    failures: list[BaseException] = [StatusError(401), StatusError(401)]
    with pytest.raises(StatusError):
        await call_with(failures, RetryPolicy(), sleep)
    assert len(failures) == 1
    assert sleep.waits == []


@pytest.mark.anyio
async def test_a_retry_after_beyond_max_wait_ends_retrying() -> None:
    sleep = SleepRecorder()
    with pytest.raises(StatusError):
        await call_with([StatusError(429, {"retry-after": "600"})], RetryPolicy(max_wait=30), sleep)
    assert sleep.waits == []


def test_retry_after_formats() -> None:
    assert retry_after_seconds(StatusError(429, {"retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(StatusError(429, {"retry-after": "3"})) == 3.0
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert retry_after_seconds(
        StatusError(429, {"retry-after": date}), now=1_000_000
    ) == pytest.approx(10)
    assert retry_after_seconds(StatusError(429)) is None
    assert retry_after_seconds(ValueError("no response")) is None


def test_transient_classification() -> None:
    request = httpx.Request("GET", "http://x.test")
    assert is_transient_http_error(httpx.ReadTimeout("slow", request=request))
    assert is_transient_http_error(httpx.ConnectError("refused", request=request))
    assert is_transient_http_error(TimeoutError())
    assert is_transient_http_error(StatusError(429))
    assert is_transient_http_error(StatusError(503))
    assert not is_transient_http_error(StatusError(400))
    assert not is_transient_http_error(StatusError(404))
    assert not is_transient_http_error(ValueError("bad"))
