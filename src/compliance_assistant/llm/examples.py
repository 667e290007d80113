"""`compliance guidelines test SET --llm`: every guideline's examples through the judge.

The examples of ``llm`` guidelines are judged by the configured model (concurrently, bounded);
``rule`` guidelines run in-process as without ``--llm``; the report (accuracy per guideline)
is the engine's :class:`ExamplesReport`, so the CLI prints it the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from compliance_assistant.config import Settings
from compliance_assistant.engine.document import Document
from compliance_assistant.engine.examples import (
    ExamplesReport,
    evaluate_in_process,
    example_document,
    run_examples,
)
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind
from compliance_assistant.engine.plan import CheckPlan
from compliance_assistant.engine.ports import CheckUnavailableError, VerdictJudge
from compliance_assistant.engine.result import GuidelineResult
from compliance_assistant.errors import InputError
from compliance_assistant.llm.factory import create_judge


async def evaluate_with_judge(
    judge: VerdictJudge, document: Document, plan: CheckPlan, guideline: Guideline
) -> GuidelineResult:
    """One guideline on one document — ``GuidelineEvaluator``'s shape, async, via the judge
    for llm guidelines and in-process for the others."""
    if guideline.kind is not GuidelineKind.LLM:
        return evaluate_in_process(document, plan, guideline)
    try:
        return (await judge.assess(document, guideline)).result
    except CheckUnavailableError as exc:
        return GuidelineResult.not_run(guideline, str(exc))


async def run_examples_with_judge(
    plan: CheckPlan, judge: VerdictJudge, *, guideline_ids: Sequence[str] = (), concurrency: int = 8
) -> ExamplesReport:
    """Judge every llm example first (at most ``concurrency`` at once), then build the report
    with the engine's runner, which looks the verdicts up."""
    slots = asyncio.Semaphore(concurrency)
    jobs: dict[tuple[str, str], asyncio.Task[GuidelineResult]] = {}

    async def judged(guideline: Guideline, text: str) -> GuidelineResult:
        async with slots:
            return await evaluate_with_judge(judge, example_document(text), plan, guideline)

    async with asyncio.TaskGroup() as group:
        for guideline in plan.guideline_set.guidelines:
            if guideline.kind is not GuidelineKind.LLM:
                continue
            if guideline_ids and guideline.id not in guideline_ids:
                continue
            for text in (*guideline.examples.violation, *guideline.examples.compliant):
                if (guideline.id, text) not in jobs:
                    jobs[(guideline.id, text)] = group.create_task(judged(guideline, text))
    verdicts = {key: task.result() for key, task in jobs.items()}

    def lookup(document: Document, inner_plan: CheckPlan, guideline: Guideline) -> GuidelineResult:
        if guideline.kind is GuidelineKind.LLM:
            for (guideline_id, text), result in verdicts.items():
                if guideline_id == guideline.id and example_document(text).text == document.text:
                    return result
        return evaluate_in_process(document, inner_plan, guideline)

    return run_examples(plan, guideline_ids=guideline_ids, evaluator=lookup)


async def run_examples_llm(
    plan: CheckPlan, settings: Settings, *, guideline_ids: Sequence[str] = ()
) -> ExamplesReport:
    """The CLI entry point: build the judge from settings, run, close it."""
    judge = create_judge(settings.llm, redis_url=settings.redis.url)
    if judge is None:
        raise InputError(
            "--llm needs a model: set COMPLIANCE_LLM__PROVIDER and its settings (see docs/llm.md)"
        )
    try:
        return await run_examples_with_judge(
            plan, judge, guideline_ids=guideline_ids, concurrency=settings.llm.max_concurrency
        )
    finally:
        await judge.aclose()
