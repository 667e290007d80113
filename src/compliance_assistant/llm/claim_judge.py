"""The model's judgement of one GTC claim: consistent, contradicts or not addressed.

Used by the ``gtc`` guideline for claims its deterministic comparison cannot decide
(:mod:`compliance_assistant.gtc.judging`). It follows the judge's rules (:mod:`.judge`):

* the answer is structured (:class:`ClaimAnswer`, strict JSON) by the provider's method; one
  that does not parse, breaks the schema or was cut off is re-asked ONCE, then given up;
* the claim and the clauses are untrusted content between boundary lines whose marker comes
  from their own hash (prompt ``gtc-claim-v1``);
* transient failures are retried with backoff, count toward the provider's circuit breaker, and
  an open breaker raises :class:`~compliance_assistant.resilience.breaker.BreakerOpenError`;
* calls wait for the shared rate limits and the concurrency slots.

Checking the answer's quotes against the clauses is the caller's job: it knows the clauses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance_assistant.config import LlmProvider, LlmSettings, StructuredOutput
from compliance_assistant.engine.ports import Clock
from compliance_assistant.engine.result import Usage
from compliance_assistant.llm.judge import Pricing
from compliance_assistant.llm.models import ChatModelHandle, create_chat_model
from compliance_assistant.llm.prompt import REASK_NOTE, load_prompt
from compliance_assistant.llm.structured import STRICT_PROVIDERS
from compliance_assistant.observability import metrics
from compliance_assistant.observability.metrics import breaker_listener
from compliance_assistant.resilience.breaker import (
    BreakerOpenError,
    BreakerPolicy,
    BreakerRegistry,
    CircuitBreaker,
)
from compliance_assistant.resilience.clock import SystemClock
from compliance_assistant.resilience.ratelimit import (
    NoRateLimit,
    RateLimiter,
    RateLimits,
    create_rate_limiter,
)
from compliance_assistant.resilience.retry import (
    RetryPolicy,
    Sleep,
    is_transient_http_error,
    retrying,
)

CLAIM_PROMPT_VERSION = "gtc-claim-v1"
_CUT_OFF = {"length", "max_tokens"}
_OUTPUT_ERROR_NAMES = {"LengthFinishReasonError", "ContentFilterFinishReasonError"}


class ClauseQuote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clause_id: str = Field(description="The id of one of the given clauses, e.g. 'c2'.")
    quote: str = Field(
        description="The deciding passage copied character for character from that clause: "
        "one sentence or shorter, never paraphrased."
    )


class ClaimAnswer(BaseModel):
    """The verdict on one claim against the given GTC clauses, with the deciding quotes."""

    model_config = ConfigDict(extra="forbid", title="ClaimVerdict")

    verdict: Literal["consistent", "contradicts", "not_addressed"] = Field(
        description="consistent: the clauses state the same; contradicts: a clause makes the "
        "claim false or misleading; not_addressed: no clause confirms or contradicts it."
    )
    evidence: list[ClauseQuote] = Field(
        description="The deciding clauses and quotes; empty when not_addressed."
    )
    explanation: str = Field(description="Why, in one sentence, naming what the clause states.")
    suggestion: str = Field(
        description="For contradicts: a rewrite of the claim that agrees with the clauses; "
        "otherwise an empty string."
    )


ANSWER_SCHEMA: dict[str, Any] = ClaimAnswer.model_json_schema()
ANSWER_NAME = str(ANSWER_SCHEMA["title"])


@dataclass(frozen=True)
class CandidateClause:
    """A GTC clause offered to the model, under a short id of this question (``c1`` …)."""

    clause_id: str
    text: str
    section: str | None = None
    heading: str | None = None
    page: int | None = None

    def line(self) -> str:
        where = " ".join(
            part
            for part in (
                f"§{self.section}" if self.section else "",
                self.heading or "",
                f"(p. {self.page})" if self.page else "",
            )
            if part
        )
        text = " ".join(self.text.split())
        return f"[{self.clause_id}] {where}: {text}" if where else f"[{self.clause_id}] {text}"


@dataclass(frozen=True)
class ClaimQuestion:
    product: str
    claim: str
    sentence: str
    clauses: tuple[CandidateClause, ...]

    def digest(self) -> str:
        """Identity of the question, for the verdict cache."""
        material = json.dumps(
            [
                self.product,
                self.claim,
                self.sentence,
                [(c.clause_id, c.section, c.heading, c.page, c.text) for c in self.clauses],
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ClaimJudgement:
    """The model's answer (None when it stayed unusable after the re-ask, then ``problem``
    says why) and what the question cost."""

    answer: ClaimAnswer | None
    usage: Usage
    problem: str | None = None


@dataclass(frozen=True)
class _Unusable:
    problem: str


class _Tally:
    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0

    def add(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


def render_claim_prompt(
    question: ClaimQuestion, version: str = CLAIM_PROMPT_VERSION
) -> tuple[str, str]:
    """The system and user messages for one question."""
    template = load_prompt(version)
    claim_marker = hashlib.sha256(f"{question.claim}\x1f{question.sentence}".encode()).hexdigest()
    clauses = "\n".join(clause.line() for clause in question.clauses)
    clause_marker = hashlib.sha256(clauses.encode("utf-8")).hexdigest()
    user = template.user.substitute(
        product=" ".join(question.product.split()),
        claim=" ".join(question.claim.split()),
        sentence=" ".join(question.sentence.split()),
        boundary_start=f"<<<CLAIM {claim_marker[:16]} START>>>",
        boundary_end=f"<<<CLAIM {claim_marker[:16]} END>>>",
        clauses=clauses,
        clauses_start=f"<<<CLAUSES {clause_marker[:16]} START>>>",
        clauses_end=f"<<<CLAUSES {clause_marker[:16]} END>>>",
    )
    return template.system, user


class ClaimJudge:
    """Asks the configured chat model about one claim at a time."""

    def __init__(
        self,
        handle: ChatModelHandle,
        *,
        breaker: CircuitBreaker,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        pricing: Pricing | None = None,
        max_concurrency: int = 16,
        max_output_tokens: int = 1024,
        prompt_version: str = CLAIM_PROMPT_VERSION,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._handle = handle
        self._breaker = breaker
        self._limiter = limiter or NoRateLimit()
        self._retry = retry or RetryPolicy()
        self._pricing = pricing or Pricing()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._max_output_tokens = max_output_tokens
        self._prompt_version = prompt_version
        self._sleep = sleep
        self._provider = handle.provider.value
        self._model = bind_answer_schema(handle)

    @property
    def model_name(self) -> str:
        return self._handle.model_name

    @property
    def prompt_version(self) -> str:
        return self._prompt_version

    async def aclose(self) -> None:
        await self._handle.aclose()
        await self._limiter.aclose()

    async def judge(self, question: ClaimQuestion) -> ClaimJudgement:
        """The model's verdict. Transient failures that outlast the retries, and an open
        breaker, propagate: the caller leaves the claim undecided."""
        system, user = render_claim_prompt(question, self._prompt_version)
        tally = _Tally()
        answer = await self._ask(system, user, tally)
        if isinstance(answer, _Unusable):
            note = REASK_NOTE.format(problem=answer.problem)
            answer = await self._ask(system, f"{user}\n{note}\n", tally)
        cost = self._pricing.cost(tally.input_tokens, tally.output_tokens)
        metrics.LLM_TOKENS.labels(self._provider, "input").inc(tally.input_tokens)
        metrics.LLM_TOKENS.labels(self._provider, "output").inc(tally.output_tokens)
        metrics.LLM_COST.labels(self._provider).inc(cost)
        usage = Usage(input_tokens=tally.input_tokens, output_tokens=tally.output_tokens, cost=cost)
        if isinstance(answer, _Unusable):
            return ClaimJudgement(answer=None, usage=usage, problem=answer.problem)
        return ClaimJudgement(answer=answer, usage=usage)

    async def _ask(self, system: str, user: str, tally: _Tally) -> ClaimAnswer | _Unusable:
        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
        estimate = (len(system) + len(user)) // 4 + self._max_output_tokens
        async with self._slots:
            async for attempt in retrying(
                self._retry, is_transient=is_transient_http_error, sleep=self._sleep
            ):
                with attempt:
                    try:
                        self._breaker.check()
                    except BreakerOpenError:
                        metrics.LLM_REQUESTS.labels(self._provider, "breaker_open").inc()
                        raise
                    await self._limiter.acquire(estimate)
                    output = await self._call(messages, tally)
            return output
        raise AssertionError("unreachable: retrying re-raises the last failure")

    async def _call(self, messages: list[BaseMessage], tally: _Tally) -> ClaimAnswer | _Unusable:
        try:
            message = await self._model.ainvoke(messages)
        except Exception as exc:
            if _is_output_error(exc):
                # The provider answered; only the answer is bad: not a sign of ill health.
                self._breaker.record_success()
                metrics.LLM_REQUESTS.labels(self._provider, "unusable").inc()
                return _Unusable(f"it did not match the expected JSON ({_short(str(exc))})")
            transient = is_transient_http_error(exc)
            if transient:
                self._breaker.record_failure()
            metrics.LLM_REQUESTS.labels(
                self._provider, "transient_error" if transient else "error"
            ).inc()
            raise
        self._breaker.record_success()
        if isinstance(message, AIMessage) and message.usage_metadata is not None:
            tally.add(
                message.usage_metadata["input_tokens"], message.usage_metadata["output_tokens"]
            )
        try:
            answer = read_answer(message)
        except _UnusableAnswer as exc:
            metrics.LLM_REQUESTS.labels(self._provider, "unusable").inc()
            return _Unusable(str(exc))
        metrics.LLM_REQUESTS.labels(self._provider, "ok").inc()
        return answer


class _UnusableAnswer(Exception):
    pass


def bind_answer_schema(handle: ChatModelHandle) -> Runnable[LanguageModelInput, BaseMessage]:
    """The chat model with the provider's structured-output options for :class:`ClaimAnswer`
    (the same choices as the guideline judge: see :mod:`.structured`)."""
    model = handle.model
    strict = handle.provider in STRICT_PROVIDERS or None
    if handle.method is StructuredOutput.FUNCTION_CALLING:
        tool = convert_to_openai_tool(ANSWER_SCHEMA, strict=strict)
        if handle.provider is LlmProvider.ANTHROPIC:
            return model.bind_tools([tool], tool_choice=ANSWER_NAME)
        return model.bind_tools([tool], tool_choice=ANSWER_NAME, strict=strict)
    if handle.method is StructuredOutput.JSON_MODE:
        return model.bind(response_format={"type": "json_object"})
    if handle.provider is LlmProvider.ANTHROPIC:
        return model.bind(
            output_config={"format": {"type": "json_schema", "schema": ANSWER_SCHEMA}}
        )
    json_schema: dict[str, Any] = {"name": ANSWER_NAME, "schema": ANSWER_SCHEMA}
    if strict:
        json_schema["strict"] = True
    return model.bind(response_format={"type": "json_schema", "json_schema": json_schema})


def read_answer(message: BaseMessage) -> ClaimAnswer:
    """The answer in the model's message; :class:`_UnusableAnswer` says what is wrong."""
    if not isinstance(message, AIMessage):
        raise _UnusableAnswer("it was not an assistant message")
    finish = message.response_metadata.get("finish_reason") or message.response_metadata.get(
        "stop_reason"
    )
    if finish in _CUT_OFF:
        raise _UnusableAnswer("it was cut off at the output token limit")
    if message.tool_calls:
        data: Any = message.tool_calls[0]["args"]
    elif message.invalid_tool_calls:
        raise _UnusableAnswer("its tool call arguments were not valid JSON")
    else:
        body = message.text.strip()
        if body.startswith("```"):
            # JSON mode answers sometimes come fenced as a Markdown code block.
            body = body.strip("`").removeprefix("json").strip()
        if not body:
            raise _UnusableAnswer("it contained no answer")
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            raise _UnusableAnswer(
                f"it was not valid JSON ({exc.msg} at character {exc.pos})"
            ) from None
    try:
        return ClaimAnswer.model_validate(data)
    except ValidationError as exc:
        raise _UnusableAnswer(f"it did not match the expected JSON ({_short(str(exc))})") from None


