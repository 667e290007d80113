"""Production queue: Procrastinate on PostgreSQL.

The API defers ``checks.run(tenant_id, job_id)`` on the connection of the transaction that
inserts the job row (Procrastinate accepts an external connection), so the row and its queue
entry commit together; the job id is the queueing lock (one waiting delivery per job). The
sweep re-enqueues jobs through the queue's own pool. Workers run the same task function as
embedded mode; retention runs hourly as a periodic task (once per hour across all workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Status
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.admin.tasks import RETENTION_TASK_NAME, run_retention
from compliance_assistant.checks.context import ServiceContext, open_service_context
from compliance_assistant.checks.execution import ExecutionDeps
from compliance_assistant.checks.tasks import TASK_NAME, run_check_job
from compliance_assistant.config import Settings
from compliance_assistant.observability.collectors import ScrapeSources
from compliance_assistant.observability.exposition import process_exiting
from compliance_assistant.observability.server import serve_metrics
from compliance_assistant.observability.tracing import attached, current_carrier
from compliance_assistant.worker.runtime import open_worker_deps, worker_name
from compliance_assistant.worker.sweep import sweep, sweep_forever

logger = logging.getLogger(__name__)
# Longest wait between attempts to reach the database after the queue worker lost it.
RECONNECT_MAX_SECONDS = 30.0

DEPS_KEY = "compliance_deps"
NAME_KEY = "compliance_worker_name"
# Finished Procrastinate rows (not our jobs table) are kept this long for inspection.
_KEEP_QUEUE_HISTORY_HOURS = 24


def conninfo(database_url: str) -> str:
    """psycopg's conninfo from the SQLAlchemy URL (``postgresql+psycopg://`` → ``postgresql://``)."""
    scheme, _, rest = database_url.partition("://")
    if not scheme.startswith("postgresql"):
        raise ValueError(
            "the production worker and API need PostgreSQL (COMPLIANCE_DATABASE__URL="
            "postgresql+psycopg://…); use `compliance serve` for the embedded SQLite mode"
        )
    return f"postgresql://{rest}"


def build_app(settings: Settings, *, max_pool: int = 10) -> App:
    """The Procrastinate app with the job task and the periodic retention task."""
    kwargs: dict[str, Any] = {}
    if settings.database.disable_prepared_statements:
        kwargs["prepare_threshold"] = None
    connector = PsycopgConnector(
        conninfo=conninfo(settings.database.url or ""),
        min_size=1,
        max_size=max_pool,
        kwargs=kwargs,
    )
    app = App(connector=connector)

    @app.task(name=TASK_NAME, pass_context=True, queue=settings.worker.queue_name)
    async def run_check(
        context: JobContext,
        tenant_id: str,
        job_id: str,
        trace_context: dict[str, str] | None = None,
    ) -> str:
        deps: ExecutionDeps = context.additional_context[DEPS_KEY]
        delivery = f"{context.additional_context[NAME_KEY]}/{context.job.id}"
        # The submitting request's trace continues in this worker (docs/observability.md).
        with attached(trace_context):
            outcome = await run_check_job(deps, tenant_id, job_id, worker_id=delivery)
        return outcome.value

    @app.periodic(cron="17 * * * *")
    @app.task(
        name=RETENTION_TASK_NAME,
        pass_context=True,
        queue=settings.worker.queue_name,
        queueing_lock=RETENTION_TASK_NAME,
    )
    async def retention(context: JobContext, timestamp: int) -> None:
        del timestamp  # the scheduled time; retention uses the current time
        deps: ExecutionDeps = context.additional_context[DEPS_KEY]
        await run_retention(deps)
        await app.job_manager.delete_old_jobs(
            nb_hours=_KEEP_QUEUE_HISTORY_HOURS, include_failed=True, include_cancelled=True
        )

    return app


