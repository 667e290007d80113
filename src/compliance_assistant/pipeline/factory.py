"""Assemble a process's pipeline dependencies from settings (CLI, worker, ``serve``).

    async with pipeline_runtime(settings) as runtime:
        result = await run_check(document, plan, job_id=job_id, context=runtime.context,
                                 checkpointer=runtime.checkpointer)

Everything opened here (HTTP clients, database connections, the MLflow thread) is closed on
exit, on the event loop that opened it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from compliance_assistant.config import LlmProvider, Settings
from compliance_assistant.engine.ports import Cache, Clock, GtcChecker
from compliance_assistant.observability.tracking import MlflowTracker, default_tracking_uri
from compliance_assistant.pipeline.checkpoint import default_checkpoint_url, open_checkpointer
from compliance_assistant.pipeline.context import CheckContext, PipelineLimits
from compliance_assistant.resilience.clock import SystemClock
from compliance_assistant.storage.memory_cache import MemoryCache


@dataclass
class PipelineRuntime:
    context: CheckContext
    checkpointer: BaseCheckpointSaver[Any] | None


def limits_from(settings: Settings) -> PipelineLimits:
    return PipelineLimits(
        max_branches_per_job=settings.pipeline.max_branches_per_job,
        branch_timeout_seconds=settings.pipeline.branch_timeout_seconds,
        llm_branch_timeout_seconds=settings.llm.branch_timeout_seconds,
        verdict_cache_ttl_seconds=settings.llm.verdict_cache_ttl_seconds,
    )


@asynccontextmanager
async def pipeline_runtime(
    settings: Settings,
    *,
    cache: Cache | None = None,
    gtc: GtcChecker | None = None,
    checkpoints: bool = True,
    tracking: bool | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[PipelineRuntime]:
    """The context and checkpointer for running checks in this process.

    ``cache`` defaults to an in-process TTL cache (pass the Redis cache in production);
    ``checkpoints=False`` runs without resume (one-shot CLI checks); ``tracking`` overrides
    ``settings.tracking.enabled``.
    """
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        judge = None
        if settings.llm.provider is not LlmProvider.NONE:
            # The model SDKs take a second to import; rule-only runs never pay for them.
            from compliance_assistant.llm.factory import create_judge

            judge = create_judge(settings.llm, redis_url=settings.redis.url, clock=clock)
        if judge is not None:
            stack.push_async_callback(judge.aclose)
        tracker = None
        if settings.tracking.enabled if tracking is None else tracking:
            tracker = MlflowTracker(
                settings.tracking.mlflow_tracking_uri or default_tracking_uri(settings.data_dir),
                artifact_root=(
                    settings.tracking.mlflow_artifact_root or settings.data_dir / "mlflow-artifacts"
                ),
                experiment_prefix=settings.tracking.experiment_prefix,
            )
            stack.push_async_callback(tracker.aclose)
        checkpointer = None
        if checkpoints:
            url = settings.pipeline.checkpoint_url or default_checkpoint_url(settings.data_dir)
            checkpointer = await stack.enter_async_context(
                open_checkpointer(
                    url,
                    busy_timeout_ms=settings.pipeline.sqlite_busy_timeout_ms,
                    prepare_threshold=(
                        None if settings.database.disable_prepared_statements else 0
                    ),
                )
            )
        context = CheckContext(
            judge=judge,
            gtc=gtc,
            cache=cache if cache is not None else MemoryCache(clock=clock),
            clock=clock,
            limits=limits_from(settings),
            branch_slots=asyncio.Semaphore(settings.pipeline.max_branches_per_process),
            tracker=tracker,
        )
        yield PipelineRuntime(context=context, checkpointer=checkpointer)
