"""Fixtures shared by the pipeline, llm, resilience and observability tests.

Each test folder's ``conftest.py`` imports what it uses from here. Real services (PostgreSQL on
127.0.0.1:5432, Redis on 127.0.0.1:6379) are required in CI: when ``CI`` is set and one is
unreachable the test fails; only outside CI is it skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from compliance_assistant.config import LlmProvider, LlmSettings, StructuredOutput
from compliance_assistant.engine.guidelines import GuidelineSet, parse_guideline_set
from compliance_assistant.engine.plan import CheckPlan, build_plan
from compliance_assistant.llm.judge import LlmJudge, Pricing
from compliance_assistant.llm.models import AzureTokenProvider, create_chat_model
from compliance_assistant.resilience.breaker import BreakerPolicy, CircuitBreaker
from compliance_assistant.resilience.ratelimit import RateLimiter
from compliance_assistant.resilience.retry import RetryPolicy
from tests.doubles.clock import FakeClock
from tests.doubles.llm_server import LlmDouble

POSTGRES_ADMIN_URL = os.environ.get(
    "COMPLIANCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
CHECKPOINT_DATABASE = "compliance_test_checkpoints"
REDIS_URL = os.environ.get("COMPLIANCE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def service_missing(name: str, error: BaseException) -> None:
    message = f"{name} is not reachable: {error}"
    if in_ci():
        pytest.fail(f"{message} (CI is set: the service is required)")
    pytest.skip(message)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- services ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_checkpoint_url() -> str:
    """A dedicated database for LangGraph's fixed-name checkpoint tables, created if missing."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (CHECKPOINT_DATABASE,)
            ).fetchone()
            if exists is None:
                conn.execute(f'CREATE DATABASE "{CHECKPOINT_DATABASE}"')
    except psycopg.errors.DuplicateDatabase:
        pass  # created by a parallel test process in the meantime
    except psycopg.OperationalError as exc:
        service_missing("PostgreSQL", exc)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{CHECKPOINT_DATABASE}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


# -- the LLM double --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def llm_server() -> Iterator[LlmDouble]:
    with LlmDouble() as server:
        yield server


@pytest.fixture
def double(llm_server: LlmDouble) -> Iterator[LlmDouble]:
    """The shared double, reset before each test (no scripts, no requests, no latency)."""
    llm_server.reset()
    llm_server.latency = 0.0
    yield llm_server
    llm_server.reset()


def llm_settings(double: LlmDouble, provider: str = "openai", **overrides: Any) -> LlmSettings:
    """Settings pointing the given provider at the double."""
    kind = LlmProvider(provider)
    values: dict[str, Any] = {
        "provider": kind,
        "model": "judge-model",
        "api_key": "sk-test",
        "timeout_seconds": 5.0,
    }
    if kind in (LlmProvider.OPENAI, LlmProvider.OPENAI_COMPATIBLE):
        values["base_url"] = double.openai_base_url
    elif kind is LlmProvider.AZURE_OPENAI:
        values.update(
            base_url=double.url, azure_deployment="judge-deployment", azure_api_version="2024-10-21"
        )
    elif kind is LlmProvider.ANTHROPIC:
        values["base_url"] = double.url
    if "structured_output" in overrides:
        overrides["structured_output"] = StructuredOutput(overrides["structured_output"])
    values.update(overrides)
    return LlmSettings(**values)


class SleepRecorder:
    """An injected ``sleep`` that records the requested waits and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@asynccontextmanager
async def judge_for(
    double: LlmDouble,
    provider: str = "openai",
    *,
    clock: FakeClock | None = None,
    breaker: CircuitBreaker | None = None,
    limiter: RateLimiter | None = None,
    attempts: int = 3,
    sleep: Callable[[float], Any] | None = None,
    token_provider: AzureTokenProvider | None = None,
    pricing: Pricing | None = None,
    **overrides: Any,
) -> AsyncIterator[LlmJudge]:
    """A real judge (real SDK, real HTTP) talking to the double; closed on exit."""
    settings = llm_settings(double, provider, **overrides)
    handle = create_chat_model(settings, azure_token_provider=token_provider)
    breaker = breaker or CircuitBreaker(f"llm:{provider}", clock or FakeClock(), BreakerPolicy())
    judge = LlmJudge(
        handle,
        breaker=breaker,
        limiter=limiter,
        retry=RetryPolicy(attempts=attempts, initial_wait=0.01, max_wait=30.0),
        pricing=pricing,
        max_output_tokens=settings.max_output_tokens,
        sleep=sleep or SleepRecorder(),
    )
    try:
        yield judge
    finally:
        await judge.aclose()


# -- guideline sets ------------------------------------------------------------------------


def llm_guideline_yaml(
    guideline_id: str, *, severity: str = "error", instruction: str | None = None
) -> str:
    return (
        f"  - id: {guideline_id}\n"
        f"    title: Guideline {guideline_id}\n"
        f"    kind: llm\n"
        f"    severity: {severity}\n"
        f"    instruction: {instruction or f'Judge marker {guideline_id}-marker.'}\n"
        f"    examples:\n"
        f'      violation: ["Earn 5% on {guideline_id}!"]\n'
        f'      compliant: ["Earn 5% AER on {guideline_id}; rate variable."]\n'
    )


RULE_GUIDELINE_YAML = """  - id: no-guarantees
    title: No guaranteed returns
    kind: rule
    severity: error
    rules:
      - name: Guarantees
        extends: existence
        message: "Do not promise '%s'."
        level: error
        ignorecase: true
        tokens: [guaranteed, risk-free]
"""


def guideline_set(
    *llm_ids: str, rule: bool = False, gtc: bool = False, extra: str = ""
) -> GuidelineSet:
    body = "".join(llm_guideline_yaml(g) for g in llm_ids)
    if rule:
        body += RULE_GUIDELINE_YAML
    if gtc:
        body += "  - id: gtc-consistency\n    title: Claims agree with the GTC\n    kind: gtc\n"
    body += extra
    text = f"id: test-set\nversion: 3\ntitle: Test set\nguidelines:\n{body}"
    return parse_guideline_set(text, source="test-set.yml")


def plan_of(*llm_ids: str, rule: bool = False, gtc: bool = False, extra: str = "") -> CheckPlan:
    return build_plan(guideline_set(*llm_ids, rule=rule, gtc=gtc, extra=extra), {})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def marker(guideline_id: str) -> str:
    """The text the double matches to answer a guideline (its instruction carries it)."""
    return f"{guideline_id}-marker"
