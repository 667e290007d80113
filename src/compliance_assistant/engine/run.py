"""Synchronous evaluation of a plan for the kinds the engine decides on its own (`rule`).

Kinds that need an outside service (`llm`, `gtc`) are reported ``not_run`` with the reason the
caller supplies; they are never counted as passed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.evaluate import evaluate_rule_guideline
from compliance_assistant.engine.guidelines import GuidelineKind
from compliance_assistant.engine.plan import CheckPlan
from compliance_assistant.engine.result import (
    CheckResult,
    GuidelineResult,
    aggregate,
    document_info,
)

DEFAULT_UNAVAILABLE_REASONS: Mapping[GuidelineKind, str] = {
    GuidelineKind.LLM: "no LLM provider is configured (set COMPLIANCE_LLM__PROVIDER); "
    "this guideline needs a model to judge it",
    GuidelineKind.GTC: "no GTC source is configured: neither a local GTC library nor a "
    "Smart Search endpoint was given",
}


def run_plan(
    document: Document,
    plan: CheckPlan,
    *,
    job_id: str,
    document_id: str | None = None,
    unavailable: Mapping[GuidelineKind, str] = DEFAULT_UNAVAILABLE_REASONS,
) -> CheckResult:
    started = time.perf_counter()
    results: list[GuidelineResult] = []
    for guideline in plan.guideline_set.guidelines:
        if not guideline.enabled:
            results.append(GuidelineResult.not_run(guideline, "disabled in the guideline set"))
        elif guideline.kind is GuidelineKind.RULE:
            results.append(
                evaluate_rule_guideline(document, guideline, plan.rules_for(guideline.id))
            )
        else:
            reason = unavailable.get(guideline.kind, f"no checker for kind '{guideline.kind}'")
            results.append(GuidelineResult.not_run(guideline, reason))
    total_ms = (time.perf_counter() - started) * 1000
    return aggregate(
        job_id=job_id,
        guideline_set=plan.guideline_set,
        results=results,
        document_id=document_id,
        document=document_info(
            document.title,
            document.source_format,
            document.source_name,
            document.text,
            len(document.blocks),
        ),
        warnings=plan.warnings,
        timings={"check_ms": round(total_ms, 3)},
    )
