"""Building jobs and worker dependencies directly, without the HTTP layer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from compliance_assistant.checks.article import from_json
from compliance_assistant.checks.context import ServiceContext, open_service_context
from compliance_assistant.checks.execution import ExecutionDeps
from compliance_assistant.checks.schemas import CheckRequest
from compliance_assistant.checks.service import check_service
from compliance_assistant.config import Settings
from compliance_assistant.storage.blob import BlobError, BlobInfo, BlobStore
from compliance_assistant.storage.db import JobRecord, jobs
from compliance_assistant.storage.db.migrate import migrate
from compliance_assistant.worker.runtime import open_worker_deps


async def submit_direct(
    ctx: ServiceContext,
    text: str,
    *,
    tenant: str = "local",
    now: datetime | None = None,
    **request: Any,
) -> JobRecord:
    """Accept a job as the API would, without enqueueing it."""
    submission = from_json(CheckRequest(article_text=text, **request), ctx.settings.limits)
    async with ctx.database.session() as session:
        accepted = await check_service.submit(
            ctx,
            session,
            tenant_id=tenant,
            user_id="tester",
            submission=submission,
            idempotency_key=None,
            correlation_id=None,
            now=now or datetime.now(UTC),
        )
    return accepted.job


async def get_job(ctx: ServiceContext, tenant: str, job_id: str) -> JobRecord:
    async with ctx.database.read_session() as session:
        job = await jobs.get(session, tenant, job_id)
    assert job is not None
    return job


async def wait_status(
    ctx: ServiceContext, tenant: str, job_id: str, status: str, seconds: float = 20.0
) -> JobRecord:
    """Poll the job row until it has ``status`` (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        job = await get_job(ctx, tenant, job_id)
        if job.status == status:
            return job
        if loop.time() > deadline:
            raise AssertionError(f"job {job_id} is {job.status}, not {status}, after {seconds} s")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def worker_deps(settings: Settings) -> AsyncIterator[ExecutionDeps]:
    """A migrated database, the service context and the pipeline, as a worker has them."""
    if settings.database.url and settings.database.url.startswith("sqlite"):
        await migrate(settings.database.url)
    async with open_service_context(settings) as ctx, open_worker_deps(ctx) as deps:
        yield deps


class FlakyBlobStore:
    """A blob store whose ``get`` fails ``failures`` times before working (an outage)."""

    def __init__(self, inner: BlobStore, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.calls = 0

    async def get(self, key: str) -> bytes:
        self.calls += 1
        if self.calls <= self.failures:
            raise BlobError(f"simulated outage #{self.calls}")
        return await self.inner.get(key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> BlobInfo:
        return await self.inner.put(key, data, content_type=content_type, metadata=metadata)

    async def info(self, key: str) -> BlobInfo | None:
        return await self.inner.info(key)

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    async def delete(self, key: str) -> bool:
        return await self.inner.delete(key)

    def list_prefix(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        return self.inner.list_prefix(prefix)

    async def close(self) -> None:
        await self.inner.close()
