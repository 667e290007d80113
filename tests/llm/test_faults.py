"""Every fault the double can inject, and the outcome it must have; calls counted at the double."""

from __future__ import annotations

import pytest

from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.pipeline.context import CheckContext, PipelineLimits
from compliance_assistant.pipeline.graph import run_check
from compliance_assistant.resilience.breaker import BreakerPolicy, BreakerState, CircuitBreaker
from compliance_assistant.resilience.ratelimit import RateLimits, SharedRateLimiter
from tests.doubles.clock import FakeClock
from tests.doubles.fixtures import SleepRecorder, guideline_set, judge_for, marker, plan_of, unique
from tests.doubles.llm_server import LlmDouble, Reply
from tests.llm.articles import article, failing

G = "faulty"


def guideline() -> Guideline:
    return guideline_set(G).guidelines[0]


@pytest.mark.anyio
async def test_rate_limited_then_answers_after_retry_after(double: LlmDouble) -> None:
    double.script(marker(G), Reply(fault="rate_limit", retry_after=2), Reply(verdict=failing()))
    sleep = SleepRecorder()
    async with judge_for(double, sleep=sleep) as judge:
        verdict = await judge.assess(article(), guideline())
    assert verdict.result.status is GuidelineStatus.FAIL
    assert double.count(marker(G)) == 2
    assert sleep.waits == [2.0]


@pytest.mark.anyio
async def test_anthropic_rate_limit_is_retried_too(double: LlmDouble) -> None:
    double.script(marker(G), Reply(fault="rate_limit", retry_after=3), Reply(verdict=failing()))
    sleep = SleepRecorder()
    async with judge_for(double, "anthropic", sleep=sleep) as judge:
        verdict = await judge.assess(article(), guideline())
    assert verdict.result.status is GuidelineStatus.FAIL
    assert double.count() == 2
    assert sleep.waits == [3.0]


@pytest.mark.anyio
async def test_server_error_is_retried_with_backoff(double: LlmDouble) -> None:
    double.script(
        marker(G),
        Reply(fault="server_error"),
        Reply(fault="server_error"),
        Reply(verdict=failing()),
    )
    sleep = SleepRecorder()
    async with judge_for(double, sleep=sleep, attempts=3) as judge:
        verdict = await judge.assess(article(), guideline())
    assert verdict.result.status is GuidelineStatus.FAIL
    assert double.count() == 3
    assert len(sleep.waits) == 2
    assert sleep.waits[1] > sleep.waits[0] - 0.5  # exponential, jittered


@pytest.mark.anyio
async def test_persistent_server_errors_make_the_guideline_error(double: LlmDouble) -> None:
    double.script(marker(G), Reply(fault="server_error"))
    async with judge_for(double, attempts=3) as judge:
        result = await run_check(
            article(),
            plan_of(G, rule=True),
            job_id=unique("job"),
            context=CheckContext(judge=judge),
        )
    by_id = {g.guideline_id: g for g in result.guidelines}
    assert by_id[G].status is GuidelineStatus.ERROR
    assert "500" in (by_id[G].reason or "")
    assert by_id["no-guarantees"].status is GuidelineStatus.PASS
    assert not result.complete
    assert double.count(marker(G)) == 3


@pytest.mark.anyio
async def test_timeouts_are_retried_then_error(double: LlmDouble) -> None:
    double.script(marker(G), Reply(fault="timeout", latency=1.5))
    async with judge_for(double, attempts=2, timeout_seconds=0.3) as judge:
        result = await run_check(
            article(), plan_of(G), job_id=unique("job"), context=CheckContext(judge=judge)
        )
    [checked] = [g for g in result.guidelines if g.guideline_id == G]
    assert checked.status is GuidelineStatus.ERROR
    assert "Timeout" in (checked.reason or "")
    assert double.count(marker(G)) == 2


