"""``GET /metrics`` on the API (not in the OpenAPI schema; scraped by Prometheus, job
``compliance-api``). Unauthenticated like the health probes: expose it on the internal
network only (docs/observability.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from compliance_assistant.observability.collectors import ScrapeSources
from compliance_assistant.observability.exposition import CONTENT_TYPE, render

router = APIRouter(include_in_schema=False)


def _sources(request: Request) -> ScrapeSources | None:
    """The app's scrape-time collectors, made on the first scrape (after the lifespan has
    opened the database)."""
    state = request.app.state
    sources: ScrapeSources | None = getattr(state, "metrics_sources", None)
    if sources is None:
        api = getattr(state, "api", None)
        if api is None:
            return None
        sources = ScrapeSources(api.ctx.database)
        state.metrics_sources = sources
    return sources


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    sources = _sources(request)
    if sources is not None:
        await sources.refresh()
    extra = sources.collectors if sources is not None else ()
    return Response(render(extra), media_type=CONTENT_TYPE)
