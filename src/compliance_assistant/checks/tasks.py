"""The job task: what a queue delivery of ``(tenant_id, job_id)`` runs, in both run modes.

Thin by design: claim the job by id, hand it to :mod:`.execution`, and decide what a failure
means. Transient failures (database, blob storage or network hiccups) are retried with
exponential backoff inside the delivery; every claim counts an attempt, so deliveries after a
crash share the same budget (``worker.max_attempts``). Anything else fails the job with its
code and reason — a job never ends silently.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from compliance_assistant.checks.execution import ExecutionDeps, Outcome, claim, execute, fail
from compliance_assistant.engine.errors import EngineError
from compliance_assistant.engine.ports import CacheUnavailable
from compliance_assistant.errors import ComplianceError
from compliance_assistant.storage.blob import BlobError

logger = logging.getLogger(__name__)

TASK_NAME = "checks.run"


class _Exhausted(Exception):
    pass


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: the service failed, not the job's input."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated
    return isinstance(exc, BlobError | CacheUnavailable | ConnectionError | TimeoutError)


async def run_check_job(
    deps: ExecutionDeps, tenant_id: str, job_id: str, *, worker_id: str
) -> Outcome:
    """Run one delivery of a job. Never raises for a job-level failure (it is recorded on the
    job); cancellation of the delivery itself (shutdown) propagates."""
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
