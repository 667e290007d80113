"""GTC endpoints: search the GTC source, read one document with its clauses, and (admin)
invalidate a document's cache entries.

The router has its own lifespan (FastAPI merges it into the app's, after the app's own has
opened the service context): it builds the GTC services from the settings over the context's
cache and blob store, and closes them on shutdown. With no GTC source configured, search and
documents answer 503 ``GTC_NOT_CONFIGURED``; invalidation always works (it only needs the
cache and the blob store).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request

from compliance_assistant.api.deps import Admin, CurrentPrincipal
from compliance_assistant.api.errors import ERROR_RESPONSES, ErrorBody, ServiceUnavailableError
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.errors import ComplianceError
from compliance_assistant.gtc.cache import GtcCache
from compliance_assistant.gtc.errors import GtcNotFound, GtcPermanentError, GtcTransientError
from compliance_assistant.gtc.factory import GtcServices, build_gtc_services
from compliance_assistant.gtc.lookup import (
    GtcDocumentView,
    GtcLookup,
    GtcSearchView,
    InvalidationView,
    invalidate,
)
from compliance_assistant.gtc.models import GTC_ID_PATTERN, SearchFilters, SearchRequest
from compliance_assistant.storage.blob import BlobLayout

logger = logging.getLogger(__name__)

# A Retry-After for an outage that gave none.
_RETRY_AFTER_SECONDS = 30.0


class GtcNotConfiguredError(ComplianceError):
    code = "GTC_NOT_CONFIGURED"
    status_code = 503


class GtcSourceError(ComplianceError):
    """The GTC source refused or broke the contract (a configuration problem, not ours)."""

    code = "GTC_SOURCE_ERROR"
    status_code = 502


@dataclass
class GtcApi:
    """What the endpoints use, held on ``app.state.gtc`` for the app's lifetime."""

    lookup: GtcLookup | None
    cache: GtcCache


@contextlib.asynccontextmanager
async def gtc_lifespan(app: FastAPI) -> AsyncIterator[None]:
    ctx: ServiceContext = app.state.api.ctx
    settings = ctx.settings
    # The API only reads documents: no claim judge (and no model SDK) is needed here.
    reading = settings.model_copy(
        update={"gtc": settings.gtc.model_copy(update={"llm_judging": False})}
    )
    services: GtcServices | None = build_gtc_services(
        reading, cache=ctx.cache, blobs=ctx.blob, clock=ctx.clock
    )
    cache = (services.cache if services else None) or GtcCache(
        cache=ctx.cache,
        blobs=ctx.blob,
        clock=ctx.clock,
        layout=BlobLayout.from_settings(settings.blob),
    )
    app.state.gtc = GtcApi(
        lookup=GtcLookup(services.checker) if services is not None else None, cache=cache
    )
    try:
        yield
    finally:
        if services is not None:
            await services.aclose()


# The errors these endpoints can answer (401 no key, 403 not admin, 404 unknown document or
# route, 422 bad query or id, 502 the source refused, 503 no source / source down).
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **{status: ERROR_RESPONSES[status] for status in (401, 403, 404, 422, 503)},
    502: {"model": ErrorBody, "description": "The GTC source refused the request"},
}
router = APIRouter(responses=_RESPONSES, lifespan=gtc_lifespan)

GtcId = Annotated[
    str,
    Path(
        pattern=GTC_ID_PATTERN,
        max_length=128,
        description="The GTC document id (letters, digits, . _ -)",
        examples=["northbank-easy-saver-v3"],
    ),
]


def _gtc_api(request: Request) -> GtcApi:
    state: GtcApi = request.app.state.gtc
    return state


def _lookup(request: Request) -> GtcLookup:
    lookup = _gtc_api(request).lookup
    if lookup is None:
        raise GtcNotConfiguredError(
            "No GTC source is configured: set COMPLIANCE_GTC__LIBRARY_PATH or "
            "COMPLIANCE_GTC__SMART_SEARCH_URL."
        )
    return lookup


@router.get("/gtc/search", tags=["gtc"], response_model=GtcSearchView)
async def search_gtc(
    request: Request,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(min_length=3, max_length=500, description="Search text")],
    product: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only this product")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> GtcSearchView:
    """Search GTC documents the way checks find them (Smart Search, or the local library).
    Results follow the Smart Search contract; ``origin`` says where they came from."""
    search = SearchRequest(query=q, limit=limit, filters=SearchFilters(product=product))
    with _source_errors():
        return await _lookup(request).search(principal.tenant_id, search)


@router.get("/gtc/documents/{gtc_id}", tags=["gtc"], response_model=GtcDocumentView)
async def get_gtc_document(
    request: Request,
    gtc_id: GtcId,
    # Any authenticated caller: GTC documents are published documents, not tenant data.
    principal: CurrentPrincipal,  # noqa: ARG001
) -> GtcDocumentView:
    """A GTC document's metadata and its extracted clauses (section, heading, page, text),
    fetched through the cache layers like a check fetches it."""
    with _source_errors():
        return await _lookup(request).document(gtc_id)


@router.post("/admin/gtc/{gtc_id}/invalidate", tags=["admin"], response_model=InvalidationView)
async def invalidate_gtc(request: Request, gtc_id: GtcId, principal: Admin) -> InvalidationView:
    """Drop a GTC document from every cache layer: its location, the search results that
    listed it, and its cached files. The answer lists what was removed; the next check
    downloads the document again."""
    done = await invalidate(_gtc_api(request).cache, gtc_id)
    logger.info(
        "GTC %s invalidated by %s/%s: %d cache key(s), %d blob(s)",
        gtc_id,
        principal.tenant_id,
        principal.user_id,
        len(done.cache_keys),
        len(done.blobs),
    )
    return done


@contextlib.contextmanager
def _source_errors() -> Iterator[None]:
    """GTC errors in our error shape: unknown document 404, source down 503 (Retry-After),
    anything else the source did wrong 502."""
    try:
        yield
    except GtcNotFound:
        raise
    except GtcTransientError as exc:
        retry_after = getattr(exc, "retry_after", None) or _RETRY_AFTER_SECONDS
        raise ServiceUnavailableError(
            f"The GTC source is unavailable and nothing cached can stand in: {exc.message}",
            retry_after=retry_after,
            details={"code": exc.code},
        ) from exc
    except GtcPermanentError as exc:
        raise GtcSourceError(
            f"The GTC source could not serve the request: {exc.message}",
            details={"code": exc.code},
        ) from exc
