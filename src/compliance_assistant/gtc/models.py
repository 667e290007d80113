"""The values of the Smart Search contract (docs/smart-search-openapi.yaml), shared by the
client, the reference server, the local library and the cache layers."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GTC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
LANGUAGE_PATTERN = r"^[a-z]{2}(-[A-Z]{2})?$"
DocumentStatus = Literal["active", "superseded", "draft"]

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN = "text/markdown"
CONTENT_TYPES = (PDF, DOCX, MARKDOWN)


def slug(value: str) -> str:
    """Case- and punctuation-insensitive form of a product or company name ("Easy Saver" →
    "easy-saver"), used wherever names are matched."""
    return re.sub(r"[^0-9a-z]+", "-", value.casefold()).strip("-")


class SearchFilters(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    document_type: Literal["GTC"] = "GTC"
    effective_after: date | None = None
    language: str | None = Field(None, pattern=LANGUAGE_PATTERN)
    region: tuple[str, ...] | None = None
    status: DocumentStatus | None = None
    product: str | None = Field(None, min_length=1, max_length=200)
    company: str | None = Field(None, min_length=1, max_length=200)


class SearchRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    query: str = Field(min_length=3, max_length=500)
    filters: SearchFilters = SearchFilters()
    limit: int = Field(5, ge=1, le=50)
    offset: int = Field(0, ge=0)

    def wire(self) -> dict[str, object]:
        """The JSON body sent to Smart Search: unset filters are left out."""
        body: dict[str, object] = {"query": self.query, "limit": self.limit, "offset": self.offset}
        filters = self.filters.model_dump(mode="json", exclude_none=True)
        if filters:
            body["filters"] = filters
        return body


class DocumentSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    gtc_id: str = Field(pattern=GTC_ID_PATTERN)
    title: str
    product: str
    company: str
    version: str
    effective_date: date
    language: str = Field(pattern=LANGUAGE_PATTERN)
    region: tuple[str, ...] = ()
    status: DocumentStatus = "active"


class SearchResult(DocumentSummary):
    relevance_score: float = Field(ge=0.0, le=1.0)


class SearchResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    results: tuple[SearchResult, ...]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class DocumentMetadata(DocumentSummary):
    document_type: Literal["GTC"] = "GTC"
    content_type: str
    size_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    download_path: str | None = None


class GtcFile(BaseModel):
    """A downloaded GTC document and where it came from (an endpoint URL or a library path)."""

    model_config = ConfigDict(frozen=True)

    gtc_id: str
    content: bytes
    content_type: str
    source: str


class Health(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "degraded", "down"]
    documents: int | None = None
    version: str | None = None
