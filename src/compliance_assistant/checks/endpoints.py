"""Job endpoints: submit a check, follow it (status, SSE), read its result, cancel, list,
and give feedback on findings. Each endpoint owns its unit of work: it commits, then calls
the service's post-commit step."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sse_starlette import EventSourceResponse
from starlette.datastructures import UploadFile

from compliance_assistant.api.deps import (
    CorrelationId,
    FeedbackGiver,
    JobCanceller,
    JobReader,
    Services,
    State,
    Writer,
)
from compliance_assistant.api.errors import ErrorBody, error_responses
from compliance_assistant.api.params import IsoDateTime
from compliance_assistant.audit import log as audit
from compliance_assistant.checks.article import Submission, from_json, from_upload
from compliance_assistant.checks.errors import JobNotFoundError
from compliance_assistant.checks.events import base_url
from compliance_assistant.checks.feedback import feedback_service
from compliance_assistant.checks.queries import job_queries
from compliance_assistant.checks.schemas import (
    CheckMetadata,
    CheckRequest,
    FeedbackRequest,
    FeedbackView,
    JobAccepted,
    JobList,
    JobStatusView,
    accepted_view,
)
from compliance_assistant.checks.service import EarlyStatus, check_service
from compliance_assistant.checks.stream import job_events
from compliance_assistant.config import LimitsSettings
from compliance_assistant.engine.result import CheckResult
from compliance_assistant.errors import InputError, UnsupportedFormatError
from compliance_assistant.ingest.zip_safety import screen_upload
from compliance_assistant.storage.db import results
from compliance_assistant.storage.db.jobs import JobStatus

router = APIRouter()
JSON = "application/json"

_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": ".docx .pdf .md .html .txt"},
        "title": {"type": "string"},
        "guideline_set": {"type": "string", "description": "id or id@version"},
        "guidelines": {"type": "array", "items": {"type": "string"}},
        "metadata": {"type": "string", "description": "JSON object (document_id, product_id…)"},
    },
}
# CheckRequest's cross-field rule (its _content_matches_format validator) in JSON Schema, so
# clients and the fuzzer know that word-blocks takes `blocks` and every other format a
# non-blank `article_text`.
_CHECK_REQUEST_SCHEMA = {
    "allOf": [{"$ref": "#/components/schemas/CheckRequest"}],
    "if": {"properties": {"format": {"const": "word-blocks"}}, "required": ["format"]},
    "then": {
        "required": ["blocks"],
        "properties": {"blocks": {"type": "array"}, "article_text": {"type": "null"}},
    },
    "else": {
        "required": ["article_text"],
        "properties": {
            "article_text": {"type": "string", "pattern": "\\S"},
            "blocks": {"type": "null"},
        },
    },
}
_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {"schema": _CHECK_REQUEST_SCHEMA},
            "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
        },
    }
}


@router.post(
    "/compliance/check",
    tags=["checks"],
    status_code=202,
    response_model=JobAccepted,
    openapi_extra=_SUBMIT_BODY,
    responses={
        200: {"model": JobAccepted, "description": "A duplicate: the existing job"},
        **error_responses(400, 401, 403, 404, 413, 415, 422, 429),
    },
)
async def submit_check(
    request: Request,
    state: State,
    principal: Writer,
    correlation_id: CorrelationId,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
    ] = None,
) -> Response:
    """Queue a check of JSON text (text, markdown, html, word-blocks) or an uploaded file.

    202 + ``Location`` for a new job. 200 with ``deduplicated: true`` and ``duplicate_of``
    when the same article was submitted within the dedupe window with the same guideline set
    version and selection (a queued, processing or completed job is reused). The same
    ``Idempotency-Key`` (per user, 24 h) returns the first answer's job
    (``Idempotent-Replayed: true``); with a different body it is a 422.
    """
    ctx = state.ctx
    # The submit rate limit is checked by the router's dependency (api.rate_limits); the
    # tenant's cap on active jobs by the submission, in its transaction.
    submission = await _read_submission(request, ctx.settings.limits)
    early: EarlyStatus | None = None
    try:
        async with ctx.database.session() as session:
            accepted = await check_service.submit(
                ctx,
                session,
                tenant_id=principal.tenant_id,
                user_id=principal.user_id,
                submission=submission,
                idempotency_key=idempotency_key,
                correlation_id=correlation_id,
                now=datetime.now(UTC),
            )
            # Same unit of work as the job: no extra transaction on the submit path.
            audit.record(
                session,
                tenant_id=principal.tenant_id,
                actor=principal.actor,
                action=audit.CHECK_SUBMITTED,
                target=accepted.job.id,
                correlation_id=correlation_id,
                details={"created": accepted.created, "replayed": accepted.replayed},
            )
            early = check_service.cache_status_early(ctx, accepted)
    except BaseException:
        if early is not None:  # the commit failed: the job does not exist
            await early.discard(ctx)
        raise
    await check_service.after_accept(ctx, accepted, early)
    body = accepted_view(accepted.job, base_url(ctx), duplicate_of=accepted.duplicate_of)
    headers = {"Location": body["status_url"]}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    status = 200 if accepted.duplicate_of is not None else 202
    return JSONResponse(body, status_code=status, headers=headers)


async def _read_submission(request: Request, limits: LimitsSettings) -> Submission:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == JSON or media.endswith("+json"):
        try:
            payload = CheckRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        return from_json(payload, limits)
    if media == "multipart/form-data":
        return await _read_upload(request, limits)
    raise UnsupportedFormatError(
        f"Unsupported content type '{media or 'none'}': send application/json or "
        "multipart/form-data with a 'file'.",
        details={"content_type": media},
    )


async def _read_upload(request: Request, limits: LimitsSettings) -> Submission:
    async with request.form(max_files=1, max_fields=64) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InputError("A multipart submission needs the article in a 'file' field.")
        data = await upload.read()
        # Zip and XML bombs are refused now (400), off the event loop, not in the job.
        await asyncio.to_thread(
            screen_upload,
            data,
            filename=upload.filename,
            content_type=upload.content_type,
            max_unpacked_bytes=limits.max_docx_unpacked_bytes,
        )
        text = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        guidelines = [
            part.strip()
            for value in form.getlist("guidelines")
            if isinstance(value, str)
            for part in value.split(",")
            if part.strip()
        ]
        metadata = _form_metadata(text.get("metadata"))
        for key in ("document_id", "product_id"):
            if text.get(key):
                metadata[key] = text[key]
        try:
            checked = CheckMetadata.model_validate(metadata).model_dump(exclude_none=True)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        return from_upload(
            data,
            filename=upload.filename,
            content_type=upload.content_type,
            title=text.get("title") or None,
            guideline_set=text.get("guideline_set") or None,
            guidelines=tuple(guidelines),
            metadata=checked,
            limits=limits,
        )


def _form_metadata(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise InputError("The 'metadata' field must be a JSON object.") from None
    if not isinstance(value, dict):
        raise InputError("The 'metadata' field must be a JSON object.")
    return value


@router.get(
    "/jobs/{job_id}/status",
    tags=["jobs"],
    response_model=JobStatusView,
    responses=error_responses(401, 403, 404, 429),
)
async def job_status(job_id: str, ctx: Services, principal: JobReader) -> Response:
    """The job's status and progress (from the cache when warm)."""
    body = await job_queries.status_json(ctx, principal.tenant_id, job_id, owner=principal.owner)
    return Response(body, media_type=JSON)


