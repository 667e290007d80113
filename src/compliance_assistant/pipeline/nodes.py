"""The graph's nodes: small async functions that return partial state.

prepare ─▶ one branch per guideline (check_rule | check_llm | check_gtc) plus the built-in
prompt-injection screen ─▶ aggregate. Every branch is guarded the same way: it waits for a
process-wide slot, runs under its kind's timeout, and turns any failure into that guideline's
``error`` (or ``not_run`` when the checker declined to call its service) so the other
branches complete. Cancellation is never swallowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Send

from compliance_assistant.engine.evaluate import evaluate_rule_guideline
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind
from compliance_assistant.engine.ports import CheckUnavailableError, Clock, GuidelineVerdict
from compliance_assistant.engine.result import GuidelineResult
from compliance_assistant.llm.injection import (
    INJECTION_GUIDELINE,
    INJECTION_GUIDELINE_ID,
    screen_document,
)
from compliance_assistant.observability import metrics
from compliance_assistant.observability.tracing import traced
from compliance_assistant.pipeline.aggregate import build_result
from compliance_assistant.pipeline.context import RunContext
from compliance_assistant.pipeline.state import BranchSpec, CheckState, dump_verdict, load_verdict
from compliance_assistant.pipeline.verdict_cache import cached_verdict, store_verdict

logger = logging.getLogger(__name__)

NODE_FOR_KIND = {
    "rule": "check_rule",
    "llm": "check_llm",
    "gtc": "check_gtc",
    "screen": "screen_injection",
}
Decide = Callable[[RunContext, Guideline], Awaitable[GuidelineVerdict]]


async def prepare(
    state: CheckState,  # noqa: ARG001 - langgraph's node signature
    runtime: Runtime[RunContext],
) -> dict[str, Any]:
    """List the branches to run; disabled guidelines are settled here as ``not_run``."""
    guidelines = runtime.context.plan.guideline_set.guidelines
    branches: list[BranchSpec] = []
    settled = []
    for guideline in guidelines:
        if not guideline.enabled:
            settled.append(
                dump_verdict(
                    GuidelineVerdict(
                        result=GuidelineResult.not_run(guideline, "disabled in the guideline set")
                    )
                )
            )
        else:
            branches.append({"guideline_id": guideline.id, "kind": guideline.kind.value})
    if all(g.id != INJECTION_GUIDELINE_ID for g in guidelines):
        branches.append({"guideline_id": INJECTION_GUIDELINE_ID, "kind": "screen"})
    return {"branches": branches, "verdicts": settled}


def fan_out(state: CheckState) -> list[Send]:
    """One ``Send`` per branch; all run in the same superstep, bounded by max_concurrency."""
    return [Send(NODE_FOR_KIND[branch["kind"]], branch) for branch in state.get("branches", [])]


async def check_rule(state: BranchSpec, runtime: Runtime[RunContext]) -> dict[str, Any]:
    return await _guarded(state, runtime.context, _decide_rule)


async def check_llm(state: BranchSpec, runtime: Runtime[RunContext]) -> dict[str, Any]:
    return await _guarded(state, runtime.context, _decide_llm)


async def check_gtc(state: BranchSpec, runtime: Runtime[RunContext]) -> dict[str, Any]:
    return await _guarded(state, runtime.context, _decide_gtc)


async def screen_injection(state: BranchSpec, runtime: Runtime[RunContext]) -> dict[str, Any]:
    return await _guarded(state, runtime.context, _decide_screen)


async def aggregate(state: CheckState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Fold the verdicts into the CheckResult (engine.result.aggregate does the scoring)."""
    verdicts = [load_verdict(v) for v in state.get("verdicts", [])]
    result = build_result(runtime.context, verdicts)
    return {"result": result.model_dump(mode="json")}


# -- deciding one guideline --------------------------------------------------------------------


async def _decide_rule(context: RunContext, guideline: Guideline) -> GuidelineVerdict:
    # Rules are CPU work on possibly long text: off the event loop, so other branches progress.
    result = await asyncio.to_thread(
        evaluate_rule_guideline, context.document, guideline, context.plan.rules_for(guideline.id)
    )
    return GuidelineVerdict(result=result)


