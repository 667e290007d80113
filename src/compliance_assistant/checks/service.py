"""The job service as the API uses it: accept checks and cancel them (reads: :mod:`.queries`).

Methods that write take the caller's session and never commit: the endpoint owns the unit of
work, commits it, and only then calls the ``after_*`` step (cache, events). On PostgreSQL the
queue entry is written in the same transaction as the job row; a queue that cannot join it
(embedded mode) is fed after the commit, and a job whose enqueue is lost is re-queued by the
worker's sweep — a queue entry never points at a row that was rolled back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.checks.article import Submission, dedupe_key
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.errors import (
    IdempotencyKeyReusedError,
    JobFinishedError,
    JobNotFoundError,
    TooManyActiveJobsError,
)
from compliance_assistant.checks.events import (
    CANCEL,
    announce_status,
    cache_status,
    publish,
)
from compliance_assistant.checks.repository import views
from compliance_assistant.checks.schemas import JobStatusView
from compliance_assistant.guidelines.service import guideline_set_service, parse_ref
from compliance_assistant.observability import metrics
from compliance_assistant.storage.db import JobRecord, NewJob, idempotency, jobs

logger = logging.getLogger(__name__)
# Jobs take seconds to minutes; a client refused for too many of them retries after this.
ACTIVE_JOBS_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Accepted:
    """The outcome of a submission: a new job, a duplicate's job or an idempotent replay."""

    job: JobRecord
    created: bool
    duplicate_of: str | None = None
    replayed: bool = False
    enqueued: bool = False  # the queue entry was written in the job's transaction


@dataclass(frozen=True)
class EarlyStatus:
    """A new job's status view being cached while its transaction commits.

    Nobody knows a new job's id before the 202 answer carries it, so nobody can read the
    view before the commit; writing it alongside the commit takes one cache round trip off
    the submission's answer. If the commit fails, :meth:`discard` drops the view again.
    """

    job_id: str
    task: asyncio.Task[JobStatusView]

    async def settled(self) -> None:
        await self.task

    async def discard(self, ctx: ServiceContext) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await views.forget_job(ctx.cache, self.job_id)


class _LostIdempotencyRace(Exception):
    def __init__(self, job_id: str) -> None:
        self.job_id = job_id


