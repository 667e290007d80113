"""Running one job in a worker: claim it, ingest the article, load the plan, run the check
pipeline, persist the result rows and the report blob, keep the status cache and the event
stream up to date. Used by the Procrastinate task and by embedded mode alike.

Outcomes are visible: a job that cannot run ends ``failed`` with a code and a reason; a
cancelled one ends ``cancelled``; a crash leaves it ``processing`` with an old heartbeat, and
the sweep hands it to another worker, where the pipeline resumes from its checkpoint.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from compliance_assistant.checks.article import load_document
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.events import (
    GUIDELINE,
    RESULT,
    announce_status,
    base_url,
    cache_status,
    publish,
)
from compliance_assistant.checks.guard import JobGuard, StopReason
from compliance_assistant.checks.repository import views
from compliance_assistant.engine.document import Document
from compliance_assistant.engine.plan import CheckPlan
from compliance_assistant.engine.result import CheckResult
from compliance_assistant.gtc.checker import GtcVerifier
from compliance_assistant.guidelines.service import guideline_set_service
from compliance_assistant.pipeline.events import (
    CheckEvent,
    CheckStarted,
    GuidelineCompleted,
    OnEvent,
)
from compliance_assistant.pipeline.factory import PipelineRuntime
from compliance_assistant.pipeline.graph import run_check
from compliance_assistant.reports import FileReport, ReportFormat, render
from compliance_assistant.storage.blob import BlobNotFoundError
from compliance_assistant.storage.db import JobRecord, jobs, results

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # not claimable: finished, cancelled, or held by a live worker
    LOST = "lost"  # taken over by another worker after this one was presumed dead


@dataclass(frozen=True)
class ExecutionDeps:
    """A worker process's long-lived dependencies. ``gtc`` is bound to each job's tenant
    and product (``metadata.product_id``) before the pipeline runs."""

    ctx: ServiceContext
    pipeline: PipelineRuntime
    gtc: GtcVerifier | None = None


def now() -> datetime:
    return datetime.now(UTC)


async def claim(
    deps: ExecutionDeps, tenant_id: str, job_id: str, worker_id: str
) -> JobRecord | None:
    """The job, now ``processing`` by ``worker_id``; None when it is not ours to run."""
    async with deps.ctx.database.session() as session:
        claimed = await jobs.claim(
            session,
            tenant_id,
            job_id,
            worker_id=worker_id,
            now=now(),
            stale_after_seconds=deps.ctx.settings.worker.stalled_after_seconds,
        )
        return await jobs.get(session, tenant_id, job_id) if claimed else None


async def fail(deps: ExecutionDeps, job: JobRecord, code: str, message: str) -> Outcome:
    async with deps.ctx.database.session() as session:
        await jobs.fail(session, job.tenant_id, job.id, code=code, message=message, now=now())
        current = await jobs.get(session, job.tenant_id, job.id)
    if current is not None:
        await announce_status(deps.ctx, current)
    logger.warning("job %s failed: %s: %s", job.id, code, message)
    return Outcome.FAILED


async def execute(deps: ExecutionDeps, job: JobRecord, worker_id: str) -> Outcome:
    """Run a claimed job to its end under the job timeout, watched by a :class:`JobGuard`.

    Errors other than cancellation and the timeout propagate (the caller retries transient
    ones and fails the job on the others). If this coroutine is itself cancelled (worker
    shutdown) the job is handed back to the queue.
    """
    ctx = deps.ctx
    await announce_status(ctx, job)
    guard = JobGuard(ctx, job.tenant_id, job.id, worker_id)
    work = asyncio.create_task(_check_and_store(deps, job, guard))
    watcher = asyncio.create_task(guard.watch(work))
    timeout = ctx.settings.worker.job_timeout_seconds
    try:
        done, _ = await asyncio.wait({work}, timeout=timeout)
        if not done:
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            return await fail(
                deps,
                job,
                "JOB_TIMEOUT",
                f"The check did not finish within {timeout:g} s (worker.job_timeout_seconds).",
            )
        if work.cancelled():
            return await _stopped(deps, job, guard.reason)
        return work.result()
    except asyncio.CancelledError:
        await _hand_back(deps, job, work)
        raise
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


async def _stopped(deps: ExecutionDeps, job: JobRecord, reason: StopReason | None) -> Outcome:
    async with deps.ctx.database.read_session() as session:
        current = await jobs.get(session, job.tenant_id, job.id)
    if current is not None and current.status == "cancelled":
        # Overwrite any progress this worker cached after the cancel was committed.
        await announce_status(deps.ctx, current)
        return Outcome.CANCELLED
    logger.warning("job %s: stopped (%s), another worker holds it now", job.id, reason)
    return Outcome.LOST


async def _hand_back(deps: ExecutionDeps, job: JobRecord, work: asyncio.Task[Outcome]) -> None:
    """Worker shutdown: stop the work (finished branches stay in the checkpoint), put the
    job back in the queue for another worker instead of waiting for the stall timeout."""
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    try:
        async with deps.ctx.database.session() as session:
            # Any heartbeat is "before tomorrow": release it whatever its age.
            released = await jobs.release_stalled(
                session,
                job.tenant_id,
                job.id,
                heartbeat_before=now() + timedelta(days=1),
                now=now(),
            )
        if released and deps.ctx.queue is not None:
            await deps.ctx.queue.enqueue(job.tenant_id, job.id)
    except Exception:  # the stall sweep recovers it
        logger.exception("job %s: could not hand back on shutdown", job.id)


async def _check_and_store(deps: ExecutionDeps, job: JobRecord, guard: JobGuard) -> Outcome:
    ctx = deps.ctx
    document = await _load_article(ctx, job)
    plan = await _load_plan(ctx, job)
    # Listen for cancel events before the first model call is made.
    await guard.subscribed.wait()
    context = deps.pipeline.context
    if deps.gtc is not None:
        product = job.metadata.get("product_id")
        context = replace(
            context,
            gtc=deps.gtc.for_request(
                tenant_id=job.tenant_id, product_id=str(product) if product else None
            ),
        )
    result = await run_pipeline(
        PipelineRuntime(context=context, checkpointer=deps.pipeline.checkpointer),
        document,
        plan,
        job_id=job.id,
        document_id=job.document_id or content_id(document),
        on_event=_ProgressReporter(ctx, job).on_event,
    )
    return await _store(ctx, job, document, result)


async def run_pipeline(
    pipeline: PipelineRuntime,
    document: Document,
    plan: CheckPlan,
    *,
    job_id: str,
    document_id: str,
    on_event: OnEvent,
) -> CheckResult:
    """The one call into the check pipeline (LangGraph, checkpointed per job)."""
    return await run_check(
        document,
        plan,
        job_id=job_id,
        context=pipeline.context,
        checkpointer=pipeline.checkpointer,
        document_id=document_id,
        on_event=on_event,
    )


def content_id(document: Document) -> str:
    """The default document id: a hash of the content (DESIGN §9)."""
    return "sha256:" + hashlib.sha256(document.text.encode("utf-8")).hexdigest()


async def _load_article(ctx: ServiceContext, job: JobRecord) -> Document:
    key = job.article_blob_key
    info = await ctx.blob.info(key) if key else None
    if key is None or info is None:
        raise BlobNotFoundError(
            "The article of this job is no longer stored (removed by retention?); submit it again."
        )
    data = await ctx.blob.get(key)
    document = await asyncio.to_thread(
        load_document,
        data,
        content_type=info.content_type,
        blob_metadata=info.metadata,
        limits=ctx.settings.limits,
    )
    if job.title and document.title != job.title:
        document = document.model_copy(update={"title": job.title})
    return document


async def _load_plan(ctx: ServiceContext, job: JobRecord) -> CheckPlan:
    """The exact guideline-set version the job recorded, narrowed to its selection."""
    async with ctx.database.read_session() as session:
        resolved = await guideline_set_service.resolve(
            session, ctx.catalog, job.tenant_id, job.guideline_set_id, job.guideline_set_version
        )
    return await asyncio.to_thread(
        guideline_set_service.plan, resolved, ctx.catalog, job.tenant_id, job.selected_guidelines
    )


async def _store(
    ctx: ServiceContext, job: JobRecord, document: Document, result: CheckResult
) -> Outcome:
    report_key = ctx.layout.report(job.tenant_id, job.id, "html")
    report = await asyncio.to_thread(
        render,
        ReportFormat.HTML,
        [FileReport(document.title or job.id, document, result)],
    )
    await ctx.blob.put(report_key, report.encode("utf-8"), content_type="text/html; charset=utf-8")
    async with ctx.database.session() as session:
        stored = await results.complete(
            session, job.tenant_id, job.id, result, now=now(), report_blob_key=report_key
        )
        current = await jobs.get(session, job.tenant_id, job.id)
    if current is None:  # pragma: no cover - jobs are not deleted while running
        return Outcome.LOST
    if not stored:
        # Cancelled meanwhile, or another delivery completed it first: nothing of ours kept.
        await announce_status(ctx, current)
        return Outcome.CANCELLED if current.status == "cancelled" else Outcome.SKIPPED
    await views.put_result(ctx.cache, job.tenant_id, job.id, result.model_dump_json().encode())
    # The result event goes first: a stream ends at the terminal status that follows it.
    await publish(
        ctx,
        job.id,
        {
            "type": RESULT,
            "job_id": job.id,
            "result_url": f"{base_url(ctx)}/jobs/{job.id}/result",
            "score": result.score,
            "complete": result.complete,
            "summary": result.summary.model_dump(mode="json"),
        },
    )
    await announce_status(ctx, current)
    return Outcome.COMPLETED


class _ProgressReporter:
    """Pipeline events → progress in the row (also a heartbeat), the status cache, and one
    ``guideline`` event per finished guideline."""

    def __init__(self, ctx: ServiceContext, job: JobRecord) -> None:
        self.ctx = ctx
        self.job = job

    async def on_event(self, event: CheckEvent) -> None:
        if isinstance(event, CheckStarted):
            await self._progress(0, event.total)
        elif isinstance(event, GuidelineCompleted):
            if not await self._progress(event.done, event.total):
                return
            await publish(
                self.ctx,
                self.job.id,
                {
                    "type": GUIDELINE,
                    "job_id": self.job.id,
                    "guideline_id": event.guideline_id,
                    "kind": event.kind,
                    "status": event.status,
                    "findings": event.findings,
                    "reason": event.reason,
                    "done": event.done,
                    "total": event.total,
                    "percent": round(100.0 * event.done / event.total, 1) if event.total else 0.0,
                    "resumed": event.resumed,
                },
            )

    async def _progress(self, done: int, total: int) -> bool:
        async with self.ctx.database.session() as session:
            updated = await jobs.update_progress(
                session, self.job.tenant_id, self.job.id, done=done, total=total, now=now()
            )
            current = await jobs.get(session, self.job.tenant_id, self.job.id) if updated else None
        if current is not None:
            await cache_status(self.ctx, current)
        return updated
