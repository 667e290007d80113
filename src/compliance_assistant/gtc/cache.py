"""The GTC cache layers (DESIGN §6, §9).

* search results — ``gtc:metadata:{sha256(tenant, query, filters)}`` for 1 h in the
  :class:`~compliance_assistant.engine.ports.Cache` (Redis, or in-process when embedded);
* where a document's file is — ``gtc:location:{gtc_id}`` for 24 h (blob key, source, sha256);
* the files themselves — in blob storage under ``gtc/{gtc_id}@{version}.{ext}`` with blob
  metadata ``cached_at``, ``expires_at`` (30 days later) and ``source`` (the endpoint), plus a
  ``.json`` blob beside it with the document's descriptive metadata.

An expired file is not deleted here: when Smart Search is down, :meth:`GtcCache.get_file` with
``allow_stale`` still returns it (marked stale) and :meth:`cached_documents` lists what is
cached for a product. Retention deletes files later. Every backend failure is a cache miss:
cached values are derived data.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from compliance_assistant.engine.ports import Cache, CacheUnavailable, Clock
from compliance_assistant.gtc.metrics import GtcMetrics, default_metrics
from compliance_assistant.gtc.models import (
    DOCX,
    MARKDOWN,
    DocumentSummary,
    GtcFile,
    SearchRequest,
    SearchResponse,
    slug,
)
from compliance_assistant.observability.metrics import record_cache
from compliance_assistant.storage.blob import BlobError, BlobLayout, BlobNotFoundError, BlobStore
from compliance_assistant.storage.cache import gtc_location, gtc_metadata

logger = logging.getLogger(__name__)
# GTC cache layers under their names in compliance_cache_requests_total.
_SERVICE_LAYERS = {
    "metadata": "gtc_metadata",
    "location": "gtc_location",
    "blob": "gtc_pdf",
    "blob_stale": "gtc_pdf",
}

DAY = 24 * 3600.0
_EXTENSIONS = {DOCX: "docx", MARKDOWN: "md"}
_REFS_PREFIX = "gtc:refs:"


@dataclass(frozen=True)
class CachedFile:
    file: GtcFile
    cached_at: float
    expires_at: float
    expired: bool


@dataclass(frozen=True)
class Invalidation:
    """What an invalidation removed: cache keys and blob keys."""

    gtc_id: str
    cache_keys: tuple[str, ...]
    blobs: tuple[str, ...]


class GtcCache:
    """The three layers over an injected cache and blob store (either may be None)."""

    def __init__(
        self,
        *,
        cache: Cache | None,
        blobs: BlobStore | None,
        clock: Clock,
        layout: BlobLayout | None = None,
        metadata_ttl: float = 3600.0,
        location_ttl: float = DAY,
        file_ttl: float = 30 * DAY,
        metrics: GtcMetrics | None = None,
    ) -> None:
        self.cache = cache
        self.blobs = blobs
        self.clock = clock
        self.layout = layout or BlobLayout()
        self.metadata_ttl = metadata_ttl
        self.location_ttl = location_ttl
        self.file_ttl = file_ttl
        self.metrics = metrics or default_metrics()

    # -- search results ---------------------------------------------------------------------

    @staticmethod
    def metadata_key(tenant_id: str, request: SearchRequest) -> str:
        """Paging is part of the query: the key's "query" is the text plus limit and offset."""
        query = f"{request.query}\x1f{request.limit}\x1f{request.offset}"
        return gtc_metadata(tenant_id, query, request.filters.model_dump(mode="json")).key

    async def get_search(self, tenant_id: str, request: SearchRequest) -> SearchResponse | None:
        raw = await self._get(self.metadata_key(tenant_id, request))
        response = None
        if raw is not None:
            try:
                response = SearchResponse.model_validate_json(raw)
            except ValidationError:
                response = None  # written by another version: a miss
        self._count("metadata", hit=response is not None)
        return response

    async def put_search(
        self, tenant_id: str, request: SearchRequest, response: SearchResponse
    ) -> None:
        key = self.metadata_key(tenant_id, request)
        await self._set(key, response.model_dump_json().encode(), self.metadata_ttl)
        for result in response.results:
            await self._add_ref(result.gtc_id, key)

    # -- files --------------------------------------------------------------------------------

    def blob_key(self, summary: DocumentSummary, content_type: str) -> str:
        return self.layout.gtc(
            summary.gtc_id, summary.version, _EXTENSIONS.get(content_type, "pdf")
        )

    async def get_file(
        self, summary: DocumentSummary, *, allow_stale: bool = False
    ) -> CachedFile | None:
        """The cached file of this document version; an expired one only with ``allow_stale``."""
        if self.blobs is None:
            return None
        keys = await self._candidate_keys(summary)
        for key in keys:
            try:
                info = await self.blobs.info(key)
                if info is None:
                    continue
                expires_at = float(info.metadata.get("expires_at", "0"))
                expired = expires_at <= self.clock.now()
                if expired and not allow_stale:
                    self._count("blob", hit=False)
                    return None
                content = await self.blobs.get(key)
            except (BlobError, BlobNotFoundError, ValueError) as exc:
                logger.warning("GTC blob %s unreadable, treated as a miss: %s", key, exc)
                continue
            self._count("blob_stale" if expired else "blob", hit=True)
            file = GtcFile(
                gtc_id=summary.gtc_id,
                content=content,
                content_type=info.content_type,
                source=info.metadata.get("source", "cache"),
            )
            return CachedFile(
                file=file,
                cached_at=float(info.metadata.get("cached_at", "0")),
                expires_at=expires_at,
                expired=expired,
            )
        self._count("blob", hit=False)
        return None

    async def put_file(self, summary: DocumentSummary, file: GtcFile) -> None:
        if self.blobs is None:
            return
        key = self.blob_key(summary, file.content_type)
        now = self.clock.now()
        metadata = {
            "gtc_id": summary.gtc_id,
            "cached_at": f"{now:.3f}",
            "expires_at": f"{now + self.file_ttl:.3f}",
            "source": file.source.encode("ascii", "replace").decode(),
        }
        try:
            await self.blobs.put(
                key, file.content, content_type=file.content_type, metadata=metadata
            )
            await self.blobs.put(
                self._summary_key(key),
                summary.model_dump_json().encode(),
                content_type="application/json",
                metadata=metadata,
            )
        except BlobError as exc:
            logger.warning("GTC %s not cached in blob storage: %s", summary.gtc_id, exc)
            return
        location = {
            "blob_key": key,
            "content_type": file.content_type,
            "source": file.source,
            "version": summary.version,
            "cached_at": now,
        }
        await self._set(
            gtc_location(summary.gtc_id).key, json.dumps(location).encode(), self.location_ttl
        )
        await self.measure()

    async def cached_documents(self, request: SearchRequest) -> list[DocumentSummary]:
        """Documents with a cached file (expired or not) that fit the request: its product or
        company filter, else a product or company named in its query. Newest first."""
        if self.blobs is None:
            return []
        found: dict[str, DocumentSummary] = {}
        try:
            async for info in self.blobs.list_prefix(self.layout.gtc_prefix):
                if not info.key.endswith(".json"):
                    continue
                try:
                    summary = DocumentSummary.model_validate_json(await self.blobs.get(info.key))
                except (ValidationError, BlobNotFoundError):
                    continue
                if _fits(summary, request):
                    current = found.get(summary.gtc_id)
                    if current is None or current.effective_date < summary.effective_date:
                        found[summary.gtc_id] = summary
        except BlobError as exc:
            logger.warning("GTC blob cache cannot be listed: %s", exc)
        return sorted(found.values(), key=lambda s: (s.effective_date, s.gtc_id), reverse=True)

    async def cached_summary(self, gtc_id: str) -> DocumentSummary | None:
        """The newest cached version's description of this document (expired or not): how
        the API describes a document while Smart Search is down."""
        if self.blobs is None:
            return None
        newest: DocumentSummary | None = None
        try:
            async for info in self.blobs.list_prefix(f"{self.layout.gtc_prefix}{gtc_id}@"):
                if not info.key.endswith(".json"):
                    continue
                try:
                    summary = DocumentSummary.model_validate_json(await self.blobs.get(info.key))
                except (ValidationError, BlobNotFoundError):
                    continue
                if summary.gtc_id == gtc_id and (
                    newest is None or newest.effective_date < summary.effective_date
                ):
                    newest = summary
        except BlobError as exc:
            logger.warning("GTC blob cache cannot be listed: %s", exc)
        return newest

    # -- administration ---------------------------------------------------------------------

    async def invalidate(self, gtc_id: str) -> Invalidation:
        """Forget a document everywhere: its location, the search results that listed it, and
        every cached version of its file. The admin endpoint and ``compliance gtc invalidate``
        call this; the next check downloads the document again."""
        keys = [gtc_location(gtc_id).key, _REFS_PREFIX + gtc_id]
        refs = await self._get(_REFS_PREFIX + gtc_id)
        if refs:
            with contextlib.suppress(ValueError):
                keys.extend(json.loads(refs))
        removed_keys: list[str] = []
        if self.cache is not None:
            try:
                if await self.cache.delete(*keys):
                    removed_keys = keys
            except CacheUnavailable as exc:
                logger.warning("GTC cache keys of %s not deleted: %s", gtc_id, exc)
        blobs: list[str] = []
        if self.blobs is not None:
            prefix = f"{self.layout.gtc_prefix}{gtc_id}@"
            keys_to_delete = [info.key async for info in self.blobs.list_prefix(prefix)]
            blobs = [key for key in keys_to_delete if await self.blobs.delete(key)]
            await self.measure()
        return Invalidation(gtc_id=gtc_id, cache_keys=tuple(removed_keys), blobs=tuple(blobs))

    async def measure(self) -> int:
        """Bytes of cached GTC files; also sets the ``gtc_cache_size_bytes`` gauge."""
        if self.blobs is None:
            return 0
        total = 0
        try:
            async for info in self.blobs.list_prefix(self.layout.gtc_prefix):
                total += info.size
        except BlobError as exc:
            logger.warning("GTC blob cache cannot be measured: %s", exc)
            return 0
        self.metrics.cache_size.set(total)
        return total

    # -- helpers ------------------------------------------------------------------------------

    async def _candidate_keys(self, summary: DocumentSummary) -> list[str]:
        keys: list[str] = []
        raw = await self._get(gtc_location(summary.gtc_id).key)
        if raw is not None:
            try:
                location = json.loads(raw)
                if location.get("version") == summary.version:
                    keys.append(str(location["blob_key"]))
            except (ValueError, KeyError):
                pass
        self._count("location", hit=bool(keys))
        for content_type in ("application/pdf", DOCX, MARKDOWN):
            key = self.blob_key(summary, content_type)
            if key not in keys:
                keys.append(key)
        return keys

    def _summary_key(self, blob_key: str) -> str:
        return blob_key.rsplit(".", 1)[0] + ".json"

    async def _add_ref(self, gtc_id: str, key: str) -> None:
        # Read-modify-write without a lock: a lost update only means a search result may
        # outlive an invalidation until its own 1 h TTL ends.
        raw = await self._get(_REFS_PREFIX + gtc_id)
        refs: list[str] = []
        if raw:
            try:
                refs = [str(ref) for ref in json.loads(raw)]
            except ValueError:
                refs = []
        if key not in refs:
            refs = [*refs[-49:], key]
            await self._set(_REFS_PREFIX + gtc_id, json.dumps(refs).encode(), self.metadata_ttl)

    async def _get(self, key: str) -> bytes | None:
        if self.cache is None:
            return None
        try:
            return await self.cache.get(key)
        except CacheUnavailable as exc:
            logger.warning("GTC cache unavailable, %s treated as a miss: %s", key, exc)
            return None

    async def _set(self, key: str, value: bytes, ttl: float) -> None:
        if self.cache is None:
            return
        try:
            await self.cache.set(key, value, ttl)
        except CacheUnavailable as exc:
            logger.warning("GTC cache unavailable, %s not stored: %s", key, exc)

    def _count(self, layer: str, *, hit: bool) -> None:
        (self.metrics.cache_hits if hit else self.metrics.cache_misses).labels(layer).inc()
        record_cache(_SERVICE_LAYERS[layer], hit=hit)


def _fits(summary: DocumentSummary, request: SearchRequest) -> bool:
    filters = request.filters
    if filters.product is not None:
        return slug(filters.product) in {slug(summary.product), summary.gtc_id}
    if filters.company is not None:
        return slug(filters.company) == slug(summary.company)
    query = f"-{slug(request.query)}-"
    return f"-{slug(summary.product)}-" in query


def utc(timestamp: float) -> str:
    """An epoch timestamp as ISO 8601 UTC (for reports)."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
