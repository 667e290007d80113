"""Build the judges from settings (an edge: CLI, worker start-up, app factory)."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from compliance_assistant.config import LlmProvider, LlmSettings
from compliance_assistant.engine.ports import Clock
from compliance_assistant.llm.caller import ModelJudge, Pricing
from compliance_assistant.llm.judge import LlmJudge
from compliance_assistant.llm.models import AzureTokenProvider, create_chat_model
from compliance_assistant.observability.metrics import breaker_listener
from compliance_assistant.resilience.breaker import BreakerPolicy, BreakerRegistry
from compliance_assistant.resilience.clock import SystemClock
from compliance_assistant.resilience.ratelimit import RateLimits, create_rate_limiter
from compliance_assistant.resilience.retry import RetryPolicy, Sleep

JudgeT = TypeVar("JudgeT", bound=ModelJudge[Any])


def create_judge(
    llm: LlmSettings,
    *,
    redis_url: str | None = None,
    clock: Clock | None = None,
    breakers: BreakerRegistry | None = None,
    azure_token_provider: AzureTokenProvider | None = None,
    sleep: Sleep = asyncio.sleep,
) -> LlmJudge | None:
    """The configured judge, or None when no provider is configured.

    Rate limits are shared through Redis when ``redis_url`` (the ``redis.url`` setting) is
    given — every worker draws from one budget — else kept in this process. One breaker per
    provider, from ``breakers`` when the caller shares a registry (e.g. with the GTC client).
    """
    if llm.provider is LlmProvider.NONE:
        return None
    return build_judge(
        LlmJudge,
        llm,
        redis_url=redis_url,
        clock=clock,
        breakers=breakers,
        azure_token_provider=azure_token_provider,
        sleep=sleep,
    )


def build_judge(
    judge_class: type[JudgeT],
    llm: LlmSettings,
    *,
    redis_url: str | None = None,
    clock: Clock | None = None,
    breakers: BreakerRegistry | None = None,
    azure_token_provider: AzureTokenProvider | None = None,
    sleep: Sleep = asyncio.sleep,
) -> JudgeT:
    """A judge over the configured provider (not ``none``) with the configured resilience:
    one rate-limit budget per provider and model (the limiter's name), so every judge of
    that model draws on it, and the provider's breaker."""
    registry = breakers or BreakerRegistry(
        clock or SystemClock(),
        BreakerPolicy(
            failure_threshold=llm.breaker_failure_threshold,
            reset_after=llm.breaker_reset_seconds,
            success_threshold=llm.breaker_success_threshold,
        ),
        on_change=breaker_listener,
    )
    handle = create_chat_model(llm, azure_token_provider=azure_token_provider)
    limiter = create_rate_limiter(
        redis_url,
        RateLimits(
            requests_per_minute=llm.requests_per_minute, tokens_per_minute=llm.tokens_per_minute
        ),
        name=f"llm:{llm.provider.value}:{handle.model_name}",
        sleep=sleep,
    )
    return judge_class(
        handle,
        breaker=registry.get(f"llm:{llm.provider.value}"),
        limiter=limiter,
        retry=RetryPolicy(attempts=llm.max_attempts, max_wait=llm.retry_max_wait_seconds),
        pricing=Pricing(llm.price_input_per_1k_tokens, llm.price_output_per_1k_tokens),
        max_concurrency=llm.max_concurrency,
        max_output_tokens=llm.max_output_tokens,
        sleep=sleep,
    )
