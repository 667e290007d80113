"""One question to the chat model under the judges' resilience rules, shared by every judge.

:class:`ModelCaller` is what the guideline judge (:mod:`.judge`) and the GTC claim judge
(:mod:`.claim_judge`) have in common; they differ only in the prompt, the answer schema and
what they make of the answer. For one question (:meth:`ModelCaller.answer`):

* calls wait for the process's concurrency slots, then for the shared rate limits (estimated
  from the prompt's length and the output token limit);
* transient failures (429, 5xx, timeouts, connection errors) are retried with backoff that
  honours ``Retry-After``; each failed attempt but a 429 counts toward the provider's circuit
  breaker, and an open breaker raises
  :class:`~compliance_assistant.resilience.breaker.BreakerOpenError` at once;
* an answer that does not parse, breaks the schema or was cut off at the token limit is asked
  again ONCE with a note saying what was wrong; if it stays unusable, the answer says why;
* token usage comes from the provider's usage fields (of unusable answers too: they are paid
  for); cost from the configured prices; requests, tokens and cost go to the metrics.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar, Generic, TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import ValidationError

from compliance_assistant.engine.result import Usage
from compliance_assistant.llm.models import ChatModelHandle
from compliance_assistant.llm.prompt import REASK_NOTE
from compliance_assistant.llm.structured import UnusableAnswer, shorten
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

AnswerT = TypeVar("AnswerT")
# openai's SDK raises these when the provider stopped the answer; they carry the completion.
_OUTPUT_ERROR_NAMES = {"LengthFinishReasonError", "ContentFilterFinishReasonError"}


@dataclass(frozen=True)
class Pricing:
    input_per_1k: float = 0.0
    output_per_1k: float = 0.0

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return round(
            input_tokens / 1000 * self.input_per_1k + output_tokens / 1000 * self.output_per_1k, 6
        )


@dataclass(frozen=True)
class Answered(Generic[AnswerT]):
    """The model's answer to one question — ``None`` when it stayed unusable after the re-ask,
    then ``problem`` says why — and what the question cost (both attempts)."""

    answer: AnswerT | None
    usage: Usage
    problem: str | None = None


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


class ModelCaller(Generic[AnswerT]):
    """Asks a chat model bound for structured output, and reads its answer with ``read``
    (which raises :class:`~.structured.UnusableAnswer` for an answer it cannot use).

    Owns the handle and the limiter: :meth:`aclose` releases both.
    """

    def __init__(
        self,
        handle: ChatModelHandle,
        model: Runnable[LanguageModelInput, BaseMessage],
        read: Callable[[BaseMessage], AnswerT],
        *,
        breaker: CircuitBreaker,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        pricing: Pricing | None = None,
        max_concurrency: int = 16,
        max_output_tokens: int = 2048,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._handle = handle
        self._model = model
        self._read = read
        self._breaker = breaker
        self._limiter = limiter or NoRateLimit()
        self._retry = retry or RetryPolicy()
        self._pricing = pricing or Pricing()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._max_output_tokens = max_output_tokens
        self._sleep = sleep

    @property
    def provider(self) -> str:
        return self._handle.provider.value

    @property
    def model_name(self) -> str:
        return self._handle.model_name

    async def aclose(self) -> None:
        await self._handle.aclose()
        await self._limiter.aclose()

    async def answer(self, system: str, user: str) -> Answered[AnswerT]:
        """The answer, asked again once when unusable. Transient failures that outlast the
        retries, and an open breaker, propagate."""
        tally = _Tally()
        answer = await self._ask(system, user, tally)
        if isinstance(answer, _Unusable):
            note = REASK_NOTE.format(problem=answer.problem)
            answer = await self._ask(system, f"{user}\n{note}\n", tally)
        usage = self._usage(tally)
        if isinstance(answer, _Unusable):
            return Answered(answer=None, usage=usage, problem=answer.problem)
        return Answered(answer=answer, usage=usage)

    async def _ask(self, system: str, user: str, tally: _Tally) -> AnswerT | _Unusable:
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
                        metrics.LLM_REQUESTS.labels(self.provider, "breaker_open").inc()
                        raise
                    await self._limiter.acquire(estimate)
                    output = await self._call(messages, tally)
            return output
        raise AssertionError("unreachable: retrying re-raises the last failure")

    async def _call(self, messages: list[BaseMessage], tally: _Tally) -> AnswerT | _Unusable:
        try:
            message = await traced(
                "llm.call",
                self._model.ainvoke(messages),
                kind=SpanKind.CLIENT,
                attributes={"llm.provider": self.provider, "llm.model": self.model_name},
            )
        except Exception as exc:
            if _is_output_error(exc):
                # The provider answered; only the answer is bad. That is not ill health.
                self._breaker.record_success()
                tally.add(*_usage_of_error(exc))
                metrics.LLM_REQUESTS.labels(self.provider, "unusable").inc()
                return _Unusable(_describe(exc))
            transient = is_transient_http_error(exc)
            # A 429 is the provider pacing us, not failing: the retry honours Retry-After,
            # and a quota storm must not open the breaker and turn checks into not_run.
            if transient and status_code_of(exc) != HTTPStatus.TOO_MANY_REQUESTS:
                self._breaker.record_failure()
            outcome = "transient_error" if transient else "error"
            metrics.LLM_REQUESTS.labels(self.provider, outcome).inc()
            raise
        self._breaker.record_success()
        if isinstance(message, AIMessage) and message.usage_metadata is not None:
            tally.add(
                message.usage_metadata["input_tokens"], message.usage_metadata["output_tokens"]
            )
        try:
            answer = self._read(message)
        except UnusableAnswer as exc:
            metrics.LLM_REQUESTS.labels(self.provider, "unusable").inc()
            return _Unusable(str(exc))
        metrics.LLM_REQUESTS.labels(self.provider, "ok").inc()
        return answer

    def _usage(self, tally: _Tally) -> Usage:
        cost = self._pricing.cost(tally.input_tokens, tally.output_tokens)
        metrics.LLM_TOKENS.labels(self.provider, "input").inc(tally.input_tokens)
        metrics.LLM_TOKENS.labels(self.provider, "output").inc(tally.output_tokens)
        metrics.LLM_COST.labels(self.provider).inc(cost)
        return Usage(input_tokens=tally.input_tokens, output_tokens=tally.output_tokens, cost=cost)


class ModelJudge(ABC, Generic[AnswerT]):
    """What the judges share: their constructor (the resilience parts go to a
    :class:`ModelCaller` over the judge's answer schema), their model, prompt version and close.
    A judge names its defaults and how its answer is requested and read."""

    default_max_output_tokens: ClassVar[int]
    default_prompt_version: ClassVar[str]

    def __init__(
        self,
        handle: ChatModelHandle,
        *,
        breaker: CircuitBreaker,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        pricing: Pricing | None = None,
        max_concurrency: int = 16,
        max_output_tokens: int | None = None,
        prompt_version: str | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._caller = ModelCaller(
            handle,
            self._bind(handle),
            self._read,
            breaker=breaker,
            limiter=limiter,
            retry=retry,
            pricing=pricing,
            max_concurrency=max_concurrency,
            max_output_tokens=(
                self.default_max_output_tokens if max_output_tokens is None else max_output_tokens
            ),
            sleep=sleep,
        )
        self._prompt_version = prompt_version or self.default_prompt_version

    @property
    def provider(self) -> str:
        return self._caller.provider

    @property
    def model_name(self) -> str:
        return self._caller.model_name

    @property
    def prompt_version(self) -> str:
        return self._prompt_version

    async def aclose(self) -> None:
        await self._caller.aclose()

    @staticmethod
    @abstractmethod
    def _bind(handle: ChatModelHandle) -> Runnable[LanguageModelInput, BaseMessage]:
        """The chat model bound for this judge's answer schema (:mod:`.structured`)."""

    @staticmethod
    @abstractmethod
    def _read(message: BaseMessage) -> AnswerT:
        """The answer in the model's message; raises :class:`~.structured.UnusableAnswer`."""


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
    return f"it did not match the expected JSON ({shorten(str(exc))})"