class ProcrastinateQueue:
    """``JobQueue`` on Procrastinate; also closes deliveries of dead workers (sweep step 1)."""

    def __init__(self, app: App, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def enqueue(self, tenant_id: str, job_id: str) -> None:
        task = self.app.configure_task(
            TASK_NAME, queueing_lock=job_id, queue=self.settings.worker.queue_name
        )
        with contextlib.suppress(AlreadyEnqueued):
            await task.defer_async(tenant_id=tenant_id, job_id=job_id, **_trace_argument())

    async def enqueue_in(self, session: AsyncSession, tenant_id: str, job_id: str) -> bool:
        """Defer on the session's own psycopg connection: the queue entry is part of the
        transaction that inserts the job (Procrastinate's external-connection support)."""
        if session.get_bind().dialect.name != "postgresql":
            return False
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        task = self.app.configure_task(
            TASK_NAME,
            queueing_lock=job_id,
            queue=self.settings.worker.queue_name,
            connection=raw,
        )
        await task.defer_async(tenant_id=tenant_id, job_id=job_id, **_trace_argument())
        return True

    async def check(self) -> None:
        if not await self.app.check_connection_async():
            raise RuntimeError("the Procrastinate schema is missing: run `compliance migrate`")

    async def recover(self) -> int:
        """Close deliveries held by workers that stopped heart-beating (the job itself is
        re-queued from the jobs table) and forget those workers."""
        seconds = self.settings.worker.stalled_after_seconds
        manager = self.app.job_manager
        stalled = list(
            await manager.get_stalled_jobs(task_name=TASK_NAME, seconds_since_heartbeat=seconds)
        )
        for job in stalled:
            await manager.finish_job(job, Status.FAILED, delete_job=False)
        await manager.prune_stalled_workers(seconds)
        return len(stalled)


def _trace_argument() -> dict[str, Any]:
    """The current trace context as the task's ``trace_context`` argument (none without)."""
    carrier = current_carrier()
    return {"trace_context": carrier} if carrier else {}


@contextlib.asynccontextmanager
async def open_production_queue(
    settings: Settings, *, max_pool: int = 10
) -> AsyncIterator[ProcrastinateQueue]:
    """An opened queue for deferring (the API process)."""
    app = build_app(settings, max_pool=max_pool)
    async with app.open_async():
        yield ProcrastinateQueue(app, settings)


async def run_worker(settings: Settings, *, install_signal_handlers: bool = True) -> None:
    """``compliance worker``: recover, then run jobs until SIGINT/SIGTERM (running jobs get
    ``worker.shutdown_grace_seconds``, then are handed back to the queue)."""
    async with contextlib.AsyncExitStack() as stack:
        ctx = await stack.enter_async_context(open_service_context(settings))
        queue = await stack.enter_async_context(open_production_queue(settings))
        ctx.queue = queue
        deps = await stack.enter_async_context(open_worker_deps(ctx))
        if settings.worker.metrics_port:
            await stack.enter_async_context(
                serve_metrics(
                    ScrapeSources(ctx.database),
                    host=settings.worker.metrics_host,
                    port=settings.worker.metrics_port,
                )
            )
        stack.callback(process_exiting)
        await run_worker_in(ctx, queue, deps, install_signal_handlers=install_signal_handlers)


async def run_worker_in(
    ctx: ServiceContext,
    queue: ProcrastinateQueue,
    deps: ExecutionDeps,
    *,
    install_signal_handlers: bool = False,
) -> None:
    """Run a worker over already-open dependencies (tests run one beside the API).

    Procrastinate stops its worker when the database goes away (its LISTEN connection
    fails). That is not a reason for the process to exit: we wait for the database to come
    back and start a new one, and the recovery sweep re-queues what was interrupted. Only a
    signal (or cancelling this coroutine) ends the loop.
    """
    settings = ctx.settings.worker
    name = worker_name()
    report = await sweep(ctx, queue, recover_queue=queue.recover)
    logger.info("worker %s starting; recovery: %s", name, report)
    maintenance = asyncio.create_task(sweep_forever(ctx, queue, recover_queue=queue.recover))
    stopping = asyncio.Event()
    if install_signal_handlers:
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stopping.set)
    try:
        while not stopping.is_set():
            worker = asyncio.create_task(
                queue.app.run_worker_async(
                    name=name,
                    concurrency=settings.concurrency,
                    additional_context={DEPS_KEY: deps, NAME_KEY: name},
                    install_signal_handlers=False,
                    update_heartbeat_interval=settings.heartbeat_seconds,
                    stalled_worker_timeout=settings.stalled_after_seconds,
                    shutdown_graceful_timeout=settings.shutdown_grace_seconds,
                    delete_jobs="successful",
                )
            )
            await _until_stopped_or_ended(worker, stopping)
            if stopping.is_set():
                break
            failure = worker.exception() if not worker.cancelled() else None
            logger.error(
                "worker %s: the queue worker stopped (%s); reconnecting when the database is back",
                name,
                failure or "its database connection was lost",
            )
            await _wait_for_database(queue, stopping)
    finally:
        if install_signal_handlers:
            loop = asyncio.get_running_loop()
            for signal_number in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signal_number)
        maintenance.cancel()
        await asyncio.gather(maintenance, return_exceptions=True)


async def _until_stopped_or_ended(worker: asyncio.Task[None], stopping: asyncio.Event) -> None:
    """Wait for the queue worker to end by itself, or stop it gracefully on a signal.
    Cancelling Procrastinate's worker task is its graceful shutdown (running jobs get
    ``shutdown_grace_seconds``, then are handed back)."""
    signalled = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({worker, signalled}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        signalled.cancel()
        if not worker.done():
            worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def _wait_for_database(queue: ProcrastinateQueue, stopping: asyncio.Event) -> None:
    """Bounded exponential backoff (1 s doubling to 30 s) until the queue's database
    answers again, or a stop is requested."""
    delay = 1.0
    while not stopping.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=delay)
            return
        try:
            if await queue.app.check_connection_async():
                logger.info("database reachable again; restarting the queue worker")
                return
        except Exception as exc:  # still down: keep waiting
            logger.info("database still unreachable (%s); retrying in %.0f s", exc, delay)
        delay = min(delay * 2, RECONNECT_MAX_SECONDS)
