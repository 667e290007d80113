"""Claims the deterministic comparison leaves open, judged by the configured model.

A claim goes to the model when the comparison could not decide it — ``undecided`` (related
figures that cannot be put on one basis) or ``not_found`` while BM25 still ranks clauses as
relevant (no matching number or unit, a paraphrased condition). The model gets the claim, its
sentence and those candidate clauses (section, heading, page, text) and answers
consistent / contradicts / not_addressed with the deciding clause ids and quotes
(:mod:`compliance_assistant.llm.claim_judge`, prompt ``gtc-claim-v1``).

Its answer counts only when a quote is really in the clause it names (the same quote matching
as the llm kind): a contradiction is then cited with that exact clause text and page; an
answer whose quotes are all wrong leaves the claim as it was, with a warning. Usable answers
are cached (``gtc:claim-verdict:…``) under the model, prompt version and the question's hash.
Any failure — no model, an open breaker, an error after the retries, an unusable answer —
leaves the claim undecided; the checker reports undecided claims, never a silent pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from compliance_assistant.engine.claims import ClaimCheck, Clause, Fact, Verdict
from compliance_assistant.engine.document import Document
from compliance_assistant.engine.ports import Cache
from compliance_assistant.engine.result import ResultWarning, Usage
from compliance_assistant.llm.claim_judge import (
    CandidateClause,
    ClaimAnswer,
    ClaimJudgement,
    ClaimQuestion,
)
from compliance_assistant.llm.quotes import locate_quote

logger = logging.getLogger(__name__)

# Clauses offered to the model per claim, and the characters of each (quotes are still
# checked against the whole clause).
CANDIDATES_PER_CLAIM = 5
_CLAUSE_CHARS = 2000
UNDECIDED_WARNING = "gtc_claims_undecided"
QUOTE_WARNING = "gtc_quote_not_found"


class ClaimJudgePort(Protocol):
    """What the checker needs of :class:`~compliance_assistant.llm.claim_judge.ClaimJudge`."""

    @property
    def model_name(self) -> str: ...

    @property
    def prompt_version(self) -> str: ...

    async def judge(self, question: ClaimQuestion) -> ClaimJudgement: ...


@dataclass(frozen=True)
class RankedCheck:
    """A deterministic verdict and the clauses BM25 ranked for its claim, best first."""

    check: ClaimCheck
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class SettledClaim:
    """A claim's final verdict. ``judged`` when the model decided it (then ``suggestion`` is
    its rewrite, if any)."""

    check: ClaimCheck
    judged: bool = False
    suggestion: str | None = None


@dataclass
class Review:
    settled: list[SettledClaim]
    warnings: list[ResultWarning] = field(default_factory=list)
    usage: Usage | None = None


def needs_model(item: RankedCheck) -> bool:
    verdict = item.check.verdict
    return verdict is Verdict.UNDECIDED or (verdict is Verdict.NOT_FOUND and bool(item.clauses))


class ClaimReviewer:
    """Settles the open claims of one check with the model (when there is one)."""

    def __init__(
        self,
        judge: ClaimJudgePort | None,
        *,
        cache: Cache | None = None,
        cache_ttl_seconds: float = 0.0,
        max_claims: int = 10,
    ) -> None:
        self.judge = judge
        self.cache = cache
        self.cache_ttl_seconds = cache_ttl_seconds
        self.max_claims = max_claims

    async def review(self, ranked: Sequence[RankedCheck], products: Mapping[str, str]) -> Review:
        """``products`` maps each GTC document id to its product name (for the prompt)."""
        settled = [SettledClaim(item.check) for item in ranked]
        open_claims = [i for i, item in enumerate(ranked) if needs_model(item)]
        if self.judge is None or not open_claims:
            return self._finish(settled, [], None, None)
        # Undecided claims first: related figures exist, so the model is likeliest to settle them.
        open_claims.sort(key=lambda i: (ranked[i].check.verdict is not Verdict.UNDECIDED, i))
        chosen = open_claims[: self.max_claims]
        outcomes = await asyncio.gather(*(self._settle(ranked[i], products) for i in chosen))
        warnings: list[ResultWarning] = []
        failures: list[str] = []
        usages: list[Usage] = []
        for index, outcome in zip(chosen, outcomes, strict=True):
            settled[index] = outcome.settled
            if outcome.usage is not None:
                usages.append(outcome.usage)
            if outcome.failure is not None:
                failures.append(f"“{ranked[index].check.claim.text}”: {outcome.failure}")
            if outcome.dropped_quotes:
                warnings.append(_quote_warning(ranked[index].check, outcome.dropped_quotes))
        skipped = len(open_claims) - len(chosen)
        if skipped:
            failures.append(
                f"{skipped} more claim(s) were not sent to the model (gtc.llm_max_claims is "
                f"{self.max_claims})"
            )
        usage = _sum(usages)
        return self._finish(settled, warnings, usage, "; ".join(failures) or None)

    def _finish(
        self,
        settled: list[SettledClaim],
        warnings: list[ResultWarning],
        usage: Usage | None,
        failure: str | None,
    ) -> Review:
        undecided = [s.check for s in settled if s.check.verdict is Verdict.UNDECIDED]
        if undecided:
            if self.judge is None:
                why = "no LLM is configured to judge them"
            else:
                why = "the LLM could not decide them" + (f" ({failure})" if failure else "")
            warnings.append(
                ResultWarning(
                    code=UNDECIDED_WARNING,
                    message=f"{len(undecided)} claim(s) could not be checked against the GTC: "
                    f"{why}. They are reported as findings to verify by hand.",
                    details={
                        "claims": [check.claim.text for check in undecided],
                        "llm": self.judge is not None,
                    },
                )
            )
        return Review(settled=settled, warnings=warnings, usage=usage)

    # -- one claim ---------------------------------------------------------------------------

    async def _settle(self, item: RankedCheck, products: Mapping[str, str]) -> _Outcome:
        assert self.judge is not None
        clauses = item.clauses[:CANDIDATES_PER_CLAIM]
        question = ClaimQuestion(
            product=", ".join(
                dict.fromkeys(products.get(c.document_id, c.document_id) for c in clauses)
            ),
            claim=item.check.claim.text,
            sentence=item.check.claim.sentence,
            clauses=tuple(
                CandidateClause(
                    clause_id=f"c{number}",
                    text=clause.text[:_CLAUSE_CHARS],
                    section=clause.section,
                    heading=clause.heading,
                    page=clause.page,
                )
                for number, clause in enumerate(clauses, start=1)
            ),
        )
        key = (
            f"gtc:claim-verdict:{self.judge.model_name}:{self.judge.prompt_version}:"
            f"{question.digest()}"
        )
        answer = await self._cached(key)
        usage = None
        if answer is None:
            try:
                judgement = await self.judge.judge(question)
            except Exception as exc:  # the claim stays open; the result says why
                logger.warning("GTC claim judgement failed: %s: %s", type(exc).__name__, exc)
                return _Outcome(SettledClaim(item.check), failure=_reason(exc))
            usage = judgement.usage
            if judgement.answer is None:
                return _Outcome(
                    SettledClaim(item.check),
                    usage=usage,
                    failure=f"the model's answer could not be used: {judgement.problem}",
                )
            answer = judgement.answer
            await self._store(key, answer)
        return _apply(item, clauses, answer, usage)

    async def _cached(self, key: str) -> ClaimAnswer | None:
        if self.cache is None or self.cache_ttl_seconds <= 0:
            return None
        try:
            raw = await self.cache.get(key)
            return ClaimAnswer.model_validate_json(raw) if raw is not None else None
        except Exception as exc:  # a cache outage or an old entry only costs a model call
            logger.warning("GTC claim verdict cache read failed: %s", exc)
            return None

    async def _store(self, key: str, answer: ClaimAnswer) -> None:
        if self.cache is None or self.cache_ttl_seconds <= 0:
            return
        try:
            await self.cache.set(key, answer.model_dump_json().encode(), self.cache_ttl_seconds)
        except Exception as exc:  # derived data: carry on without it
            logger.warning("GTC claim verdict cache write failed: %s", exc)


@dataclass(frozen=True)
class _Outcome:
    settled: SettledClaim
    usage: Usage | None = None
    failure: str | None = None
    dropped_quotes: tuple[str, ...] = ()


def _apply(
    item: RankedCheck, clauses: Sequence[Clause], answer: ClaimAnswer, usage: Usage | None
) -> _Outcome:
    check = item.check
    explanation = " ".join(answer.explanation.split()).rstrip(".")
    if answer.verdict == "not_addressed":
        decided = check.model_copy(
            update={
                "verdict": Verdict.NOT_FOUND,
                "fact": None,
                "explanation": explanation or "the GTC clauses do not address it",
            }
        )
        return _Outcome(SettledClaim(decided, judged=True), usage=usage)
    fact, dropped = _verified_fact(clauses, answer)
    if fact is None:
        return _Outcome(
            SettledClaim(check),
            usage=usage,
            failure="the model quoted no clause text that could be found",
            dropped_quotes=dropped,
        )
    verdict = Verdict.CONTRADICTED if answer.verdict == "contradicts" else Verdict.SUPPORTED
    decided = check.model_copy(
        update={
            "verdict": verdict,
            "fact": fact,
            "explanation": explanation or f"the GTC states “{fact.quote}”",
            "expected": None,
        }
    )
    suggestion = answer.suggestion.strip() if verdict is Verdict.CONTRADICTED else ""
    return _Outcome(
        SettledClaim(decided, judged=True, suggestion=suggestion or None),
        usage=usage,
        dropped_quotes=dropped,
    )


def _verified_fact(
    clauses: Sequence[Clause], answer: ClaimAnswer
) -> tuple[Fact | None, tuple[str, ...]]:
    """The first evidence quote found in the clause it names, as a Fact; the others that were
    not found (a quote the model made up, or a clause id it was not given)."""
    by_id = {f"c{number}": clause for number, clause in enumerate(clauses, start=1)}
    dropped: list[str] = []
    for evidence in answer.evidence:
        clause = by_id.get(evidence.clause_id.strip().strip("[]"))
        span = None
        if clause is not None:
            text = Document(text=clause.text, blocks=(), source_format="text")
            span = locate_quote(text, evidence.quote, None)
        if clause is None or span is None:
            dropped.append(evidence.quote)
            continue
        fact = Fact(
            clause=clause,
            quote_start=span.start,
            quote_end=span.end,
            topics=frozenset(),
        )
        return fact, tuple(dropped)
    return None, tuple(dropped)


def _quote_warning(check: ClaimCheck, quotes: Sequence[str]) -> ResultWarning:
    return ResultWarning(
        code=QUOTE_WARNING,
        message=f"The model's evidence for “{check.claim.text}” quoted text that is not in the "
        "GTC clause it named; that evidence was ignored.",
        details={"claim": check.claim.text, "quotes": [q[:120] for q in quotes]},
    )


def _reason(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    return message if len(message) <= 200 else message[:199] + "…"


def _sum(usages: Sequence[Usage]) -> Usage | None:
    if not usages:
        return None
    return Usage(
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cost=round(sum(u.cost for u in usages), 6),
    )
