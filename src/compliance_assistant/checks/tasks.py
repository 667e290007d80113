"""The job task: what a queue delivery of ``(tenant_id, job_id)`` runs, in both run modes.

Thin by design: claim the job by id, hand it to :mod:`.execution`, and decide what a failure
means. Transient failures (database, blob storage or network hiccups) are retried with
exponential backoff inside the delivery; every claim counts an attempt, so deliveries after a
crash share the same budget (``worker.max_attempts``). Anything else fails the job with its
code and reason — a job never ends silently.

Each delivery is one ``job`` span (a child of the submitting request's span when the queue
entry carried its trace context) and its log lines carry the job id, the tenant and the
request's correlation id (stored on the job row).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from structlog.contextvars import bind_contextvars, reset_contextvars
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from compliance_assistant.checks.execution import (
    ExecutionDeps,
    Outcome,
    claim,
    execute,
    fail,
    now,
)
from compliance_assistant.engine.errors import EngineError
from compliance_assistant.engine.ports import CacheUnavailable
from compliance_assistant.errors import ComplianceError
from compliance_assistant.observability import metrics
from compliance_assistant.observability.logging import job_context
from compliance_assistant.observability.tracing import SpanKind, span
from compliance_assistant.storage.blob import BlobError
from compliance_assistant.storage.db import JobRecord

logger = logging.getLogger(__name__)

TASK_NAME = "checks.run"


class _Exhausted(Exception):
    pass


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: the service failed, not the job's input."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated
    return isinstance(exc, BlobError | CacheUnavailable | ConnectionError | TimeoutError)


_ENDED = (Outcome.COMPLETED, Outcome.FAILED, Outcome.CANCELLED)


async def run_check_job(
    deps: ExecutionDeps, tenant_id: str, job_id: str, *, worker_id: str
) -> Outcome:
    """Run one delivery of a job. Never raises for a job-level failure (it is recorded on the
    job); cancellation of the delivery itself (shutdown) propagates."""
    claimed: list[JobRecord] = []
    tokens: dict[str, Any] = {}
    with (
        job_context(job_id=job_id, tenant_id=tenant_id),
        span(
            "job checks.run",
            kind=SpanKind.CONSUMER,
            attributes={"job.id": job_id, "tenant.id": tenant_id, "worker.id": worker_id},
        ) as job_span,
    ):

        def on_claim(job: JobRecord) -> None:
            if not claimed and job.correlation_id:
                tokens.update(bind_contextvars(correlation_id=job.correlation_id))
                job_span.set_attribute("correlation_id", job.correlation_id)
            if not claimed:
                logger.info("job started", extra={"attempt": job.attempts})
            claimed.append(job)

        try:
            outcome = await _deliver(deps, tenant_id, job_id, worker_id, on_claim)
            job_span.set_attribute("job.outcome", outcome.value)
            if claimed and outcome in _ENDED:
                seconds = (now() - claimed[0].created_at).total_seconds()
                metrics.JOB_DURATION.labels(outcome.value).observe(seconds)
                logger.info(
                    "job ended",
                    extra={"outcome": outcome.value, "duration_seconds": round(seconds, 3)},
                )
            return outcome
        finally:
            if tokens:
                reset_contextvars(**tokens)


async def _deliver(
    deps: ExecutionDeps,
    tenant_id: str,
    job_id: str,
    worker_id: str,
    on_claim: Callable[[JobRecord], None],
) -> Outcome:
    settings = deps.ctx.settings.worker
    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.max_attempts),
        wait=wait_exponential(
            multiplier=settings.retry_initial_seconds, max=settings.retry_max_seconds
        ),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )
    last_job = None
    try:
        async for attempt in retrying:
            with attempt:
                job = await claim(deps, tenant_id, job_id, worker_id)
                if job is None:
                    return Outcome.SKIPPED
                on_claim(job)
                last_job = job
                if job.attempts > settings.max_attempts:
                    raise _Exhausted
                return await execute(deps, job, worker_id)
    except _Exhausted:
        assert last_job is not None
        return await fail(
            deps,
            last_job,
            "ATTEMPTS_EXHAUSTED",
            f"The job was started {last_job.attempts - 1} times without finishing "
            f"(worker.max_attempts is {settings.max_attempts}).",
        )
    except (ComplianceError, EngineError) as exc:
        if last_job is None:
            raise
        code = exc.code if isinstance(exc, ComplianceError) else "INVALID_DEFINITION"
        return await fail(deps, last_job, code, str(exc))
    except Exception as exc:
        if last_job is None:
            raise
        if is_transient(exc):
            code, message = "TRANSIENT_FAILURE", f"gave up after retries: {exc}"
        else:
            logger.exception("job %s failed unexpectedly", job_id)
            code, message = "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"
        return await fail(deps, last_job, code, message)
    raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover
