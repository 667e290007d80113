"""The model's judgement of one GTC claim: consistent, contradicts or not addressed.

Used by the ``gtc`` guideline for claims its deterministic comparison cannot decide
(:mod:`compliance_assistant.gtc.judging`). It follows the judge's rules (:mod:`.judge`):

* the answer is structured (:class:`ClaimAnswer`, strict JSON) by the provider's method; one
  that does not parse, breaks the schema or was cut off is re-asked ONCE, then given up;
* the claim and the clauses are untrusted content between boundary lines whose marker comes
  from their own hash (prompt ``gtc-claim-v1``);
* transient failures are retried with backoff; each failed attempt but a 429 counts toward the
  provider's circuit breaker, and an open breaker raises
  :class:`~compliance_assistant.resilience.breaker.BreakerOpenError`;
* calls wait for the shared rate limits and the concurrency slots.

The call itself is the :class:`~compliance_assistant.llm.caller.ModelCaller` the guideline
judge uses too, so both judges share one set of resilience rules.

Checking the answer's quotes against the clauses is the caller's job: it knows the clauses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ConfigDict, Field

from compliance_assistant.config import LlmProvider, LlmSettings
from compliance_assistant.engine.ports import Clock
from compliance_assistant.engine.result import Usage
from compliance_assistant.llm.caller import ModelJudge
from compliance_assistant.llm.factory import build_judge
from compliance_assistant.llm.models import ChatModelHandle
from compliance_assistant.llm.prompt import load_prompt
from compliance_assistant.llm.structured import bind_json_answer, read_json_answer
from compliance_assistant.resilience.breaker import BreakerRegistry
from compliance_assistant.resilience.retry import Sleep

CLAIM_PROMPT_VERSION = "gtc-claim-v1"


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


class ClaimJudge(ModelJudge[ClaimAnswer]):
    """Asks the configured chat model about one claim at a time.

    Built like every judge (:class:`~compliance_assistant.llm.caller.ModelJudge`);
    ``max_output_tokens`` defaults to 1024, ``prompt_version`` to ``gtc-claim-v1``.
    """

    default_max_output_tokens = 1024
    default_prompt_version = CLAIM_PROMPT_VERSION

    @staticmethod
    def _bind(handle: ChatModelHandle) -> Runnable[LanguageModelInput, BaseMessage]:
        return bind_answer_schema(handle)

    @staticmethod
    def _read(message: BaseMessage) -> ClaimAnswer:
        return read_answer(message)

    async def judge(self, question: ClaimQuestion) -> ClaimJudgement:
        """The model's verdict. Transient failures that outlast the retries, and an open
        breaker, propagate: the caller leaves the claim undecided."""
        system, user = render_claim_prompt(question, self._prompt_version)
        asked = await self._caller.answer(system, user)
        return ClaimJudgement(answer=asked.answer, usage=asked.usage, problem=asked.problem)


def bind_answer_schema(handle: ChatModelHandle) -> Runnable[LanguageModelInput, BaseMessage]:
    """The chat model with the provider's structured-output options for :class:`ClaimAnswer`
    (the same choices as the guideline judge: see :mod:`.structured`)."""
    return bind_json_answer(handle, ANSWER_SCHEMA)


def read_answer(message: BaseMessage) -> ClaimAnswer:
    """The answer in the model's message; :class:`~.structured.UnusableAnswer` says what is
    wrong."""
    return read_json_answer(message, ClaimAnswer)


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
    return build_judge(
        ClaimJudge, llm, redis_url=redis_url, clock=clock, breakers=breakers, sleep=sleep
    )
