"""Reading jobs for the API: status (cache first), results with dismissals, listings.

Another tenant's job is ``JobNotFoundError`` whether its view is cached or not. Readers
limited to their own jobs (``owner``, from ``api/roles.py``) get the same answer for another
user's job.
"""

from __future__ import annotations

from datetime import datetime

from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.errors import JobNotCompletedError, JobNotFoundError
from compliance_assistant.checks.events import base_url
from compliance_assistant.checks.feedback import apply_decisions, feedback_service
from compliance_assistant.checks.repository import OtherTenantError, views
from compliance_assistant.checks.schemas import JobList, JobStatusView, status_view
from compliance_assistant.engine.result import CheckResult
from compliance_assistant.storage.db import jobs, results
from compliance_assistant.storage.db.jobs import JobStatus

# A job's submitter never changes, so it can be remembered for good (bounded).
_MAX_REMEMBERED_OWNERS = 50_000


class JobQueries:
    """Use the module-level ``job_queries`` instance. Its only state is the owners of jobs
    seen (immutable facts), so own-jobs checks on status polls cost no round trip."""

    def __init__(self) -> None:
        self._owners: dict[tuple[str, str], str | None] = {}

    async def ensure_owner(
        self, ctx: ServiceContext, tenant_id: str, job_id: str, owner: str | None
    ) -> None:
        """``JobNotFoundError`` unless ``owner`` is None (any job of the tenant) or the job
        was submitted by ``owner``."""
        if owner is None:
            return
        key = (tenant_id, job_id)
        if key not in self._owners:
            async with ctx.database.read_session() as session:
                job = await jobs.get(session, tenant_id, job_id)
            if job is None:
                raise JobNotFoundError(job_id)
            if len(self._owners) >= _MAX_REMEMBERED_OWNERS:
                self._owners.clear()
            self._owners[key] = job.user_id
        if self._owners[key] != owner:
            raise JobNotFoundError(job_id)

    async def status_json(
        self, ctx: ServiceContext, tenant_id: str, job_id: str, *, owner: str | None = None
    ) -> bytes:
        """The status view as JSON: from the cache when warm, else the database (then cached).
        Another tenant's job is ``JobNotFoundError``, cached or not."""
        await self.ensure_owner(ctx, tenant_id, job_id, owner)
        try:
            cached = await views.get_status(ctx.cache, tenant_id, job_id)
        except OtherTenantError:
            raise JobNotFoundError(job_id) from None
        if cached is not None:
            return cached
        return (await self.refresh(ctx, tenant_id, job_id)).model_dump_json().encode()

    async def status(
        self, ctx: ServiceContext, tenant_id: str, job_id: str, *, owner: str | None = None
    ) -> JobStatusView:
        raw = await self.status_json(ctx, tenant_id, job_id, owner=owner)
        return JobStatusView.model_validate_json(raw)

    async def refresh(self, ctx: ServiceContext, tenant_id: str, job_id: str) -> JobStatusView:
        """Read the status from the database and re-cache it."""
        async with ctx.database.read_session() as session:
            job = await jobs.get(session, tenant_id, job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        view = status_view(job, base_url(ctx))
        await views.put_status(ctx.cache, tenant_id, job_id, view.model_dump_json().encode())
        return view

    async def result(
        self, ctx: ServiceContext, tenant_id: str, job_id: str, *, owner: str | None = None
    ) -> CheckResult:
        """The Result contract with dismissals re-applied; ``JobNotCompletedError`` (409)
        with the current status while the job has not completed."""
        view = await self.status(ctx, tenant_id, job_id, owner=owner)
        if view.status != "completed":
            # The cached status may lag a completion by a few milliseconds: confirm.
            view = await self.refresh(ctx, tenant_id, job_id)
        if view.status != "completed":
            raise JobNotCompletedError(
                job_id,
                view.status,
                {
                    "progress": view.progress.model_dump(),
                    "status_url": f"{base_url(ctx)}/jobs/{job_id}/status",
                },
            )
        try:
            cached = await views.get_result(ctx.cache, tenant_id, job_id)
        except OtherTenantError:  # pragma: no cover - the status check above already failed
            raise JobNotFoundError(job_id) from None
        async with ctx.database.read_session() as session:
            if cached is not None:
                stored = CheckResult.model_validate_json(cached)
            else:
                found = await results.get(session, tenant_id, job_id)
                if found is None:
                    raise JobNotFoundError(job_id)
                stored = found
                await views.put_result(
                    ctx.cache, tenant_id, job_id, stored.model_dump_json().encode()
                )
            decisions = await feedback_service.decisions(session, tenant_id, stored.document_id)
        return apply_decisions(stored, decisions)

    async def list_jobs(
        self,
        ctx: ServiceContext,
        tenant_id: str,
        *,
        limit: int,
        cursor: str | None,
        status: list[JobStatus],
        created_from: datetime | None,
        created_to: datetime | None,
        owner: str | None = None,
    ) -> JobList:
        async with ctx.database.read_session() as session:
            page = await jobs.list_page(
                session,
                tenant_id,
                limit=limit,
                cursor=cursor,
                status=status,
                created_from=created_from,
                created_to=created_to,
                user_id=owner,
            )
        base = base_url(ctx)
        return JobList(
            items=[status_view(j, base) for j in page.items], next_cursor=page.next_cursor
        )


job_queries = JobQueries()
