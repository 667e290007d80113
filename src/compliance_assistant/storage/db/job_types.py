"""Value types of the jobs repository: what goes in, what comes out, and the page cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from compliance_assistant.errors import InputError
from compliance_assistant.storage.db.models import Job

JobStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]
ACTIVE_STATUSES: tuple[JobStatus, ...] = ("queued", "processing")
REUSABLE_STATUSES: tuple[JobStatus, ...] = ("queued", "processing", "completed")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class NewJob:
    """What the API knows when it accepts a check."""

    tenant_id: str
    guideline_set_id: str
    guideline_set_version: int
    input_format: str
    article_sha256: str
    user_id: str | None = None
    selected_guidelines: Sequence[str] = ()
    document_id: str | None = None
    title: str | None = None
    article_blob_key: str | None = None
    dedupe_key: str | None = None
    progress_total: int = 0
    correlation_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None  # generated (uuid4) when not given


@dataclass(frozen=True)
class JobRecord:
    id: str
    tenant_id: str
    user_id: str | None
    status: JobStatus
    guideline_set_id: str
    guideline_set_version: int
    selected_guidelines: tuple[str, ...]
    document_id: str | None
    title: str | None
    input_format: str
    article_blob_key: str | None
    article_sha256: str
    dedupe_key: str | None
    progress_done: int
    progress_total: int
    error_code: str | None
    error_message: str | None
    attempts: int
    worker_id: str | None
    heartbeat_at: datetime | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    correlation_id: str | None
    metadata: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE_STATUSES


@dataclass(frozen=True)
class JobRef:
    """Enough to re-enqueue or inspect a job found by a sweep."""

    tenant_id: str
    id: str
    status: JobStatus
    attempts: int
    heartbeat_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class JobPage:
    items: list[JobRecord]
    next_cursor: str | None


def job_record(row: Job) -> JobRecord:
    return JobRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        status=row.status,  # type: ignore[arg-type]  # column is str; values are checked by a CHECK constraint  # guarded by the CHECK constraint
        guideline_set_id=row.guideline_set_id,
        guideline_set_version=row.guideline_set_version,
        selected_guidelines=tuple(row.selected_guidelines),
        document_id=row.document_id,
        title=row.title,
        input_format=row.input_format,
        article_blob_key=row.article_blob_key,
        article_sha256=row.article_sha256,
        dedupe_key=row.dedupe_key,
        progress_done=row.progress_done,
        progress_total=row.progress_total,
        error_code=row.error_code,
        error_message=row.error_message,
        attempts=row.attempts,
        worker_id=row.worker_id,
        heartbeat_at=row.heartbeat_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        correlation_id=row.correlation_id,
        metadata=dict(row.metadata_),
    )


def job_ref(row: Job) -> JobRef:
    return JobRef(
        tenant_id=row.tenant_id,
        id=row.id,
        status=row.status,  # type: ignore[arg-type]  # column is str; values are checked by a CHECK constraint
        attempts=row.attempts,
        heartbeat_at=row.heartbeat_at,
        created_at=row.created_at,
    )


def encode_cursor(created_at: datetime, job_id: str) -> str:
    """Opaque, URL-safe cursor for the position *after* the given job."""
    raw = json.dumps([created_at.isoformat(), job_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Inverse of :func:`encode_cursor`; a tampered or foreign cursor is an InputError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = json.loads(raw)
        when = datetime.fromisoformat(created)
        if when.tzinfo is None or not isinstance(job_id, str):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InputError("Invalid pagination cursor", details={"cursor": cursor}) from exc
    return when, job_id
