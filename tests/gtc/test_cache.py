"""The GTC cache layers: search results 1 h, file location 24 h, files 30 days in blob storage
with their metadata; expiry on the injected clock; invalidation; the real Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from tests.gtc.harness import FakeClock

from compliance_assistant.gtc.cache import GtcCache
from compliance_assistant.gtc.metrics import GtcMetrics
from compliance_assistant.gtc.models import (
    DocumentSummary,
    GtcFile,
    SearchFilters,
    SearchRequest,
    SearchResponse,
    SearchResult,
)
from compliance_assistant.storage.blob import LocalBlobStore
from compliance_assistant.storage.cache import RedisCache, gtc_location, redis_client
from compliance_assistant.storage.memory_cache import MemoryCache

pytestmark = pytest.mark.anyio
DAY = 24 * 3600.0
SUMMARY = DocumentSummary(
    gtc_id="acme-saver-v1",
    title="Acme Saver terms",
    product="Acme Saver",
    company="Acme Bank",
    version="1.0",
    effective_date=date(2025, 1, 1),
    language="en",
)
REQUEST = SearchRequest(query="Acme Saver", filters=SearchFilters(language="en"))
RESPONSE = SearchResponse(
    results=(SearchResult(**SUMMARY.model_dump(), relevance_score=1.0),), total=1, limit=5, offset=0
)
FILE = GtcFile(
    gtc_id="acme-saver-v1",
    content=b"%PDF-1.4 acme",
    content_type="application/pdf",
    source="https://primary.example",
)


@pytest.fixture
def layers(tmp_path: Path, clock: FakeClock, metrics: GtcMetrics) -> GtcCache:
    return GtcCache(
        cache=MemoryCache(clock=clock),
        blobs=LocalBlobStore(tmp_path / "blobs"),
        clock=clock,
        metrics=metrics,
    )


def counted(metrics: GtcMetrics, kind: str, layer: str) -> float:
    return (
        metrics.registry.get_sample_value(f"smart_search_cache_{kind}_total", {"layer": layer})
        or 0.0
    )


def test_metadata_key_follows_the_design() -> None:
    key = GtcCache.metadata_key("tenant-a", REQUEST)
    assert key.startswith("gtc:metadata:")
    assert len(key) == len("gtc:metadata:") + 64
    assert GtcCache.metadata_key("tenant-b", REQUEST) != key  # tenants never share entries
    other = SearchRequest(query="Acme Saver", filters=SearchFilters(language="de"))
    assert GtcCache.metadata_key("tenant-a", other) != key


async def test_search_results_live_one_hour(
    layers: GtcCache, clock: FakeClock, metrics: GtcMetrics
) -> None:
    assert await layers.get_search("t", REQUEST) is None
    await layers.put_search("t", REQUEST, RESPONSE)
    assert await layers.get_search("t", REQUEST) == RESPONSE
    clock.advance(3599)
    assert await layers.get_search("t", REQUEST) == RESPONSE
    clock.advance(2)
    assert await layers.get_search("t", REQUEST) is None
    assert counted(metrics, "hits", "metadata") == 2
    assert counted(metrics, "misses", "metadata") == 2


async def test_files_are_kept_30_days_with_their_metadata(
    layers: GtcCache, clock: FakeClock, tmp_path: Path, metrics: GtcMetrics
) -> None:
    await layers.put_file(SUMMARY, FILE)
    key = "gtc/acme-saver-v1@1.0.pdf"
    info = await layers.blobs.info(key)  # type: ignore[union-attr]
    assert info is not None
    assert info.content_type == "application/pdf"
    assert float(info.metadata["expires_at"]) - float(info.metadata["cached_at"]) == 30 * DAY
    assert info.metadata["source"] == "https://primary.example"
    location = json.loads(await layers.cache.get(gtc_location("acme-saver-v1").key))  # type: ignore[arg-type,union-attr]
    assert location["blob_key"] == key
    cached = await layers.get_file(SUMMARY)
    assert cached is not None
    assert cached.file.content == FILE.content
    assert not cached.expired
    assert counted(metrics, "hits", "location") == 1
    assert metrics.cache_size._value.get() == len(FILE.content) + len(  # type: ignore[attr-defined]
        SUMMARY.model_dump_json()
    )
    clock.advance(30 * DAY + 1)  # the location (24 h) and the file (30 days) have expired
    assert await layers.get_file(SUMMARY) is None
    stale = await layers.get_file(SUMMARY, allow_stale=True)
    assert stale is not None
    assert stale.expired
    assert stale.file.content == FILE.content
    assert counted(metrics, "hits", "blob_stale") == 1
    assert counted(metrics, "misses", "location") == 2


async def test_another_version_is_another_file(layers: GtcCache) -> None:
    await layers.put_file(SUMMARY, FILE)
    newer = SUMMARY.model_copy(update={"version": "2.0"})
    assert await layers.get_file(newer) is None


async def test_cached_documents_are_found_for_a_product_when_the_source_is_down(
    layers: GtcCache,
) -> None:
    await layers.put_file(SUMMARY, FILE)
    by_filter = SearchRequest(query="terms", filters=SearchFilters(product="acme-saver"))
    by_query = SearchRequest(query="Save with the Acme Saver")
    elsewhere = SearchRequest(query="FlexiLoan")
    assert await layers.cached_documents(by_filter) == [SUMMARY]
    assert await layers.cached_documents(by_query) == [SUMMARY]
    assert await layers.cached_documents(elsewhere) == []


async def test_invalidation_forgets_every_layer(layers: GtcCache) -> None:
    await layers.put_search("t", REQUEST, RESPONSE)
    await layers.put_file(SUMMARY, FILE)
    done = await layers.invalidate("acme-saver-v1")
    assert set(done.blobs) == {"gtc/acme-saver-v1@1.0.pdf", "gtc/acme-saver-v1@1.0.json"}
    assert GtcCache.metadata_key("t", REQUEST) in done.cache_keys
    assert await layers.get_search("t", REQUEST) is None
    assert await layers.get_file(SUMMARY, allow_stale=True) is None
    assert await layers.measure() == 0


async def test_a_failing_cache_is_a_miss(
    tmp_path: Path, clock: FakeClock, metrics: GtcMetrics
) -> None:
    client = redis_client("redis://127.0.0.1:1/0", socket_timeout=0.2, connect_timeout=0.2)
    layers = GtcCache(cache=RedisCache(client), blobs=None, clock=clock, metrics=metrics)
    try:
        await layers.put_search("t", REQUEST, RESPONSE)
        assert await layers.get_search("t", REQUEST) is None
        assert (await layers.invalidate("acme-saver-v1")).cache_keys == ()
    finally:
        await client.aclose()


@pytest.fixture
async def redis_layers(
    redis_url: str, redis_key_prefix: str, tmp_path: Path, clock: FakeClock, metrics: GtcMetrics
) -> AsyncIterator[GtcCache]:
    cache = RedisCache(redis_client(redis_url), key_prefix=redis_key_prefix)
    yield GtcCache(
        cache=cache, blobs=LocalBlobStore(tmp_path / "blobs"), clock=clock, metrics=metrics
    )
    await cache.close()


async def test_redis_holds_search_results_and_locations_with_their_ttls(
    redis_layers: GtcCache,
) -> None:
    cache = redis_layers.cache
    assert isinstance(cache, RedisCache)
    await redis_layers.put_search("tenant-r", REQUEST, RESPONSE)
    await redis_layers.put_file(SUMMARY, FILE)
    assert await redis_layers.get_search("tenant-r", REQUEST) == RESPONSE
    metadata_ttl = await cache.ttl(GtcCache.metadata_key("tenant-r", REQUEST))
    location_ttl = await cache.ttl(gtc_location("acme-saver-v1").key)
    assert metadata_ttl is not None
    assert 3590 < metadata_ttl <= 3600
    assert location_ttl is not None
    assert 86390 < location_ttl <= 86400
    assert (await redis_layers.get_file(SUMMARY)) is not None
    done = await redis_layers.invalidate("acme-saver-v1")
    assert gtc_location("acme-saver-v1").key in done.cache_keys
    assert await redis_layers.get_search("tenant-r", REQUEST) is None
