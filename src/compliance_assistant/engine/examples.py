"""A guideline's examples are its tests: violations must be flagged, compliant texts must not.

An example whose guideline could not run (an llm guideline without a model, a gtc guideline
without GTC documents) is counted as not passed and listed with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from compliance_assistant.engine.document import BlockKind, Document, DocumentBuilder
from compliance_assistant.engine.guidelines import Guideline
from compliance_assistant.engine.plan import CheckPlan
from compliance_assistant.engine.result import GuidelineResult
from compliance_assistant.engine.run import run_plan


class ExampleOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"


class ExampleResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    expected: str  # "violation" | "compliant"
    text: str
    outcome: ExampleOutcome
    detail: str = ""


class GuidelineExamplesReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    guideline_id: str
    title: str
    kind: str
    examples: tuple[ExampleResult, ...]

    @property
    def passed(self) -> int:
        return sum(1 for e in self.examples if e.outcome is ExampleOutcome.PASSED)

    @property
    def total(self) -> int:
        return len(self.examples)

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total


class ExamplesReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    guideline_set: str
    guidelines: tuple[GuidelineExamplesReport, ...]

    @property
    def ok(self) -> bool:
        return all(g.ok for g in self.guidelines)

    @property
    def accuracy(self) -> float:
        total = sum(g.total for g in self.guidelines)
        return sum(g.passed for g in self.guidelines) / total if total else 0.0


# Evaluates one guideline of a plan on a document; the default runs rule guidelines in-process.
GuidelineEvaluator = Callable[[Document, CheckPlan, Guideline], GuidelineResult]


def evaluate_in_process(
    document: Document, plan: CheckPlan, guideline: Guideline
) -> GuidelineResult:
    result = run_plan(document, plan.select([guideline.id]), job_id="example")
    return result.guidelines[0]


def example_document(text: str) -> Document:
    builder = DocumentBuilder(source_format="text", source_name="example")
    for paragraph in (p for p in text.split("\n\n") if p.strip()):
        builder.add(paragraph.strip(), BlockKind.PARAGRAPH)
    return builder.build()


def run_examples(
    plan: CheckPlan,
    *,
    guideline_ids: Sequence[str] = (),
    evaluator: GuidelineEvaluator = evaluate_in_process,
) -> ExamplesReport:
    reports = []
    for guideline in plan.guideline_set.guidelines:
        if guideline_ids and guideline.id not in guideline_ids:
            continue
        if guideline.id.startswith("style.") and not (
            guideline.examples.violation or guideline.examples.compliant
        ):
            continue  # implicit style guidelines carry no examples of their own
        outcomes = [
            _run_one(plan, guideline, text, expected, evaluator)
            for expected, texts in (
                ("violation", guideline.examples.violation),
                ("compliant", guideline.examples.compliant),
            )
            for text in texts
        ]
        reports.append(
            GuidelineExamplesReport(
                guideline_id=guideline.id,
                title=guideline.title,
                kind=guideline.kind.value,
                examples=tuple(outcomes),
            )
        )
    return ExamplesReport(guideline_set=plan.guideline_set.ref, guidelines=tuple(reports))


def _run_one(
    plan: CheckPlan, guideline: Guideline, text: str, expected: str, evaluator: GuidelineEvaluator
) -> ExampleResult:
    result = evaluator(example_document(text), plan, guideline)
    if not result.status.ran:
        return ExampleResult(
            expected=expected,
            text=text,
            outcome=ExampleOutcome.NOT_RUN,
            detail=result.reason or "did not run",
        )
    flagged = [f for f in result.findings if f.dismissed is None]
    if expected == "violation":
        ok = bool(flagged)
        detail = "" if ok else "expected a finding, got none"
    else:
        ok = not flagged
        detail = (
            ""
            if ok
            else "unexpected: " + "; ".join(f"“{f.span.quote}” {f.message}" for f in flagged)
        )
    return ExampleResult(
        expected=expected,
        text=text,
        outcome=ExampleOutcome.PASSED if ok else ExampleOutcome.FAILED,
        detail=detail,
    )