@router.get(
    "/jobs/{job_id}/result",
    tags=["jobs"],
    response_model=CheckResult,
    responses={
        **error_responses(401, 403, 404, 429),
        409: {
            "model": ErrorBody,
            "description": "JOB_NOT_COMPLETED, with the current status in details",
        },
    },
)
async def job_result(
    job_id: str, ctx: Services, principal: JobReader, correlation_id: CorrelationId
) -> Response:
    """The Result contract, with dismissals of the same document re-applied."""
    result = await job_queries.result(ctx, principal.tenant_id, job_id, owner=principal.owner)
    await audit.record_alone(
        ctx.database,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action=audit.RESULT_READ,
        target=job_id,
        correlation_id=correlation_id,
    )
    return Response(result.model_dump_json(), media_type=JSON)


@router.get(
    "/jobs/{job_id}/report",
    tags=["jobs"],
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}, **error_responses(401, 403, 404, 409, 429)},
)
async def job_report(job_id: str, ctx: Services, principal: JobReader) -> Response:
    """The HTML report of a completed job."""
    # 404 / 409 as for results
    await job_queries.result(ctx, principal.tenant_id, job_id, owner=principal.owner)
    async with ctx.database.read_session() as session:
        key = await results.report_key(session, principal.tenant_id, job_id)
    if key is None:
        raise JobNotFoundError(job_id)
    return Response(await ctx.blob.get(key), media_type="text/html; charset=utf-8")


