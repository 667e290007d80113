"""The circuit-breaker rules both judges share (:mod:`compliance_assistant.llm.caller`): a 429
is the provider pacing us, so a quota storm leaves the breaker closed; 5xx failures open it.
Real SDKs over real HTTP against the LLM double; only sleeping and time are faked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import openai
import pytest

from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.llm.claim_judge import (
    CandidateClause,
    ClaimJudge,
    ClaimQuestion,
    create_claim_judge,
)
from compliance_assistant.resilience.breaker import (
    BreakerOpenError,
    BreakerPolicy,
    BreakerRegistry,
    BreakerState,
    CircuitBreaker,
)
from tests.doubles.clock import FakeClock
from tests.doubles.fixtures import SleepRecorder, guideline_set, judge_for, llm_settings, marker
from tests.doubles.llm_server import LlmDouble, Reply
from tests.llm.articles import article, failing

G = "faulty"
CLAIM = "storm-claim 40p"
CLAIM_MARKER = f"Claim: {CLAIM}"
NOT_ADDRESSED = {
    "verdict": "not_addressed",
    "evidence": [],
    "explanation": "no clause mentions the standing charge",
    "suggestion": "",
}
# Fewer failures than one storm's requests would open it, if 429s counted.
POLICY = BreakerPolicy(failure_threshold=2, reset_after=60.0, success_threshold=1)


def guideline() -> Guideline:
    return guideline_set(G).guidelines[0]


def question() -> ClaimQuestion:
    return ClaimQuestion(
        product="FixedSaver 24",
        claim=CLAIM,
        sentence=f"The standing charge is just {CLAIM}.",
        clauses=(CandidateClause("c1", "Standing charge | 45p per day", section="2", page=1),),
    )


@asynccontextmanager
async def claim_judge_for(
    double: LlmDouble, breakers: BreakerRegistry, sleep: SleepRecorder
) -> AsyncIterator[ClaimJudge]:
    """The claim judge as the GTC services build it (settings → factory), over the double."""
    judge = create_claim_judge(llm_settings(double, max_attempts=3), breakers=breakers, sleep=sleep)
    assert judge is not None
    try:
        yield judge
    finally:
        await judge.aclose()


@pytest.mark.anyio
async def test_a_quota_storm_does_not_open_the_guideline_judges_breaker(
    double: LlmDouble,
) -> None:
    double.script(marker(G), Reply(fault="rate_limit", retry_after=2))
    breaker = CircuitBreaker("llm:openai", FakeClock(), POLICY)
    sleep = SleepRecorder()
    async with judge_for(double, attempts=3, breaker=breaker, sleep=sleep) as judge:
        for _ in range(3):
            with pytest.raises(openai.RateLimitError):
                await judge.assess(article(), guideline())
        assert breaker.state is BreakerState.CLOSED
        assert double.count(marker(G)) == 9  # every attempt reached the provider
        assert sleep.waits == [2.0, 2.0] * 3  # Retry-After honoured between attempts

        double.script(marker(G), Reply(verdict=failing()))
        verdict = await judge.assess(article(), guideline())
    assert verdict.result.status is GuidelineStatus.FAIL
    assert double.count(marker(G)) == 10


@pytest.mark.anyio
async def test_a_quota_storm_does_not_open_the_claim_judges_breaker(double: LlmDouble) -> None:
    double.script(CLAIM_MARKER, Reply(fault="rate_limit", retry_after=1))
    breakers = BreakerRegistry(FakeClock(), POLICY)
    sleep = SleepRecorder()
    async with claim_judge_for(double, breakers, sleep) as judge:
        for _ in range(3):
            with pytest.raises(openai.RateLimitError):
                await judge.judge(question())
        assert breakers.get("llm:openai").state is BreakerState.CLOSED
        assert double.count(CLAIM_MARKER) == 9
        assert sleep.waits == [1.0, 1.0] * 3

        double.script(CLAIM_MARKER, Reply(verdict=NOT_ADDRESSED))
        judgement = await judge.judge(question())
    assert judgement.answer is not None
    assert judgement.answer.verdict == "not_addressed"
    assert (judgement.usage.input_tokens, judgement.usage.output_tokens) == (120, 30)


@pytest.mark.anyio
async def test_server_errors_open_the_claim_judges_breaker(double: LlmDouble) -> None:
    double.script(CLAIM_MARKER, Reply(fault="server_error"))
    breakers = BreakerRegistry(FakeClock(), POLICY)
    async with claim_judge_for(double, breakers, SleepRecorder()) as judge:
        with pytest.raises(BreakerOpenError):
            # Two failed attempts open it; the third attempt is refused without a request.
            await judge.judge(question())
        assert breakers.get("llm:openai").state is BreakerState.OPEN
        assert double.count(CLAIM_MARKER) == 2
        with pytest.raises(BreakerOpenError):
            await judge.judge(question())
    assert double.count(CLAIM_MARKER) == 2


@pytest.mark.anyio
async def test_a_cut_off_claim_answer_is_asked_again_and_both_are_paid_for(
    double: LlmDouble,
) -> None:
    double.script(
        CLAIM_MARKER,
        Reply(verdict=NOT_ADDRESSED, fault="truncated"),
        Reply(verdict=NOT_ADDRESSED, input_tokens=100, output_tokens=10),
    )
    breakers = BreakerRegistry(FakeClock(), POLICY)
    async with claim_judge_for(double, breakers, SleepRecorder()) as judge:
        judgement = await judge.judge(question())
    assert judgement.answer is not None
    assert "Your previous answer could not be used" in double.requests[1].user_text
    assert "cut off at the output token limit" in double.requests[1].user_text
    assert judgement.usage.output_tokens == 40
