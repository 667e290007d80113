"""What the GTC API endpoints answer: search results, one document with its clauses, and
cache invalidation — over the same retriever, cache layers and clause extraction as checks.

A document is described by the source (Smart Search or the library); when the source is down,
by its cached copy (then ``stale``), else by the fallback library. Its clauses come from the
file fetched through the cache layers, exactly as a check would see them.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from compliance_assistant.gtc.cache import GtcCache, Invalidation
from compliance_assistant.gtc.checker import GtcVerifier
from compliance_assistant.gtc.errors import GtcNotFound, GtcTransientError
from compliance_assistant.gtc.models import (
    DocumentStatus,
    DocumentSummary,
    SearchRequest,
    SearchResponse,
)
from compliance_assistant.gtc.retrieval import GtcRetriever, Searched


class GtcSearchView(SearchResponse):
    """The Smart Search contract's search response, plus where it came from."""

    origin: str = Field(description="smart_search, library or cache")
    degraded: bool = Field(
        False, description="true when the GTC source was down and the library answered"
    )


class ClauseView(BaseModel):
    model_config = ConfigDict(frozen=True)

    section: str | None = Field(description='The section number, e.g. "4.2"; null if none')
    heading: str | None
    page: int | None = Field(description="The page the clause starts on (PDF)")
    text: str
    kind: str = Field(description="clause or footnote")


class GtcDocumentView(BaseModel):
    """A GTC document's metadata and its extracted clauses."""

    model_config = ConfigDict(frozen=True)

    gtc_id: str
    title: str
    product: str
    company: str
    version: str
    effective_date: date
    language: str
    region: tuple[str, ...] = ()
    status: DocumentStatus = "active"
    content_type: str
    size_bytes: int
    sha256: str
    origin: str = Field(description="Where the file came from: smart_search, library or cache")
    stale: bool = Field(description="true when an expired cached copy was used")
    clauses: tuple[ClauseView, ...]


class InvalidationView(BaseModel):
    model_config = ConfigDict(frozen=True)

    gtc_id: str
    cache_keys: tuple[str, ...] = Field(description="Cache keys removed")
    blobs: tuple[str, ...] = Field(description="Cached files (blob keys) removed")

    @classmethod
    def of(cls, done: Invalidation) -> InvalidationView:
        return cls(gtc_id=done.gtc_id, cache_keys=done.cache_keys, blobs=done.blobs)


class GtcLookup:
    """Reads for the API. ``verifier`` supplies the retriever and the clause cache."""

    def __init__(self, verifier: GtcVerifier) -> None:
        self.verifier = verifier

    @property
    def retriever(self) -> GtcRetriever:
        return self.verifier.retriever

    async def search(self, tenant_id: str, request: SearchRequest) -> GtcSearchView:
        found: Searched = await self.retriever.search(tenant_id, request)
        return GtcSearchView(
            **found.response.model_dump(), origin=found.origin, degraded=found.degraded
        )

    async def document(self, gtc_id: str) -> GtcDocumentView:
        """Raises :class:`GtcNotFound` for an unknown id and a :class:`GtcTransientError` when
        the source is down and neither the cache nor the library has the document."""
        summary, degraded = await self._describe(gtc_id)
        fetched = await self.retriever.fetch(summary, degraded=degraded)
        clauses = await asyncio.to_thread(self.verifier.clauses_of, fetched)
        return GtcDocumentView(
            **summary.model_dump(include=set(DocumentSummary.model_fields)),
            content_type=fetched.file.content_type,
            size_bytes=len(fetched.file.content),
            sha256=hashlib.sha256(fetched.file.content).hexdigest(),
            origin=fetched.origin,
            stale=fetched.stale,
            clauses=tuple(
                ClauseView(
                    section=clause.section,
                    heading=clause.heading,
                    page=clause.page,
                    text=clause.text,
                    kind=clause.kind,
                )
                for clause in clauses
            ),
        )

    async def _describe(self, gtc_id: str) -> tuple[DocumentSummary, bool]:
        retriever = self.retriever
        try:
            metadata = await retriever.source.get_document(gtc_id)
        except GtcNotFound:
            if retriever.fallback is None:
                raise
            metadata = await retriever.fallback.get_document(gtc_id)
        except GtcTransientError as exc:
            cached = await retriever.cache.cached_summary(gtc_id) if retriever.cache else None
            if cached is not None:
                return cached, True
            if retriever.fallback is not None:
                try:
                    return _summary(await retriever.fallback.get_document(gtc_id)), True
                except GtcNotFound:
                    pass  # the source may know it: report the source as down, not a 404
            raise exc
        return _summary(metadata), False


async def invalidate(cache: GtcCache, gtc_id: str) -> InvalidationView:
    return InvalidationView.of(await cache.invalidate(gtc_id))


def _summary(metadata: DocumentSummary) -> DocumentSummary:
    return DocumentSummary.model_validate(
        metadata.model_dump(include=set(DocumentSummary.model_fields))
    )
