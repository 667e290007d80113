"""The SSE stream of one job (``GET /jobs/{id}/events``).

Subscribe first, then read the status snapshot, then relay live events: a client that connects
late misses nothing (DESIGN §9). SSE event names: ``status`` (snapshot, then each change),
``guideline`` (one per finished guideline, with progress), ``result`` (the job completed: the
result link, score and summary). The stream ends after the terminal status. When the bus is
quiet for ``api.sse_poll_seconds`` the status is re-read, so a missed event (at-most-once
delivery, Redis outage) delays the stream but never stalls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.events import GUIDELINE, RESULT, STATUS, base_url
from compliance_assistant.checks.queries import job_queries
from compliance_assistant.checks.schemas import JobStatusView
from compliance_assistant.engine.ports import CacheUnavailable
from compliance_assistant.storage.events import Subscription

logger = logging.getLogger(__name__)
TERMINAL = frozenset({"completed", "failed", "cancelled"})


def sse(event: str, data: dict[str, Any]) -> dict[str, str]:
    """One SSE message as sse-starlette takes it."""
    return {"event": event, "data": json.dumps(data, separators=(",", ":"), default=str)}


async def job_events(
    ctx: ServiceContext, tenant_id: str, job_id: str
) -> AsyncIterator[dict[str, str]]:
    poll = ctx.settings.api.sse_poll_seconds
    async with contextlib.AsyncExitStack() as stack:
        subscription: Subscription | None = None
        try:
            subscription = await stack.enter_async_context(ctx.events.subscribe(job_id))
        except CacheUnavailable as exc:
            logger.warning("job %s events: bus unavailable (%s); polling the status", job_id, exc)
        view = await job_queries.status(ctx, tenant_id, job_id)
        yield sse(STATUS, view.model_dump(mode="json"))
        result_sent = False
        while view.status not in TERMINAL:
            event = await _next(subscription, poll)
            if event is None:
                latest = await job_queries.status(ctx, tenant_id, job_id)
                if latest != view:
                    view = latest
                    yield sse(STATUS, view.model_dump(mode="json"))
                continue
            kind = event.get("type")
            if kind == STATUS:
                view = JobStatusView.model_validate(event["status"])
                yield sse(STATUS, event["status"])
            elif kind == GUIDELINE:
                yield sse(GUIDELINE, {k: v for k, v in event.items() if k != "type"})
            elif kind == RESULT:
                result_sent = True
                yield sse(RESULT, {k: v for k, v in event.items() if k != "type"})
        if view.status == "completed" and not result_sent:
            yield sse(
                RESULT,
                {"job_id": job_id, "result_url": f"{base_url(ctx)}/jobs/{job_id}/result"},
            )


async def _next(subscription: Subscription | None, wait: float) -> dict[str, Any] | None:
    if subscription is not None:
        try:
            return await subscription.next(timeout=wait)
        except CacheUnavailable:
            pass  # the bus dropped: fall back to polling at the same pace
    await asyncio.sleep(wait)
    return None