class CheckService:
    """Stateless; use the module-level ``check_service`` instance."""

    async def submit(
        self,
        ctx: ServiceContext,
        session: AsyncSession,
        *,
        tenant_id: str,
        user_id: str,
        submission: Submission,
        idempotency_key: str | None,
        correlation_id: str | None,
        now: datetime,
    ) -> Accepted:
        """Create the job (or find the one to reuse) in the caller's transaction.

        The article blob is written while the database work runs and is complete before the
        caller commits, so a committed job always has its article; a blob orphaned by a
        failed request is removed by retention.
        """
        if idempotency_key is not None:
            replay = await self._replay(
                session, tenant_id, user_id, idempotency_key, submission=submission, now=now
            )
            if replay is not None:
                return replay
        ref = submission.guideline_set or ctx.settings.catalog.default_set
        set_id, version = parse_ref(ref)
        resolved = await guideline_set_service.resolve(
            session, ctx.catalog, tenant_id, set_id, version
        )
        # Compiles (memoised) and checks the selection: an unknown guideline id is a 422 now.
        guideline_set_service.plan(resolved, ctx.catalog, tenant_id, submission.guidelines)
        window = ctx.settings.retention.dedupe_window_seconds
        job_id = str(uuid.uuid4())
        new_job = NewJob(
            id=job_id,
            tenant_id=tenant_id,
            user_id=user_id,
            guideline_set_id=resolved.id,
            guideline_set_version=resolved.version,
            selected_guidelines=list(dict.fromkeys(submission.guidelines)),
            document_id=submission.document_id,
            title=submission.title,
            input_format=submission.input_format,
            article_blob_key=ctx.layout.article(tenant_id, job_id, submission.extension),
            article_sha256=submission.content_sha256,
            dedupe_key=dedupe_key(tenant_id, submission, resolved.guideline_set.ref),
            correlation_id=correlation_id,
            metadata=submission.metadata,
        )
        blob_key = new_job.article_blob_key
        assert blob_key is not None
        # Written in parallel with the queries below: most submissions are new articles,
        # and the upload is the slowest step. A duplicate's copy is deleted again.
        article = asyncio.create_task(self._store_article(ctx, blob_key, submission))
        try:
            accepted = await self._reuse_or_create(
                ctx,
                session,
                new_job,
                user_id=user_id,
                idempotency_key=idempotency_key,
                submission=submission,
                now=now,
                window=window,
            )
            if accepted.created:
                await article
        except BaseException:
            await _discard(ctx, article, blob_key)
            raise
        if not accepted.created:
            await _discard(ctx, article, blob_key)
        return accepted

    async def _reuse_or_create(
        self,
        ctx: ServiceContext,
        session: AsyncSession,
        new_job: NewJob,
        *,
        user_id: str,
        idempotency_key: str | None,
        submission: Submission,
        now: datetime,
        window: int,
    ) -> Accepted:
        tenant_id = new_job.tenant_id
        assert new_job.dedupe_key is not None
        limit = ctx.settings.limits.max_active_jobs_per_tenant
        # One indexed query for the duplicate and the tenant's active jobs. It is
        # authoritative (status and age are checked with it), so a cached copy of the dedupe
        # key would add a round trip, not save one.
        admission = await jobs.admission(
            session,
            tenant_id,
            new_job.dedupe_key,
            now=now,
            window_seconds=window,
            active_limit=limit,
        )
        existing = None
        if admission.reusable_id is not None:
            existing = await jobs.get(session, tenant_id, admission.reusable_id)
        if existing is not None:
            accepted = Accepted(existing, created=False, duplicate_of=existing.id)
            await self._remember(
                session,
                tenant_id,
                user_id,
                idempotency_key,
                submission=submission,
                accepted=accepted,
                now=now,
                ttl=timedelta(hours=ctx.settings.retention.idempotency_hours),
            )
            return accepted
        # Only a new job counts against the cap: a duplicate or a replay is answered at it.
        _ensure_capacity(admission.active, limit)
        if idempotency_key is None:
            return await self._create(ctx, session, new_job, now=now)
        try:
            # The savepoint lets a lost Idempotency-Key race undo just our row.
            async with session.begin_nested():
                accepted = await self._create(ctx, session, new_job, now=now)
                await self._remember(
                    session,
                    tenant_id,
                    user_id,
                    idempotency_key,
                    submission=submission,
                    accepted=accepted,
                    now=now,
                    ttl=timedelta(hours=ctx.settings.retention.idempotency_hours),
                )
        except _LostIdempotencyRace as lost:
            # A concurrent request with the same key won: our row is rolled back, theirs
            # is the answer.
            winner = await jobs.get(session, tenant_id, lost.job_id)
            if winner is None:  # pragma: no cover - the winner's row committed with its key
                raise JobNotFoundError(lost.job_id) from None
            return Accepted(winner, created=False, replayed=True)
        return accepted

    async def _create(
        self, ctx: ServiceContext, session: AsyncSession, new_job: NewJob, *, now: datetime
    ) -> Accepted:
        """Insert the row, then the queue entry when the queue can join the transaction."""
        job = await jobs.create(session, new_job, now=now)
        # Without a queue (a maintenance tool accepting jobs) the worker's sweep enqueues it.
        queued = ctx.queue is not None and await ctx.queue.enqueue_in(
            session, job.tenant_id, job.id
        )
        return Accepted(job, created=True, enqueued=queued)

    async def _store_article(self, ctx: ServiceContext, key: str, submission: Submission) -> None:
        await ctx.articles.write(
            key,
            submission.payload,
            content_type=submission.content_type,
            metadata=submission.blob_metadata,
        )

    def cache_status_early(self, ctx: ServiceContext, accepted: Accepted) -> EarlyStatus | None:
        """Start caching a new job's status before its commit (:class:`EarlyStatus`); the
        caller passes the result to :meth:`after_accept`, or discards it if the commit
        fails. None for a duplicate or a replay: their views are cached already."""
        if not accepted.created:
            return None
        return EarlyStatus(accepted.job.id, asyncio.create_task(cache_status(ctx, accepted.job)))

    async def after_accept(
        self, ctx: ServiceContext, accepted: Accepted, early: EarlyStatus | None = None
    ) -> None:
        """After the commit: queue a new job and cache its status (or wait for ``early``
        to be cached). Nothing is published: nobody can be subscribed to a job whose id
        they do not know yet."""
        if not accepted.created:
            return
        job = accepted.job
        metrics.JOBS_SUBMITTED.inc()
        logger.info("job accepted", extra={"job_id": job.id})
        if not accepted.enqueued:
            try:
                await ctx.require_queue().enqueue(job.tenant_id, job.id)
            except Exception:  # the sweep re-queues it; the client already has a valid job
                logger.exception("enqueue of job %s failed; the sweep will re-queue it", job.id)
        if early is not None:
            await early.settled()
        else:
            await cache_status(ctx, job)

    async def _replay(
        self,
        session: AsyncSession,
        tenant_id: str,
        user_id: str,
        key: str,
        *,
        submission: Submission,
        now: datetime,
    ) -> Accepted | None:
        record = await idempotency.get(session, tenant_id, user_id, key, now=now)
        if record is None:
            return None
        if record.request_hash != submission.request_hash:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was already used for a different request; use a new "
                "key for a new request.",
                details={"idempotency_key": key, "job_id": record.job_id},
            )
        job = await jobs.get(session, tenant_id, record.job_id)
        if job is None:  # pragma: no cover - jobs are never deleted while their key lives
            return None
        return Accepted(job, created=False, replayed=True)

    async def _remember(
        self,
        session: AsyncSession,
        tenant_id: str,
        user_id: str,
        key: str | None,
        *,
        submission: Submission,
        accepted: Accepted,
        now: datetime,
        ttl: timedelta,
    ) -> None:
        if key is None:
            return
        record, created = await idempotency.remember(
            session,
            tenant_id,
            user_id,
            key,
            request_hash=submission.request_hash,
            job_id=accepted.job.id,
            now=now,
            ttl=ttl,
        )
        if not created:
            if record.request_hash != submission.request_hash:
                raise IdempotencyKeyReusedError(
                    "This Idempotency-Key was already used for a different request.",
                    details={"idempotency_key": key, "job_id": record.job_id},
                )
            raise _LostIdempotencyRace(record.job_id)

    # -- cancellation --------------------------------------------------------------------

    async def cancel(
        self, session: AsyncSession, tenant_id: str, job_id: str, *, now: datetime
    ) -> JobRecord:
        """queued|processing → cancelled; 409 for a finished job, 404 for an unknown one."""
        if not await jobs.cancel(session, tenant_id, job_id, now=now):
            job = await jobs.get(session, tenant_id, job_id)
            if job is None:
                raise JobNotFoundError(job_id)
            raise JobFinishedError(
                f"Job '{job_id}' already ended ({job.status}); nothing to cancel.",
                details={"job_id": job_id, "status": job.status},
            )
        job = await jobs.get(session, tenant_id, job_id)
        if job is None:  # pragma: no cover - updated just above in this transaction
            raise JobNotFoundError(job_id)
        return job

    async def after_cancel(self, ctx: ServiceContext, job: JobRecord) -> JobStatusView:
        """After the commit: tell the worker to stop (its heartbeat notices too) and clients."""
        await publish(ctx, job.id, {"type": CANCEL, "job_id": job.id})
        return await announce_status(ctx, job)


check_service = CheckService()


def _ensure_capacity(active: int, limit: int) -> None:
    if active >= limit:
        raise TooManyActiveJobsError(
            f"Your organisation has {active} checks queued or running, the most allowed at "
            f"once ({limit}); retry when some have finished.",
            retry_after=ACTIVE_JOBS_RETRY_SECONDS,
            details={"active_jobs": active, "limit": limit},
        )


async def _discard(ctx: ServiceContext, article: asyncio.Task[None], key: str) -> None:
    """Stop or undo a speculative article upload; retention catches whatever is left."""
    article.cancel()
    await asyncio.gather(article, return_exceptions=True)
    try:
        await ctx.blob.delete(key)
    except Exception as exc:
        logger.warning("could not delete unused article blob %s: %s", key, exc)
