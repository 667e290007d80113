"""The check graph and :func:`run_check`, the one way a check runs (CLI, worker, API).

    START ─▶ prepare ─▶ Send × (guidelines + prompt-injection screen)
                          check_rule | check_llm | check_gtc | screen_injection
                        ─▶ aggregate ─▶ END

With a checkpointer the job id is the thread id and the graph runs with
``durability="sync"``: each finished branch's verdict is written as a pending write of the
branch superstep, so a run that dies (process killed, task cancelled) resumes with only the
unfinished branches. Checkpoints are deleted once the job completes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import StateSnapshot

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.plan import CheckPlan
from compliance_assistant.engine.result import CheckResult
from compliance_assistant.llm.injection import INJECTION_GUIDELINE_ID
from compliance_assistant.observability import metrics
from compliance_assistant.pipeline import nodes
from compliance_assistant.pipeline.context import CheckContext, RunContext, document_hash
from compliance_assistant.pipeline.events import (
    CheckCompleted,
    CheckStarted,
    GuidelineCompleted,
    OnEvent,
    emit,
)
from compliance_assistant.pipeline.state import CheckState

logger = logging.getLogger(__name__)

BRANCH_NODES = tuple(nodes.NODE_FOR_KIND.values())
Graph = CompiledStateGraph[CheckState, RunContext, CheckState, CheckState]


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> Graph:
    builder = StateGraph(CheckState, context_schema=RunContext)
    builder.add_node("prepare", nodes.prepare)
    builder.add_node("check_rule", nodes.check_rule)
    builder.add_node("check_llm", nodes.check_llm)
    builder.add_node("check_gtc", nodes.check_gtc)
    builder.add_node("screen_injection", nodes.screen_injection)
    builder.add_node("aggregate", nodes.aggregate)
    builder.add_edge(START, "prepare")
    builder.add_conditional_edges("prepare", nodes.fan_out, list(BRANCH_NODES))
    for name in BRANCH_NODES:
        builder.add_edge(name, "aggregate")
    builder.add_edge("aggregate", END)
    return builder.compile(checkpointer=checkpointer)


@functools.cache
def _compiled() -> Graph:
    return build_graph()


def _graph_with(checkpointer: BaseCheckpointSaver[Any] | None) -> Graph:
    # Compiling takes milliseconds; a copy that swaps the checkpointer takes microseconds.
    graph = _compiled()
    return graph if checkpointer is None else graph.copy(update={"checkpointer": checkpointer})


async def run_check(
    document: Document,
    plan: CheckPlan,
    *,
    job_id: str,
    context: CheckContext,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    document_id: str | None = None,
    on_event: OnEvent | None = None,
) -> CheckResult:
    """Check ``document`` against ``plan`` and return the result.

    Re-running a job id whose checkpoint is unfinished resumes it (same document required;
    a different document discards the old checkpoint). Cancelling the task running this
    coroutine cancels the unfinished branches and keeps the finished ones in the checkpoint.
    ``on_event`` receives ``check.started``, one ``guideline.completed`` per guideline and
    ``check.completed``.
    """
    started = time.perf_counter()
    digest = document_hash(document)
    run_context = RunContext(
        services=context, job_id=job_id, document=document, plan=plan, document_hash=digest
    )
    graph = _graph_with(checkpointer)
    config: RunnableConfig = {
        "configurable": {"thread_id": job_id},
        "max_concurrency": context.limits.max_branches_per_job,
    }
    fresh: CheckState = {"job_id": job_id, "document_hash": digest}
    run_input: CheckState | None = fresh
    progress = _Progress(job_id, on_event, plan)
    finished: list[dict[str, Any]] = []
    if checkpointer is not None:
        snapshot = await graph.aget_state(config)
        run_input, finished = await _resume_input(snapshot, checkpointer, job_id, digest, fresh)
    final: dict[str, Any] | None = None
    try:
        await progress.started(resumed=run_input is None)
        for values in finished:
            await progress.branch_done(values, resumed=True)
        async for update in graph.astream(
            run_input,
            config,
            context=run_context,
            stream_mode="updates",
            durability="sync" if checkpointer is not None else None,
        ):
            for node, values in update.items():
                if not isinstance(values, dict):
                    continue
                if node == "aggregate":
                    final = values.get("result")
                else:
                    await progress.branch_done(values)
    except BaseException as exc:
        outcome = "cancelled" if isinstance(exc, asyncio.CancelledError) else "failed"
        metrics.CHECKS.labels(outcome).inc()
        raise
    if final is None:
        raise RuntimeError(f"check {job_id} ended without a result")
    result = CheckResult.model_validate(final).model_copy(
        update={
            "document_id": document_id,
            "timings": {"check_ms": round((time.perf_counter() - started) * 1000, 3)},
        }
    )
    if checkpointer is not None:
        await checkpointer.adelete_thread(job_id)
    metrics.CHECKS.labels("completed").inc()
    if context.tracker is not None:
        await context.tracker.record(result, guideline_set=plan.guideline_set)
    await emit(
        on_event,
        CheckCompleted(
            job_id=job_id, score=result.score, complete=result.complete, summary=result.summary
        ),
    )
    return result


async def _resume_input(
    snapshot: StateSnapshot,
    checkpointer: BaseCheckpointSaver[Any],
    job_id: str,
    digest: str,
    fresh: CheckState,
) -> tuple[CheckState | None, list[dict[str, Any]]]:
    """``(None, finished branch outputs)`` to resume the checkpointed run, else
    ``(fresh input, [])``."""
    values = snapshot.values if isinstance(snapshot.values, dict) else {}
    if not values:
        return fresh, []
    if values.get("document_hash") != digest or not snapshot.next:
        # Another document under this job id, or a finished run whose checkpoint outlived
        # it (the process died between aggregate and clean-up): start again.
        await checkpointer.adelete_thread(job_id)
        return fresh, []
    metrics.CHECKS_RESUMED.inc()
    finished = [
        task.result
        for task in snapshot.tasks
        if task.name in BRANCH_NODES and isinstance(task.result, dict)
    ]
    settled = values.get("verdicts", [])  # disabled guidelines, settled by prepare
    return None, ([{"verdicts": settled}] if settled else []) + finished


class _Progress:
    """Counts finished guidelines and turns them into events."""

    def __init__(self, job_id: str, on_event: OnEvent | None, plan: CheckPlan) -> None:
        self.job_id = job_id
        self.on_event = on_event
        self.done = 0
        # Every guideline of the plan plus the built-in prompt-injection screen.
        guidelines = plan.guideline_set.guidelines
        self.total = len(guidelines) + (
            0 if any(g.id == INJECTION_GUIDELINE_ID for g in guidelines) else 1
        )

    async def started(self, *, resumed: bool) -> None:
        await emit(
            self.on_event, CheckStarted(job_id=self.job_id, total=self.total, resumed=resumed)
        )

    async def branch_done(self, values: dict[str, Any], *, resumed: bool = False) -> None:
        for verdict in values.get("verdicts", []):
            result = verdict.get("result", {})
            self.done += 1
            await emit(
                self.on_event,
                GuidelineCompleted(
                    job_id=self.job_id,
                    guideline_id=result.get("guideline_id", ""),
                    kind=result.get("kind", ""),
                    status=result.get("status", ""),
                    findings=len(result.get("findings", [])),
                    reason=result.get("reason"),
                    done=self.done,
                    total=max(self.total, self.done),
                    resumed=resumed,
                ),
            )
