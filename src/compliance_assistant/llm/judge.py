"""The LLM judge: one guideline, one article, one model call (plus at most one re-ask).

Contract of :meth:`LlmJudge.assess`:

* the answer is structured (``ModelVerdict``) by the provider's method (json_schema, function
  calling / tool use, or JSON mode); an answer that does not parse, does not match the schema
  or was cut off at the token limit is re-asked ONCE, then the guideline is ``error``;
* every quote is located in the Document (:mod:`quotes`); one that is not found is dropped
  and reported as a ``QUOTE_NOT_FOUND`` warning, so no finding is ever shown at a wrong place;
  a non-passing answer whose quotes are all gone is ``error``, never ``pass``;
* transient failures (429, 5xx, timeouts, connection errors) are retried with backoff that
  honours ``Retry-After``; each failed attempt but a 429 counts toward the provider's circuit
  breaker,
  and an open breaker raises :class:`~compliance_assistant.engine.ports.CheckUnavailableError` at
  once (the pipeline reports the guideline ``not_run``);
* calls wait for the shared rate limits and the process's concurrency slots first;
* token usage comes from the provider's usage fields; cost from the configured prices.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import ValidationError

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.findings import (
    FindingDraft,
    Severity,
    Suggestion,
    finalise_findings,
)
from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.ports import GuidelineVerdict
from compliance_assistant.engine.result import GuidelineResult, ResultWarning, Usage
from compliance_assistant.llm.models import ChatModelHandle
from compliance_assistant.llm.prompt import PROMPT_VERSION, REASK_NOTE, render_prompt
from compliance_assistant.llm.quotes import locate_quote
from compliance_assistant.llm.schema import ModelFinding, ModelVerdict
from compliance_assistant.llm.structured import UnusableAnswer, bind_structured, read_verdict
from compliance_assistant.observability import metrics
from compliance_assistant.observability.tracing import SpanKind, traced
from compliance_assistant.resilience.breaker import BreakerOpenError, CircuitBreaker
from compliance_assistant.resilience.ratelimit import NoRateLimit, RateLimiter
from compliance_assistant.resilience.retry import (
    RetryPolicy,
    Sleep,
    is_transient_http_error,
    retrying,
    status_code_of,
)

QUOTE_NOT_FOUND = "QUOTE_NOT_FOUND"
_OUTPUT_ERROR_NAMES = {"LengthFinishReasonError", "ContentFilterFinishReasonError"}


@dataclass(frozen=True)
class Pricing:
    input_per_1k: float = 0.0
    output_per_1k: float = 0.0

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return round(
            input_tokens / 1000 * self.input_per_1k + output_tokens / 1000 * self.output_per_1k, 6
        )


@dataclass
class _Tally:
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


@dataclass(frozen=True)
class _Unusable:
    problem: str


class LlmJudge:
    """Implements the engine's ``VerdictJudge`` port over a langchain chat model."""

    def __init__(
        self,
        handle: ChatModelHandle,
        *,
        breaker: CircuitBreaker,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        pricing: Pricing | None = None,
        max_concurrency: int = 16,
        max_output_tokens: int = 2048,
        prompt_version: str = PROMPT_VERSION,
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
        self._model = bind_structured(handle)

    @property
    def model_name(self) -> str:
        return self._handle.model_name

    @property
    def prompt_version(self) -> str:
        return self._prompt_version

    @property
    def provider(self) -> str:
        return self._provider

    async def aclose(self) -> None:
        await self._handle.aclose()
        await self._limiter.aclose()

    async def judge(
        self,
        document: Document,
        guideline: Guideline,
        examples: Sequence[str] = (),  # noqa: ARG002 - the port's signature
    ) -> GuidelineResult:
        """The engine's ``Judge`` port: the result alone (examples come from the guideline)."""
        return (await self.assess(document, guideline)).result

    async def assess(self, document: Document, guideline: Guideline) -> GuidelineVerdict:
        started = time.perf_counter()
        prompt = render_prompt(document, guideline, self._prompt_version)
        tally = _Tally()
        answer = await self._ask(prompt.system, prompt.user, tally)
        if isinstance(answer, _Unusable):
            retry_note = REASK_NOTE.format(problem=answer.problem)
            answer = await self._ask(prompt.system, f"{prompt.user}\n{retry_note}\n", tally)
        usage = self._usage(tally)
        if isinstance(answer, _Unusable):
            reason = (
                f"the model's answer could not be used, also when asked again: {answer.problem}"
            )
            return GuidelineVerdict(
                result=GuidelineResult.errored(guideline, reason, _ms_since(started)), usage=usage
            )
        return self._verdict(document, guideline, answer, usage, started)

    # -- one question ------------------------------------------------------------------------

    async def _ask(self, system: str, user: str, tally: _Tally) -> ModelVerdict | _Unusable:
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

    async def _call(self, messages: list[BaseMessage], tally: _Tally) -> ModelVerdict | _Unusable:
        try:
            message = await traced(
                "llm.call",
                self._model.ainvoke(messages),
                kind=SpanKind.CLIENT,
                attributes={"llm.provider": self._provider, "llm.model": self.model_name},
            )
        except Exception as exc:
            if _is_output_error(exc):
                # The provider answered; only the answer is bad. That is not ill health.
                self._breaker.record_success()
                tally.add(*_usage_of_error(exc))
                metrics.LLM_REQUESTS.labels(self._provider, "unusable").inc()
                return _Unusable(_describe(exc))
            transient = is_transient_http_error(exc)
            # A 429 is the provider pacing us, not failing: the retry honours Retry-After,
            # and a quota storm must not open the breaker and turn checks into not_run.
            if transient and status_code_of(exc) != HTTPStatus.TOO_MANY_REQUESTS:
                self._breaker.record_failure()
            outcome = "transient_error" if transient else "error"
            metrics.LLM_REQUESTS.labels(self._provider, outcome).inc()
            raise
        self._breaker.record_success()
        if isinstance(message, AIMessage) and message.usage_metadata is not None:
            tally.add(
                message.usage_metadata["input_tokens"], message.usage_metadata["output_tokens"]
            )
        try:
            verdict = read_verdict(message)
        except UnusableAnswer as exc:
            metrics.LLM_REQUESTS.labels(self._provider, "unusable").inc()
            return _Unusable(str(exc))
        metrics.LLM_REQUESTS.labels(self._provider, "ok").inc()
        return verdict

    # -- from answer to verdict --------------------------------------------------------------

    def _verdict(
        self,
        document: Document,
        guideline: Guideline,
        answer: ModelVerdict,
        usage: Usage,
        started: float,
    ) -> GuidelineVerdict:
        drafts: list[FindingDraft] = []
        dropped: list[ModelFinding] = []
        for item in answer.findings:
            span = locate_quote(document, item.quote, item.block_id)
            if span is None:
                dropped.append(item)
                continue
            drafts.append(
                FindingDraft(
                    guideline_id=guideline.id,
                    severity=_severity(guideline, item),
                    message=guideline.title,
                    explanation=item.explanation.strip(),
                    span=span,
                    suggestion=(
                        Suggestion(replacement=item.suggestion, description="Suggested rewrite")
                        if item.suggestion.strip()
                        else None
                    ),
                    source="llm",
                )
            )
        findings = finalise_findings(document, drafts)
        warnings: tuple[ResultWarning, ...] = ()
        if dropped:
            metrics.QUOTES_DROPPED.labels(self._provider).inc(len(dropped))
            warnings = (
                ResultWarning(
                    code=QUOTE_NOT_FOUND,
                    message=f"Guideline '{guideline.id}': {len(dropped)} finding(s) dropped "
                    "because the model quoted text that is not in the document.",
                    details={
                        "guideline_id": guideline.id,
                        "dropped": len(dropped),
                        "quotes": [_short(item.quote, 80) for item in dropped],
                    },
                ),
            )
        elapsed = _ms_since(started)
        if answer.status != "pass" and not findings:
            why = (
                f"none of its {len(dropped)} quote(s) is in the text"
                if dropped
                else "it quoted no passage"
            )
            result = GuidelineResult.errored(
                guideline,
                f"the model judged the guideline broken ('{answer.status}') but "
                f"{why}, so the finding cannot be placed",
                elapsed,
            )
        else:
            result = GuidelineResult.from_findings(guideline, findings, elapsed)
        return GuidelineVerdict(result=result, warnings=warnings, usage=usage)

    def _usage(self, tally: _Tally) -> Usage:
        cost = self._pricing.cost(tally.input_tokens, tally.output_tokens)
        metrics.LLM_TOKENS.labels(self._provider, "input").inc(tally.input_tokens)
        metrics.LLM_TOKENS.labels(self._provider, "output").inc(tally.output_tokens)
        metrics.LLM_COST.labels(self._provider).inc(cost)
        return Usage(input_tokens=tally.input_tokens, output_tokens=tally.output_tokens, cost=cost)


def _severity(guideline: Guideline, item: ModelFinding) -> Severity:
    """The model's severity, capped by the guideline's own when it sets one."""
    found = Severity(item.severity)
    cap = guideline.severity
    return found if cap is None or found.rank <= cap.rank else cap


def _is_output_error(exc: BaseException) -> bool:
    if isinstance(exc, ValidationError | OutputParserException | json.JSONDecodeError):
        return True
    return any(cls.__name__ in _OUTPUT_ERROR_NAMES for cls in type(exc).__mro__)


def _usage_of_error(exc: BaseException) -> tuple[int, int]:
    # openai's LengthFinishReasonError carries the completion, usage included.
    usage = getattr(getattr(exc, "completion", None), "usage", None)
    return (
        int(getattr(usage, "prompt_tokens", 0) or 0),
        int(getattr(usage, "completion_tokens", 0) or 0),
    )


def _describe(exc: BaseException) -> str:
    if any(cls.__name__ == "LengthFinishReasonError" for cls in type(exc).__mro__):
        return "it was cut off at the output token limit"
    if any(cls.__name__ == "ContentFilterFinishReasonError" for cls in type(exc).__mro__):
        return "the provider's content filter stopped it"
    return f"it did not match the expected JSON ({_short(str(exc))})"


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
