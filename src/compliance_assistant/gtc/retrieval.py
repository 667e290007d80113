"""Finding and fetching a product's GTC documents through the cache, the source and the
fallbacks, in that order (architecture: multi-layer caching; DESIGN §2 GTC source).

``find``: fresh cached search results → the source (Smart Search or the library) → when the
source is unavailable: documents whose files are cached (even expired), then the fallback
library. ``fetch``: a fresh cached file → a download (then cached) → when the source is
unavailable: the cached file even if expired, then the fallback library. Anything served
because the source was down is flagged ``degraded``; an expired file is ``stale``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from compliance_assistant.engine.result import ResultWarning
from compliance_assistant.gtc.cache import GtcCache
from compliance_assistant.gtc.errors import GtcNotFound, GtcTransientError
from compliance_assistant.gtc.models import (
    DocumentSummary,
    GtcFile,
    SearchRequest,
    SearchResponse,
)
from compliance_assistant.gtc.source import GtcSource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundDocuments:
    """Search results and how they were obtained. ``unavailable`` holds the reason when the
    source failed and nothing could stand in for it."""

    documents: tuple[DocumentSummary, ...]
    origin: str
    degraded: bool = False
    warnings: tuple[ResultWarning, ...] = ()
    unavailable: str | None = None


@dataclass(frozen=True)
class Searched:
    """Search results with their origin; ``degraded`` when the source was down."""

    response: SearchResponse
    origin: str
    degraded: bool = False


@dataclass(frozen=True)
class FetchedDocument:
    summary: DocumentSummary
    file: GtcFile
    origin: str
    stale: bool = False
    cached_at: float | None = None
    warnings: tuple[ResultWarning, ...] = field(default=())


class GtcRetriever:
    def __init__(
        self, source: GtcSource, *, cache: GtcCache | None = None, fallback: GtcSource | None = None
    ) -> None:
        self.source = source
        self.cache = cache
        self.fallback = fallback

    async def search(self, tenant_id: str, request: SearchRequest) -> Searched:
        """Ranked search results (the API's search): fresh cached results → the source → the
        fallback library when the source is unavailable; else the transient error."""
        if self.cache is not None:
            cached = await self.cache.get_search(tenant_id, request)
            if cached is not None:
                return Searched(cached, origin="cache")
        try:
            response = await self.source.search(request)
        except GtcTransientError:
            if self.fallback is None:
                raise
            return Searched(await self.fallback.search(request), self.fallback.name, degraded=True)
        if self.cache is not None:
            await self.cache.put_search(tenant_id, request, response)
        return Searched(response, origin=self.source.name)

    async def find(self, tenant_id: str, request: SearchRequest) -> FoundDocuments:
        if self.cache is not None:
            cached = await self.cache.get_search(tenant_id, request)
            if cached is not None:
                return FoundDocuments(documents=cached.results, origin="cache")
        try:
            response = await self.source.search(request)
        except GtcTransientError as exc:
            return await self._find_without_source(request, exc)
        if self.cache is not None:
            await self.cache.put_search(tenant_id, request, response)
        return FoundDocuments(documents=response.results, origin=self.source.name)

    async def _find_without_source(
        self, request: SearchRequest, error: GtcTransientError
    ) -> FoundDocuments:
        warning = ResultWarning(
            code="gtc_source_unavailable",
            message=f"The GTC source ({self.source.name}) is unavailable; cached or local GTC "
            "documents were used where available.",
            details={"error": error.message},
        )
        if self.cache is not None:
            cached = await self.cache.cached_documents(request)
            if cached:
                return FoundDocuments(
                    documents=tuple(cached), origin="cache", degraded=True, warnings=(warning,)
                )
        if self.fallback is not None:
            try:
                response = await self.fallback.search(request)
            except GtcTransientError as exc:
                logger.warning("GTC fallback %s failed too: %s", self.fallback.name, exc)
            else:
                if response.results:
                    return FoundDocuments(
                        documents=response.results,
                        origin=self.fallback.name,
                        degraded=True,
                        warnings=(warning,),
                    )
        return FoundDocuments(
            documents=(),
            origin=self.source.name,
            degraded=True,
            warnings=(warning,),
            unavailable=error.message,
        )

    async def fetch(self, summary: DocumentSummary, *, degraded: bool = False) -> FetchedDocument:
        """The document's file. Raises :class:`GtcTransientError` when the source is down and
        no copy exists, :class:`GtcNotFound` when no source has it."""
        if self.cache is not None:
            cached = await self.cache.get_file(summary)
            if cached is not None:
                return FetchedDocument(
                    summary=summary,
                    file=cached.file,
                    origin="cache",
                    stale=degraded,
                    cached_at=cached.cached_at,
                )
        try:
            file = await self.source.download(summary.gtc_id)
        except GtcTransientError as exc:
            return await self._fetch_without_source(summary, exc)
        except GtcNotFound:
            if self.fallback is None:
                raise
            return await self._from_fallback(summary, None)
        if self.cache is not None:
            await self.cache.put_file(summary, file)
        return FetchedDocument(summary=summary, file=file, origin=self.source.name)

    async def _fetch_without_source(
        self, summary: DocumentSummary, error: GtcTransientError
    ) -> FetchedDocument:
        if self.cache is not None:
            cached = await self.cache.get_file(summary, allow_stale=True)
            if cached is not None:
                return FetchedDocument(
                    summary=summary,
                    file=cached.file,
                    origin="cache",
                    stale=True,
                    cached_at=cached.cached_at,
                )
        if self.fallback is not None:
            return await self._from_fallback(summary, error)
        raise error

    async def _from_fallback(
        self, summary: DocumentSummary, error: GtcTransientError | None
    ) -> FetchedDocument:
        assert self.fallback is not None
        try:
            file = await self.fallback.download(summary.gtc_id)
        except GtcNotFound:
            if error is not None:
                raise error from None
            raise
        # The library is a source of its own, not an old copy: its documents are not stale.
        return FetchedDocument(summary=summary, file=file, origin=self.fallback.name)