@router.get(
    "/jobs/{job_id}/events",
    tags=["jobs"],
    response_class=Response,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"},
        **error_responses(401, 403, 404, 429),
    },
)
async def job_event_stream(job_id: str, state: State, principal: JobReader) -> Response:
    """Server-sent events: the status first, then status changes, one ``guideline`` event per
    finished guideline, ``result`` with the result link; the stream ends with the job."""
    ctx = state.ctx
    # 404 before streaming
    await job_queries.status(ctx, principal.tenant_id, job_id, owner=principal.owner)
    return EventSourceResponse(
        job_events(ctx, principal.tenant_id, job_id),
        ping=ctx.settings.api.sse_keepalive_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.delete(
    "/jobs/{job_id}",
    tags=["jobs"],
    response_model=JobStatusView,
    responses=error_responses(401, 403, 404, 409, 429),
)
async def cancel_job(
    job_id: str, ctx: Services, principal: JobCanceller, correlation_id: CorrelationId
) -> JobStatusView:
    """Cancel a queued or processing job: unfinished guideline checks are cancelled, finished
    ones stay in the job's checkpoint; the status becomes ``cancelled``. 409 if it ended."""
    await job_queries.ensure_owner(ctx, principal.tenant_id, job_id, principal.owner)
    async with ctx.database.session() as session:
        job = await check_service.cancel(
            session, principal.tenant_id, job_id, now=datetime.now(UTC)
        )
        audit.record(
            session,
            tenant_id=principal.tenant_id,
            actor=principal.actor,
            action=audit.JOB_CANCELLED,
            target=job_id,
            correlation_id=correlation_id,
        )
    return await check_service.after_cancel(ctx, job)


@router.get(
    "/jobs",
    tags=["jobs"],
    response_model=JobList,
    responses=error_responses(400, 401, 403, 422, 429),
)
async def list_jobs(
    ctx: Services,
    principal: JobReader,
    *,
    status: Annotated[list[JobStatus] | None, Query(description="Repeatable.")] = None,
    created_from: Annotated[IsoDateTime | None, Query(description="Inclusive, ISO 8601.")] = None,
    created_to: Annotated[IsoDateTime | None, Query(description="Exclusive, ISO 8601.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> JobList:
    """The caller's tenant's jobs (a writer's own only), newest first; pass ``next_cursor``
    back as ``cursor``."""
    return await job_queries.list_jobs(
        ctx,
        principal.tenant_id,
        limit=limit,
        cursor=cursor,
        status=list(status or []),
        created_from=_aware(created_from),
        created_to=_aware(created_to),
        owner=principal.owner,
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@router.post(
    "/findings/{finding_id}/feedback",
    tags=["feedback"],
    status_code=201,
    response_model=FeedbackView,
    responses=error_responses(400, 401, 403, 404, 413, 422, 429),
)
async def finding_feedback(
    finding_id: str,
    body: FeedbackRequest,
    ctx: Services,
    principal: FeedbackGiver,
    correlation_id: CorrelationId,
) -> FeedbackView:
    """Dismiss or accept a finding with a reason (writers on their own jobs, reviewers on
    any). The decision is kept per document and fingerprint and shown in every later result
    of the same article."""
    await job_queries.ensure_owner(ctx, principal.tenant_id, body.job_id, principal.owner)
    async with ctx.database.session() as session:
        view = await feedback_service.record(
            session,
            principal.tenant_id,
            finding_id,
            body,
            actor=principal.actor,
            now=datetime.now(UTC),
        )
        audit.record(
            session,
            tenant_id=principal.tenant_id,
            actor=principal.actor,
            action=audit.FINDING_FEEDBACK,
            target=finding_id,
            correlation_id=correlation_id,
            details={"job_id": body.job_id, "decision": body.action},
        )
    return view
