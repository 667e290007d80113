"""From the branches' verdicts to the CheckResult (the aggregate node's work).

Scoring, ordering and completeness come from ``engine.result.aggregate``; this adds what only
the pipeline knows: the built-in prompt-injection guideline, the warnings every checker
reported, the model and prompt version, and the tokens and cost of the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compliance_assistant.engine.guidelines import GuidelineKind
from compliance_assistant.engine.ports import GuidelineVerdict
from compliance_assistant.engine.result import (
    CheckResult,
    ResultWarning,
    Usage,
    aggregate,
    document_info,
)
from compliance_assistant.llm.injection import INJECTION_GUIDELINE, INJECTION_GUIDELINE_ID
from compliance_assistant.pipeline.context import RunContext


def build_result(context: RunContext, verdicts: Sequence[GuidelineVerdict]) -> CheckResult:
    """The result of the job; verdicts may come in any order (one per guideline id)."""
    by_id: dict[str, GuidelineVerdict] = {}
    for verdict in verdicts:
        by_id[verdict.result.guideline_id] = verdict  # a re-run branch's newer verdict wins
    guideline_set = context.plan.guideline_set
    if INJECTION_GUIDELINE_ID in by_id and guideline_set.get(INJECTION_GUIDELINE_ID) is None:
        guideline_set = guideline_set.model_copy(
            update={"guidelines": (*guideline_set.guidelines, INJECTION_GUIDELINE)}
        )
    order = {g.id: i for i, g in enumerate(guideline_set.guidelines)}
    ordered = sorted(
        by_id.values(),
        key=lambda v: (order.get(v.result.guideline_id, len(order)), v.result.guideline_id),
    )
    warnings: list[ResultWarning] = list(context.plan.warnings)
    gtc_documents: list[dict[str, Any]] = []
    for verdict in ordered:
        warnings.extend(verdict.warnings)
        gtc_documents.extend(d for d in verdict.gtc_documents if d not in gtc_documents)
    judge = context.services.judge
    uses_llm = any(
        g.kind is GuidelineKind.LLM and g.enabled for g in context.plan.guideline_set.guidelines
    )
    document = context.document
    return aggregate(
        job_id=context.job_id,
        guideline_set=guideline_set,
        results=[v.result for v in ordered],
        document=document_info(
            document.title,
            document.source_format,
            document.source_name,
            document.text,
            len(document.blocks),
        ),
        warnings=warnings,
        model=judge.model_name if judge is not None and uses_llm else None,
        prompt_version=judge.prompt_version if judge is not None and uses_llm else None,
        usage=_total_usage(ordered) if judge is not None and uses_llm else None,
        gtc_documents=gtc_documents,
    )


def _total_usage(verdicts: Sequence[GuidelineVerdict]) -> Usage:
    usages = [v.usage for v in verdicts if v.usage is not None]
    return Usage(
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cost=round(sum(u.cost for u in usages), 6),
    )
