"""ORM models of the application schema. Alembic migrations are the source of truth for the
database; these models must match them (``alembic check`` in the test-suite proves it).

Every table carries ``tenant_id``; repositories filter by it on every query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from compliance_assistant.storage.db.base import Base, JsonType, UtcDateTime

JOB_STATUSES = ("queued", "processing", "completed", "failed", "cancelled")
FEEDBACK_ACTIONS = ("dismiss", "accept")

_TENANT = String(100)
_JOB_ID = String(36)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        # Listing with a status filter, newest first; id makes the keyset order total.
        Index(None, "tenant_id", "status", "created_at", "id"),
        # Cursor pagination over all of a tenant's jobs: (created_at, id) < cursor.
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "dedupe_key"),
        # Stalled-job sweep: processing jobs whose heartbeat is old.
        Index(None, "status", "heartbeat_at"),
    )

    id: Mapped[str] = mapped_column(_JOB_ID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(_TENANT)
    user_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    guideline_set_id: Mapped[str] = mapped_column(String(100))
    guideline_set_version: Mapped[int] = mapped_column(Integer)
    selected_guidelines: Mapped[list[str]] = mapped_column(JsonType)
    document_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    input_format: Mapped[str] = mapped_column(String(32))
    article_blob_key: Mapped[str | None] = mapped_column(String(1024))
    article_sha256: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(64))
    progress_done: Mapped[int] = mapped_column(Integer)
    progress_total: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    # "metadata" is reserved on declarative classes; the column keeps the contract's name.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType)


class JobResult(Base):
    """The verdict on one guideline of one job."""

    __tablename__ = "job_results"
    __table_args__ = (UniqueConstraint("job_id", "guideline_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(_JOB_ID, ForeignKey("jobs.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(_TENANT)
    position: Mapped[int] = mapped_column(Integer)
    guideline_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)


class FindingRow(Base):
    """One finding. Finding ids are unique within a job, so the key is (job_id, id)."""

    __tablename__ = "findings"
    __table_args__ = (
        Index(None, "job_id", "guideline_id"),
        Index(None, "tenant_id", "guideline_id"),
    )

    job_id: Mapped[str] = mapped_column(
        _JOB_ID, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(_TENANT)
    position: Mapped[int] = mapped_column(Integer)
    guideline_id: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    span_line: Mapped[int | None] = mapped_column(Integer)
    span_column: Mapped[int | None] = mapped_column(Integer)
    block_id: Mapped[str | None] = mapped_column(String(100))
    quote: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    source: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float | None] = mapped_column(Float)
    link: Mapped[str | None] = mapped_column(Text)
    dismissed: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class ResultRow(Base):
    """The job-level part of a Result; guidelines and findings live in their own tables."""

    __tablename__ = "results"
    # Analytics: a tenant's completed checks in a date range (migration 0004).
    __table_args__ = (Index(None, "tenant_id", "created_at"),)

    job_id: Mapped[str] = mapped_column(
        _JOB_ID, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(_TENANT, index=True)
    status: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[str | None] = mapped_column(String(200))
    guideline_set_id: Mapped[str] = mapped_column(String(100))
    guideline_set_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer)
    complete: Mapped[bool] = mapped_column(Boolean)
    errors: Mapped[int] = mapped_column(Integer)
    warnings_count: Mapped[int] = mapped_column(Integer)
    infos: Mapped[int] = mapped_column(Integer)
    not_run: Mapped[int] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(String(100))
    usage: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    timings: Mapped[dict[str, float]] = mapped_column(JsonType)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    gtc_documents: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    document: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    report_blob_key: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Feedback(Base):
    """The latest decision on a finding, per (tenant, document, fingerprint) (DESIGN §9)."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("tenant_id", "document_id", "fingerprint"),
        CheckConstraint(_in("action", FEEDBACK_ACTIONS), name="action"),
        # Analytics: a tenant's dismissals in a date range (migration 0004).
        Index(None, "tenant_id", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(_TENANT)
    document_id: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    finding_id: Mapped[str | None] = mapped_column(String(64))
    job_id: Mapped[str | None] = mapped_column(_JOB_ID)
    guideline_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GuidelineSetVersion(Base):
    """One immutable version of a tenant's guideline set (the YAML text as written)."""

    __tablename__ = "guideline_sets"
    __table_args__ = (UniqueConstraint("tenant_id", "set_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(_TENANT)
    set_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    yaml_text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(_TENANT, index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    roles: Mapped[list[str]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "key"),
        Index(None, "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(_TENANT)
    user_id: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(_JOB_ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEvent(Base):
    """One entry of the append-only audit log: who did what, in which tenant, when.

    Rows are only inserted (and purged after the retention period); on PostgreSQL a trigger
    from migration 0003 rejects any other UPDATE or DELETE (docs/security.md, "Audit log").
    """

    __tablename__ = "audit_log"
    # Listing a tenant's events newest first; id makes the keyset order total.
    __table_args__ = (
        Index(None, "tenant_id", "created_at", "id"),
        # The retention purge deletes across tenants by age.
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(_TENANT)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(500))
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