def create_claim_judge(
    llm: LlmSettings,
    *,
    redis_url: str | None = None,
    clock: Clock | None = None,
    breakers: BreakerRegistry | None = None,
    sleep: Sleep = asyncio.sleep,
) -> ClaimJudge | None:
    """The claim judge for the configured provider, or None when none is configured. It draws
    on the same shared rate-limit budget as the guideline judge (same limiter name)."""
    if llm.provider is LlmProvider.NONE:
        return None
    registry = breakers or BreakerRegistry(
        clock or SystemClock(),
        BreakerPolicy(
            failure_threshold=llm.breaker_failure_threshold,
            reset_after=llm.breaker_reset_seconds,
            success_threshold=llm.breaker_success_threshold,
        ),
        on_change=breaker_listener,
    )
    handle = create_chat_model(llm)
    limiter = create_rate_limiter(
        redis_url,
        RateLimits(
            requests_per_minute=llm.requests_per_minute, tokens_per_minute=llm.tokens_per_minute
        ),
        name=f"llm:{llm.provider.value}:{handle.model_name}",
        sleep=sleep,
    )
    return ClaimJudge(
        handle,
        breaker=registry.get(f"llm:{llm.provider.value}"),
        limiter=limiter,
        retry=RetryPolicy(attempts=llm.max_attempts, max_wait=llm.retry_max_wait_seconds),
        pricing=Pricing(llm.price_input_per_1k_tokens, llm.price_output_per_1k_tokens),
        max_concurrency=llm.max_concurrency,
        max_output_tokens=llm.max_output_tokens,
        sleep=sleep,
    )


def _is_output_error(exc: BaseException) -> bool:
    if isinstance(exc, ValidationError | OutputParserException | json.JSONDecodeError):
        return True
    return any(cls.__name__ in _OUTPUT_ERROR_NAMES for cls in type(exc).__mro__)


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
