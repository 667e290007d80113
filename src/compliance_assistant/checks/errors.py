"""Errors of the job services. Each maps to one HTTP status and a stable ``code``."""

from __future__ import annotations

from typing import Any

from compliance_assistant.errors import (
    ComplianceError,
    InputError,
    NotFoundError,
    RetryLaterError,
)


class JobNotFoundError(NotFoundError):
    """Unknown job id, or another tenant's: the answer is the same, so ids do not leak."""

    code = "JOB_NOT_FOUND"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job '{job_id}'.", details={"job_id": job_id})


class FindingNotFoundError(NotFoundError):
    code = "FINDING_NOT_FOUND"


class GuidelineSetNotFoundError(NotFoundError):
    code = "GUIDELINE_SET_NOT_FOUND"


class ConflictError(ComplianceError):
    code = "CONFLICT"
    status_code = 409


class JobNotCompletedError(ConflictError):
    """The result was asked for before the job completed; ``details.status`` says where it is."""

    code = "JOB_NOT_COMPLETED"

    def __init__(self, job_id: str, status: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(
            f"Job '{job_id}' has no result: it is {status}.",
            details={"job_id": job_id, "status": status, **(details or {})},
        )


class JobFinishedError(ConflictError):
    code = "JOB_ALREADY_FINISHED"


class ReadOnlyGuidelineSetError(ConflictError):
    code = "GUIDELINE_SET_READ_ONLY"


class IdempotencyKeyReusedError(InputError):
    """The Idempotency-Key was used (within 24 h) for a different request body."""

    code = "IDEMPOTENCY_KEY_REUSED"
    status_code = 422


class TooManyActiveJobsError(RetryLaterError):
    """The tenant already has ``limits.max_active_jobs_per_tenant`` jobs queued or running."""

    code = "TOO_MANY_ACTIVE_JOBS"
    status_code = 429
