"""The port every GTC source implements: the Smart Search client and the local library."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from compliance_assistant.gtc.models import DocumentMetadata, GtcFile, SearchRequest, SearchResponse


@runtime_checkable
class GtcSource(Protocol):
    """Search, describe and download GTC documents.

    Transient failures raise :class:`~.errors.GtcTransientError` subclasses (the caller may
    fall back to cached copies), permanent ones :class:`~.errors.GtcPermanentError`.
    """

    @property
    def name(self) -> str:
        """``smart_search`` or ``library``: reported as each document's origin."""
        ...

    async def search(self, request: SearchRequest) -> SearchResponse: ...

    async def get_document(self, gtc_id: str) -> DocumentMetadata: ...

    async def download(self, gtc_id: str) -> GtcFile: ...
