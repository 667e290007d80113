"""Request and response bodies of the job API (field and status names follow the reference
architecture: ``job_id``, ``status``, ``progress``, ``result_url`` …)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compliance_assistant.ingest import WordBlock
from compliance_assistant.storage.db import JobRecord
from compliance_assistant.storage.db.jobs import JobStatus

API_PREFIX = "/api/v1"
TextFormat = Literal["text", "markdown", "html", "word-blocks"]


class CheckMetadata(BaseModel):
    """Client metadata kept with the job. ``document_id`` keys dismissals (DESIGN §9: the
    add-in stores one in the document; default: the content hash); ``product_id`` narrows the
    GTC search. Other keys are stored and returned as given."""

    model_config = ConfigDict(extra="allow")

    document_id: str | None = Field(None, min_length=1, max_length=200)
    product_id: str | None = Field(None, min_length=1, max_length=200)


class CheckRequest(BaseModel):
    """``POST /compliance/check`` as JSON. ``article_text`` for text, markdown and html;
    ``blocks`` (the Word add-in's paragraphs) for ``word-blocks``."""

    model_config = ConfigDict(extra="forbid")

    article_text: str | None = None
    blocks: list[WordBlock] | None = None
    format: TextFormat = "text"
    title: str | None = Field(None, max_length=500)
    guideline_set: str | None = Field(
        None, max_length=120, description="Set id or id@version; default: the configured set."
    )
    guidelines: list[str] = Field(
        default_factory=list, max_length=500, description="Run only these guideline ids."
    )
    metadata: CheckMetadata = Field(default_factory=CheckMetadata)

    @model_validator(mode="after")
    def _content_matches_format(self) -> Self:
        if self.format == "word-blocks":
            if self.blocks is None:
                raise ValueError("format 'word-blocks' needs 'blocks' (the document's paragraphs)")
            if self.article_text is not None:
                raise ValueError("send either 'blocks' (word-blocks) or 'article_text', not both")
        else:
            if self.article_text is None:
                raise ValueError(f"format '{self.format}' needs 'article_text'")
            if self.blocks is not None:
                raise ValueError("'blocks' is only accepted with format 'word-blocks'")
        return self


class JobLinks(BaseModel):
    status_url: str
    result_url: str
    events_url: str


class JobAccepted(JobLinks):
    """The answer to a submission: 202 for a new job, 200 for an existing duplicate
    (``deduplicated`` true, ``duplicate_of`` its id)."""

    job_id: str
    status: JobStatus
    created_at: datetime
    deduplicated: bool = False
    duplicate_of: str | None = None


class Progress(BaseModel):
    done: int
    total: int
    percent: float


class JobError(BaseModel):
    code: str
    message: str


class SetRef(BaseModel):
    id: str
    version: int


class JobStatusView(BaseModel):
    """``GET /jobs/{id}/status``; also each item of ``GET /jobs`` and the SSE status event."""

    job_id: str
    status: JobStatus
    progress: Progress
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    guideline_set: SetRef
    document_id: str | None = None
    title: str | None = None
    attempts: int = 0
    result_url: str | None = None
    error: JobError | None = None


class JobList(BaseModel):
    items: list[JobStatusView]
    next_cursor: str | None = None


class FeedbackRequest(BaseModel):
    """A decision on one finding of one job (finding ids are unique within a job)."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(min_length=1, max_length=36)
    action: Literal["dismiss", "accept"]
    reason: str = Field(min_length=1, max_length=2000)


class FeedbackView(BaseModel):
    finding_id: str
    job_id: str
    document_id: str
    fingerprint: str
    guideline_id: str
    action: Literal["dismiss", "accept"]
    reason: str
    actor: str
    created_at: datetime


def api_base(public_url: str | None) -> str:
    """``https://host/api/v1`` when a public URL is configured, else ``/api/v1``."""
    return (public_url or "").rstrip("/") + API_PREFIX


def job_links(base: str, job_id: str) -> JobLinks:
    return JobLinks(
        status_url=f"{base}/jobs/{job_id}/status",
        result_url=f"{base}/jobs/{job_id}/result",
        events_url=f"{base}/jobs/{job_id}/events",
    )


def status_view(job: JobRecord, base: str) -> JobStatusView:
    total = max(job.progress_total, job.progress_done)
    if job.status == "completed":
        done, percent = total, 100.0
    else:
        done = job.progress_done
        percent = round(100.0 * done / total, 1) if total else 0.0
    error = None
    if job.error_code is not None:
        error = JobError(code=job.error_code, message=job.error_message or "")
    return JobStatusView(
        job_id=job.id,
        status=job.status,
        progress=Progress(done=done, total=total, percent=percent),
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        guideline_set=SetRef(id=job.guideline_set_id, version=job.guideline_set_version),
        document_id=job.document_id,
        title=job.title,
        attempts=job.attempts,
        result_url=f"{base}/jobs/{job.id}/result" if job.status == "completed" else None,
        error=error,
    )


def accepted_view(job: JobRecord, base: str, *, duplicate_of: str | None = None) -> dict[str, Any]:
    links = job_links(base, job.id)
    return JobAccepted(
        job_id=job.id,
        status=job.status,
        created_at=job.created_at,
        deduplicated=duplicate_of is not None,
        duplicate_of=duplicate_of,
        **links.model_dump(),
    ).model_dump(mode="json")
