"""Jobs: creation, tenant-scoped reads, cursor pagination and state transitions.

Every method takes the caller's ``AsyncSession`` and never commits. State changes are single
conditional UPDATEs (``WHERE status IN …``), so two workers or a worker and a cancel request
cannot both win; each returns whether it changed the row. The sweep queries (stalled, old
queued, unfinished, retention) are deliberately cross-tenant: they serve the operator's
recovery jobs, not a tenant's request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, null, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.errors import InputError
from compliance_assistant.storage.db.base import UtcDateTime
from compliance_assistant.storage.db.job_types import (
    ACTIVE_STATUSES,
    MAX_PAGE_SIZE,
    REUSABLE_STATUSES,
    JobPage,
    JobRecord,
    JobRef,
    JobStatus,
    NewJob,
    decode_cursor,
    encode_cursor,
    job_record,
    job_ref,
)
from compliance_assistant.storage.db.models import Job

__all__ = [
    "ACTIVE_STATUSES",
    "REUSABLE_STATUSES",
    "Admission",
    "JobPage",
    "JobRecord",
    "JobRef",
    "JobRepository",
    "JobStatus",
    "NewJob",
    "decode_cursor",
    "encode_cursor",
    "jobs",
]


@dataclass(frozen=True)
class Admission:
    """See :meth:`JobRepository.admission`."""

    active: int
    reusable_id: str | None


class JobRepository:
    """SQL for the ``jobs`` table. Stateless; use the module-level ``jobs`` instance."""

    async def create(self, session: AsyncSession, job: NewJob, *, now: datetime) -> JobRecord:
        """Insert a queued job and return it (flushed, not committed)."""
        row = Job(
            id=job.id or str(uuid.uuid4()),
            tenant_id=job.tenant_id,
            user_id=job.user_id,
            status="queued",
            guideline_set_id=job.guideline_set_id,
            guideline_set_version=job.guideline_set_version,
            selected_guidelines=list(job.selected_guidelines),
            document_id=job.document_id,
            title=job.title,
            input_format=job.input_format,
            article_blob_key=job.article_blob_key,
            article_sha256=job.article_sha256,
            dedupe_key=job.dedupe_key,
            progress_done=0,
            progress_total=job.progress_total,
            attempts=0,
            created_at=now,
            updated_at=now,
            correlation_id=job.correlation_id,
            metadata_=dict(job.metadata),
        )
        session.add(row)
        await session.flush()
        return job_record(row)

    async def get(self, session: AsyncSession, tenant_id: str, job_id: str) -> JobRecord | None:
        """The job, or None when it does not exist *or belongs to another tenant*."""
        row = await session.scalar(select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id))
        return job_record(row) if row is not None else None

    def _page_query(
        self,
        tenant_id: str,
        *,
        status: Sequence[JobStatus],
        created_from: datetime | None,
        created_to: datetime | None,
        user_id: str | None,
        cursor: str | None,
    ) -> Select[Job]:
        query = select(Job).where(Job.tenant_id == tenant_id)
        if status:
            query = query.where(Job.status.in_(list(status)))
        if created_from is not None:
            query = query.where(Job.created_at >= created_from)
        if created_to is not None:
            query = query.where(Job.created_at < created_to)
        if user_id is not None:
            query = query.where(Job.user_id == user_id)
        if cursor is not None:
            after_created, after_id = decode_cursor(cursor)
            # Row-value comparison matches the (tenant_id, created_at, id) index order.
            query = query.where(tuple_(Job.created_at, Job.id) < (after_created, after_id))
        return query.order_by(Job.created_at.desc(), Job.id.desc())

    async def list_page(
        self,
        session: AsyncSession,
        tenant_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        status: Sequence[JobStatus] = (),
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        user_id: str | None = None,
    ) -> JobPage:
        """Newest first, keyset-paginated on (created_at, id): pages never repeat or skip a
        job, even while new jobs arrive. ``created_to`` is exclusive."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InputError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        query = self._page_query(
            tenant_id,
            status=status,
            created_from=created_from,
            created_to=created_to,
            user_id=user_id,
            cursor=cursor,
        )
        rows = list(await session.scalars(query.limit(limit + 1)))
        items = [job_record(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_cursor(last.created_at, last.id)
        return JobPage(items=items, next_cursor=next_cursor)

    async def admission(
        self,
        session: AsyncSession,
        tenant_id: str,
        dedupe_key: str,
        *,
        now: datetime,
        window_seconds: float,
        active_limit: int,
    ) -> Admission:
        """What a submission must know before it creates a job, in one round trip: the newest
        reusable job with this dedupe key (queued, processing or completed, created within
        the window; DESIGN §9) and the tenant's active jobs, counted up to ``active_limit``
        (the count is only compared with that limit, so it reads at most that many entries
        of the (tenant_id, status, created_at, id) index however many jobs wait)."""
        active = (
            select(literal(1))
            .where(Job.tenant_id == tenant_id, Job.status.in_(ACTIVE_STATUSES))
            .limit(active_limit)
            .subquery()
        )
        active_count = select(func.count()).select_from(active).scalar_subquery()
        reusable: Any = null()
        if window_seconds > 0:
            reusable = (
                select(Job.id)
                .where(
                    Job.dedupe_key == dedupe_key,
                    Job.tenant_id == tenant_id,
                    Job.status.in_(REUSABLE_STATUSES),
                    Job.created_at >= now - timedelta(seconds=window_seconds),
                )
                .order_by(Job.created_at.desc(), Job.id.desc())
                .limit(1)
                .scalar_subquery()
            )
        row = (
            await session.execute(select(active_count.label("active"), reusable.label("reusable")))
        ).one()
        return Admission(active=int(row.active or 0), reusable_id=row.reusable)

    async def _transition(
        self,
        session: AsyncSession,
        tenant_id: str,
        job_id: str,
        *conditions: Any,
        **values: Any,
    ) -> bool:
        result = await session.execute(
            update(Job)
            .where(Job.tenant_id == tenant_id, Job.id == job_id, *conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult; typed Result

    async def claim(
        self,
        session: AsyncSession,
        tenant_id: str,
        job_id: str,
        *,
        worker_id: str,
        now: datetime,
        stale_after_seconds: float = 120,
    ) -> bool:
        """Mark the job processing by ``worker_id``. Succeeds for a queued job, for one this
        worker already holds (task retry), or for one whose holder stopped heart-beating for
        ``stale_after_seconds`` (crashed worker); counts an attempt. False otherwise —
        including cancelled and finished jobs, which the worker must then skip."""
        stale_before = now - timedelta(seconds=stale_after_seconds)
        claimable = (Job.status == "queued") | (
            (Job.status == "processing")
            & ((Job.worker_id == worker_id) | (Job.heartbeat_at < stale_before))
        )
        return await self._transition(
            session,
            tenant_id,
            job_id,
            claimable,
            status="processing",
            worker_id=worker_id,
            heartbeat_at=now,
            updated_at=now,
            started_at=func.coalesce(Job.started_at, literal(now, UtcDateTime())),
            attempts=Job.attempts + 1,
        )

    async def heartbeat(
        self,
        session: AsyncSession,
        tenant_id: str,
        job_id: str,
        *,
        worker_id: str,
        now: datetime,
    ) -> bool:
        """Refresh the heartbeat. False means the job is no longer this worker's to run
        (cancelled, or taken over after a stall): the worker should stop."""
        return await self._transition(
            session,
            tenant_id,
            job_id,
            Job.status == "processing",
            Job.worker_id == worker_id,
            heartbeat_at=now,
            updated_at=now,
        )

    async def update_progress(
        self,
        session: AsyncSession,
        tenant_id: str,
        job_id: str,
        *,
        done: int,
        total: int | None = None,
        now: datetime,
    ) -> bool:
        """Record progress (and a heartbeat) on a processing job; False if it is not."""
        values: dict[str, Any] = {"progress_done": done, "heartbeat_at": now, "updated_at": now}
        if total is not None:
            values["progress_total"] = total
        return await self._transition(
            session, tenant_id, job_id, Job.status == "processing", **values
        )

    async def mark_completed(
        self, session: AsyncSession, tenant_id: str, job_id: str, *, now: datetime
    ) -> bool:
        """queued|processing → completed. Use ``results.complete`` to store the result with
        it; this alone is for callers that store nothing else."""
        return await self._transition(
            session,
            tenant_id,
            job_id,
            Job.status.in_(ACTIVE_STATUSES),
            status="completed",
            finished_at=now,
            updated_at=now,
            progress_done=Job.progress_total,
            error_code=None,
            error_message=None,
        )

    async def fail(
        self,
        session: AsyncSession,
        tenant_id: str,
        job_id: str,
        *,
        code: str,
        message: str,
        now: datetime,
    ) -> bool:
        """queued|processing → failed with a reason; False if already finished."""
        return await self._transition(
            session,
            tenant_id,
            job_id,
            Job.status.in_(ACTIVE_STATUSES),
            status="failed",
            error_code=code,
            error_message=message,
            finished_at=now,
            updated_at=now,
        )

    async def cancel(
        self, session: AsyncSession, tenant_id: str, job_id: str, *, now: datetime
    ) -> bool:
        """queued|processing → cancelled; False if already finished or not this tenant's."""
        return await self._transition(
            session,
            tenant_id,
            job_id,
            Job.status.in_(ACTIVE_STATUSES),
            status="cancelled",
            finished_at=now,
            updated_at=now,
        )

    async def release_stalled(
        self,
        session: AsyncSession,
        tenant_id: str,
        job_id: str,
        *,
        heartbeat_before: datetime,
        now: datetime,
    ) -> bool:
        """processing → queued for a job whose heartbeat is still older than the threshold
        (re-checked here, so a worker that revived meanwhile keeps its job)."""
        return await self._transition(
            session,
            tenant_id,
            job_id,
            Job.status == "processing",
            Job.heartbeat_at < heartbeat_before,
            status="queued",
            worker_id=None,
            updated_at=now,
        )

    async def stalled(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        heartbeat_timeout_seconds: float,
        limit: int = 100,
    ) -> list[JobRef]:
        """Processing jobs (any tenant) whose heartbeat is older than the timeout, oldest
        heartbeat first."""
        before = now - timedelta(seconds=heartbeat_timeout_seconds)
        rows = await session.scalars(
            select(Job)
            .where(Job.status == "processing", Job.heartbeat_at < before)
            .order_by(Job.heartbeat_at)
            .limit(limit)
        )
        return [job_ref(row) for row in rows]

    async def queued_older_than(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        age_seconds: float,
        limit: int = 100,
    ) -> list[JobRef]:
        """Queued jobs (any tenant) created before ``now - age``: candidates for re-enqueueing
        when the enqueue after the commit was lost."""
        before = now - timedelta(seconds=age_seconds)
        rows = await session.scalars(
            select(Job)
            .where(Job.status == "queued", Job.created_at < before)
            .order_by(Job.created_at)
            .limit(limit)
        )
        return [job_ref(row) for row in rows]

    async def unfinished(self, session: AsyncSession, *, limit: int = 1000) -> list[JobRef]:
        """Queued and processing jobs, oldest first: what embedded mode re-queues on start."""
        rows = await session.scalars(
            select(Job)
            .where(Job.status.in_(ACTIVE_STATUSES))
            .order_by(Job.created_at, Job.id)
            .limit(limit)
        )
        return [job_ref(row) for row in rows]

    async def expire_articles(
        self, session: AsyncSession, *, created_before: datetime, limit: int = 500
    ) -> list[str]:
        """Detach the article blob of jobs created before the cutoff and return the blob keys
        for the caller to delete (results and reports stay). Call repeatedly until empty."""
        rows = list(
            await session.execute(
                select(Job.id, Job.article_blob_key)
                .where(Job.created_at < created_before, Job.article_blob_key.is_not(None))
                .order_by(Job.created_at)
                .limit(limit)
            )
        )
        if not rows:
            return []
        await session.execute(
            update(Job)
            .where(Job.id.in_([job_id for job_id, _ in rows]))
            .values(article_blob_key=None)
            .execution_options(synchronize_session=False)
        )
        return [key for _, key in rows if key is not None]


jobs = JobRepository()
