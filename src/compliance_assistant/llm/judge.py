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
  breaker, and an open breaker raises
  :class:`~compliance_assistant.engine.ports.CheckUnavailableError` at once (the pipeline
  reports the guideline ``not_run``);
* calls wait for the shared rate limits and the process's concurrency slots first;
* token usage comes from the provider's usage fields; cost from the configured prices.

The call itself — slots, limits, retries, breaker, re-ask, usage, metrics — is the
:class:`~compliance_assistant.llm.caller.ModelCaller` shared with the GTC claim judge.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

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
from compliance_assistant.llm.caller import ModelJudge, Pricing
from compliance_assistant.llm.models import ChatModelHandle
from compliance_assistant.llm.prompt import PROMPT_VERSION, render_prompt
from compliance_assistant.llm.quotes import locate_quote
from compliance_assistant.llm.schema import ModelFinding, ModelVerdict
from compliance_assistant.llm.structured import bind_structured, read_verdict, shorten
from compliance_assistant.observability import metrics

# Pricing is defined with the caller; callers of the judge keep importing it from here.
__all__ = ["QUOTE_NOT_FOUND", "LlmJudge", "Pricing"]

QUOTE_NOT_FOUND = "QUOTE_NOT_FOUND"


class LlmJudge(ModelJudge[ModelVerdict]):
    """Implements the engine's ``VerdictJudge`` port over a langchain chat model.

    Built like every judge (:class:`~compliance_assistant.llm.caller.ModelJudge`): the handle,
    the provider's breaker, and optionally the limiter, retry policy, pricing, concurrency,
    ``max_output_tokens`` (2048), ``prompt_version`` (:data:`~.prompt.PROMPT_VERSION`), sleep.
    """

    default_max_output_tokens = 2048
    default_prompt_version = PROMPT_VERSION

    @staticmethod
    def _bind(handle: ChatModelHandle) -> Runnable[LanguageModelInput, BaseMessage]:
        return bind_structured(handle)

    @staticmethod
    def _read(message: BaseMessage) -> ModelVerdict:
        return read_verdict(message)

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
        asked = await self._caller.answer(prompt.system, prompt.user)
        if asked.answer is None:
            reason = f"the model's answer could not be used, also when asked again: {asked.problem}"
            return GuidelineVerdict(
                result=GuidelineResult.errored(guideline, reason, _ms_since(started)),
                usage=asked.usage,
            )
        return self._verdict(document, guideline, asked.answer, asked.usage, started)

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
            metrics.QUOTES_DROPPED.labels(self.provider).inc(len(dropped))
            warnings = (
                ResultWarning(
                    code=QUOTE_NOT_FOUND,
                    message=f"Guideline '{guideline.id}': {len(dropped)} finding(s) dropped "
                    "because the model quoted text that is not in the document.",
                    details={
                        "guideline_id": guideline.id,
                        "dropped": len(dropped),
                        "quotes": [shorten(item.quote, 80) for item in dropped],
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


def _severity(guideline: Guideline, item: ModelFinding) -> Severity:
    """The model's severity, capped by the guideline's own when it sets one."""
    found = Severity(item.severity)
    cap = guideline.severity
    return found if cap is None or found.rank <= cap.rank else cap


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
