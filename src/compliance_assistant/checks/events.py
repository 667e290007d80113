"""Job events on the bus (``job:events:{id}``) and the status cache, kept in step.

Event types (each a JSON object with ``type``):

* ``status`` — ``{"type": "status", "status": <JobStatusView>}``: queued, processing, and the
  terminal completed / failed / cancelled;
* ``guideline`` — one guideline finished: ``guideline_id, kind, status, findings, reason,
  done, total``;
* ``result`` — the job completed: ``job_id, result_url, score, complete, summary``;
* ``cancel`` — a request to the worker running the job to stop (sent by ``DELETE``).

Publishing is best effort (events are at-most-once; the SSE endpoint re-reads the status when
a stream is quiet), so a bus outage never fails a request or a job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.repository import views
from compliance_assistant.checks.schemas import JobStatusView, api_base, status_view
from compliance_assistant.engine.ports import CacheUnavailable
from compliance_assistant.storage.db import JobRecord

logger = logging.getLogger(__name__)

STATUS = "status"
GUIDELINE = "guideline"
RESULT = "result"
CANCEL = "cancel"


def base_url(ctx: ServiceContext) -> str:
    public = ctx.settings.api.public_url
    return api_base(str(public) if public is not None else None)


async def publish(ctx: ServiceContext, job_id: str, event: Mapping[str, Any]) -> None:
    try:
        await ctx.events.publish(job_id, event)
    except CacheUnavailable as exc:
        logger.warning("job event for %s not published: %s", job_id, exc)


async def cache_status(ctx: ServiceContext, job: JobRecord) -> JobStatusView:
    """Write the job's status view to the cache and return it."""
    view = status_view(job, base_url(ctx))
    await views.put_status(ctx.cache, job.tenant_id, job.id, view.model_dump_json().encode())
    return view


async def announce_status(ctx: ServiceContext, job: JobRecord) -> JobStatusView:
    """Cache the status, then tell subscribers: a client that reads the cache after the
    event never sees an older status than the event carried."""
    view = await cache_status(ctx, job)
    await publish(ctx, job.id, {"type": STATUS, "status": view.model_dump(mode="json")})
    return view