@pytest.mark.anyio
async def test_a_slow_model_hits_the_branch_timeout(double: LlmDouble) -> None:
    double.script(marker(G), Reply(latency=1.0))
    async with judge_for(double) as judge:
        context = CheckContext(judge=judge, limits=PipelineLimits(llm_branch_timeout_seconds=0.3))
        result = await run_check(
            article(), plan_of(G, rule=True), job_id=unique("job"), context=context
        )
    by_id = {g.guideline_id: g for g in result.guidelines}
    assert by_id[G].status is GuidelineStatus.ERROR
    assert "did not finish within 0.3 s" in (by_id[G].reason or "")
    assert by_id["no-guarantees"].status.ran


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("provider", "method"),
    [
        ("openai", "json_schema"),
        ("openai", "function_calling"),
        ("openai", "json_mode"),
        ("anthropic", "function_calling"),
        ("anthropic", "json_schema"),
    ],
)
@pytest.mark.parametrize("fault", ["malformed", "truncated"])
async def test_unusable_output_is_asked_again_once(
    double: LlmDouble, provider: str, method: str, fault: str
) -> None:
    double.script(
        marker(G),
        Reply(verdict=failing(), fault=fault),  # type: ignore[arg-type]
        Reply(verdict=failing(), input_tokens=100, output_tokens=10),
    )
    async with judge_for(double, provider, structured_output=method) as judge:
        verdict = await judge.assess(article(), guideline())
    assert verdict.result.status is GuidelineStatus.FAIL, verdict.result.reason
    first, second = double.requests
    assert "could not be used" not in first.user_text
    assert "Your previous answer could not be used" in second.user_text
    assert verdict.usage is not None
    assert verdict.usage.output_tokens == 40  # both answers are paid for


@pytest.mark.anyio
@pytest.mark.parametrize("fault", ["malformed", "truncated"])
async def test_unusable_output_twice_is_an_error(double: LlmDouble, fault: str) -> None:
    double.script(marker(G), Reply(verdict=failing(), fault=fault))  # type: ignore[arg-type]
    async with judge_for(double) as judge:
        verdict = await judge.assess(article(), guideline())
    assert verdict.result.status is GuidelineStatus.ERROR
    assert "also when asked again" in (verdict.result.reason or "")
    assert double.count() == 2


@pytest.mark.anyio
async def test_the_breaker_opens_and_the_rest_are_not_run_quickly(double: LlmDouble) -> None:
    ids = [f"b{i}" for i in range(8)]
    for gid in ids:
        double.script(marker(gid), Reply(fault="server_error"))
    clock = FakeClock()
    breaker = CircuitBreaker("llm:openai", clock, BreakerPolicy())
    async with judge_for(double, attempts=1, breaker=breaker) as judge:
        context = CheckContext(judge=judge, limits=PipelineLimits(max_branches_per_job=1))
        result = await run_check(article(), plan_of(*ids), job_id=unique("job"), context=context)
        statuses = [g.status for g in result.guidelines if g.guideline_id in ids]
        assert statuses.count(GuidelineStatus.ERROR) == 5
        assert statuses.count(GuidelineStatus.NOT_RUN) == 3
        skipped = [g for g in result.guidelines if g.status is GuidelineStatus.NOT_RUN]
        assert all("circuit breaker is open" in (g.reason or "") for g in skipped)
        assert double.count() == 5
        assert breaker.state is BreakerState.OPEN

        # After 60 s the breaker lets probes through; two successes close it.
        clock.advance(60)
        double.reset()
        again = await run_check(
            article(), plan_of("b0", "b1"), job_id=unique("job"), context=context
        )
        assert all(g.status is GuidelineStatus.PASS for g in again.guidelines)
        assert breaker.state is BreakerState.CLOSED
        assert double.count() == 2


@pytest.mark.anyio
async def test_calls_wait_for_the_rate_limit(double: LlmDouble) -> None:
    waits: list[float] = []
    limiter: SharedRateLimiter

    async def window_passes(seconds: float) -> None:
        waits.append(seconds)
        await limiter.reset()

    limiter = SharedRateLimiter(
        "memory://", RateLimits(requests_per_minute=1), name=unique("judge"), sleep=window_passes
    )
    async with judge_for(double, limiter=limiter) as judge:
        await judge.assess(article(), guideline())
        await judge.assess(article(), guideline())
    assert len(waits) == 1
    assert double.count() == 2
