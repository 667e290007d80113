"""Embedded mode's queue: the same task function, dispatched by asyncio in this process.

Fed from the jobs table, not from memory alone: at start every unfinished job is re-queued
(one left ``processing`` belonged to this data folder's previous, now dead, process), and the
periodic sweep enqueues any queued job that is missing. Not Procrastinate's in-memory
connector, which is a test tool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.admin.tasks import run_retention
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.execution import ExecutionDeps, now
from compliance_assistant.checks.tasks import run_check_job
from compliance_assistant.observability.tracing import attached, current_carrier
from compliance_assistant.storage.db import jobs
from compliance_assistant.worker.runtime import worker_name
from compliance_assistant.worker.sweep import sweep_forever

logger = logging.getLogger(__name__)

Runner = Callable[[str, str, str], Awaitable[object]]


class InProcessQueue:
    """``JobQueue`` over an ``asyncio.Queue`` with ``concurrency`` consumer tasks.

    ``runner(tenant_id, job_id, delivery_id)`` runs one delivery; a job id already waiting is
    not queued twice. The enqueuer's trace context travels with the item and is current
    while the delivery runs.
    """

    def __init__(self, runner: Runner, *, concurrency: int) -> None:
        self._runner = runner
        self._concurrency = concurrency
        self._queue: asyncio.Queue[tuple[str, str, dict[str, str]]] = asyncio.Queue()
        self._waiting: set[str] = set()
        self._consumers: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[Any]] = set()
        self._deliveries = 0
        self._stopping = False

    async def enqueue(self, tenant_id: str, job_id: str) -> None:
        if job_id in self._waiting:
            return
        self._waiting.add(job_id)
        self._queue.put_nowait((tenant_id, job_id, current_carrier()))

    async def enqueue_in(self, session: AsyncSession, tenant_id: str, job_id: str) -> bool:
        del session, tenant_id, job_id  # memory cannot join a database transaction
        return False

    async def check(self) -> None:
        if not self._consumers or all(task.done() for task in self._consumers):
            raise RuntimeError("the in-process worker is not running")

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    @property
    def running(self) -> int:
        return len(self._busy)

    def start(self) -> None:
        if self._consumers:
            return
        self._stopping = False
        self._consumers = [
            asyncio.create_task(self._consume(), name=f"embedded-worker-{i}")
            for i in range(self._concurrency)
        ]

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Take no more jobs; give running ones ``grace_seconds`` to finish, then cancel them
        (a cancelled job is handed back, and re-queued at the next start at the latest)."""
        self._stopping = True
        for task in self._consumers:
            if task not in self._busy:
                task.cancel()
        busy = [task for task in self._consumers if task in self._busy]
        if busy and grace_seconds > 0:
            await asyncio.wait(busy, timeout=grace_seconds)
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers = []

    async def _consume(self) -> None:
        current = asyncio.current_task()
        assert current is not None
        while not self._stopping:
            tenant_id, job_id, trace_context = await self._queue.get()
            self._waiting.discard(job_id)
            self._deliveries += 1
            self._busy.add(current)
            try:
                with attached(trace_context):
                    await self._runner(tenant_id, job_id, f"emb-{self._deliveries}")
            except asyncio.CancelledError:
                raise
            except Exception:  # one broken delivery must not stop the consumer
                logger.exception("embedded delivery of job %s failed", job_id)
            finally:
                self._busy.discard(current)
                self._queue.task_done()


async def requeue_unfinished(ctx: ServiceContext, queue: InProcessQueue) -> int:
    """At start: hand every unfinished job of the data folder to the queue again."""
    async with ctx.database.session() as session:
        unfinished = await jobs.unfinished(session)
        for ref in unfinished:
            if ref.status == "processing":
                # This process just started, so whoever heart-beat it is gone.
                await jobs.release_stalled(
                    session,
                    ref.tenant_id,
                    ref.id,
                    heartbeat_before=now() + timedelta(days=1),
                    now=now(),
                )
    for ref in unfinished:
        await queue.enqueue(ref.tenant_id, ref.id)
    if unfinished:
        logger.info("re-queued %d unfinished job(s) from the last run", len(unfinished))
    return len(unfinished)


@contextlib.asynccontextmanager
async def embedded_worker(
    ctx: ServiceContext, deps: ExecutionDeps
) -> AsyncIterator[InProcessQueue]:
    """Attach an in-process queue to ``ctx`` and run jobs, the sweep and retention in this
    process until the context exits (``compliance serve``)."""
    name = worker_name()

    async def run(tenant_id: str, job_id: str, delivery: str) -> object:
        return await run_check_job(deps, tenant_id, job_id, worker_id=f"{name}/{delivery}")

    settings = ctx.settings.worker
    queue = InProcessQueue(run, concurrency=settings.concurrency)
    ctx.queue = queue
    await requeue_unfinished(ctx, queue)
    queue.start()
    loops = [
        asyncio.create_task(sweep_forever(ctx, queue), name="embedded-sweep"),
        asyncio.create_task(_retention_forever(deps), name="embedded-retention"),
    ]
    try:
        yield queue
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await queue.stop(settings.shutdown_grace_seconds)


async def _retention_forever(deps: ExecutionDeps) -> None:
    interval = deps.ctx.settings.worker.retention_interval_seconds
    while True:
        try:
            await run_retention(deps)
        except Exception:
            logger.exception("retention failed; trying again in %g s", interval)
        await asyncio.sleep(interval)