async def _decide_llm(context: RunContext, guideline: Guideline) -> GuidelineVerdict:
    judge = context.services.judge
    if judge is None:
        raise CheckUnavailableError(context.services.judge_missing_reason)
    hit = await cached_verdict(context, judge, guideline)
    if hit is not None:
        return hit
    verdict = await judge.assess(context.document, guideline)
    await store_verdict(context, judge, guideline, verdict)
    return verdict


async def _decide_gtc(context: RunContext, guideline: Guideline) -> GuidelineVerdict:
    checker = context.services.gtc
    if checker is None:
        raise CheckUnavailableError(context.services.gtc_missing_reason)
    return await checker.check(context.document, guideline)


async def _decide_screen(context: RunContext, _guideline: Guideline) -> GuidelineVerdict:
    verdict = await asyncio.to_thread(screen_document, context.document)
    if verdict.result.findings:
        metrics.PROMPT_INJECTIONS.inc(len(verdict.result.findings))
    return verdict


# -- the guard every branch runs under ---------------------------------------------------------


async def _guarded(branch: BranchSpec, context: RunContext, decide: Decide) -> dict[str, Any]:
    guideline = _guideline(context, branch)
    if guideline is None:
        # Only on a resume given another plan than the checkpointed run had.
        missing = Guideline(
            id=branch["guideline_id"],
            title=branch["guideline_id"],
            kind=GuidelineKind(branch["kind"]),
        )
        verdict = GuidelineVerdict(
            result=GuidelineResult.errored(
                missing, "the guideline is not in the plan this job was resumed with"
            )
        )
        return {"verdicts": [dump_verdict(verdict)]}
    limits = context.services.limits
    seconds = (
        limits.llm_branch_timeout_seconds
        if branch["kind"] == "llm"
        else limits.branch_timeout_seconds
    )
    clock = context.services.clock
    async with context.services.branch_slots:
        started = clock.monotonic()
        try:
            async with asyncio.timeout(seconds) as deadline:
                verdict = await traced(
                    "guideline",
                    decide(context, guideline),
                    attributes={"guideline.id": guideline.id, "guideline.kind": branch["kind"]},
                )
        except CheckUnavailableError as exc:
            verdict = GuidelineVerdict(result=GuidelineResult.not_run(guideline, str(exc)))
        except TimeoutError:
            if not deadline.expired():
                verdict = _errored(guideline, "timed out talking to a service", started, clock)
            else:
                verdict = _errored(
                    guideline,
                    f"did not finish within {seconds:g} s (branch timeout)",
                    started,
                    clock,
                )
        except Exception as exc:  # one failing guideline must not sink the job
            logger.exception("guideline %s failed in job %s", guideline.id, context.job_id)
            verdict = _errored(
                guideline,
                f"{branch['kind']} check failed: {type(exc).__name__}: {exc}",
                started,
                clock,
            )
    elapsed = clock.monotonic() - started
    if verdict.result.duration_ms is None:
        verdict = verdict.model_copy(
            update={
                "result": verdict.result.model_copy(
                    update={"duration_ms": round(elapsed * 1000, 3)}
                )
            }
        )
    metrics.GUIDELINE_CHECKS.labels(branch["kind"], verdict.result.status.value).inc()
    metrics.GUIDELINE_DURATION.labels(branch["kind"]).observe(elapsed)
    return {"verdicts": [dump_verdict(verdict)]}


def _guideline(context: RunContext, branch: BranchSpec) -> Guideline | None:
    if branch["kind"] == "screen":
        return INJECTION_GUIDELINE
    return context.plan.guideline_set.get(branch["guideline_id"])


def _errored(guideline: Guideline, reason: str, started: float, clock: Clock) -> GuidelineVerdict:
    elapsed_ms = round((clock.monotonic() - started) * 1000, 3)
    return GuidelineVerdict(result=GuidelineResult.errored(guideline, reason, elapsed_ms))
