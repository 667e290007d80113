"""Building the GTC checker from settings (called at the edges: CLI, app factory, worker).

* ``gtc.smart_search_url`` set: the Smart Search client (primary + optional secondary), the
  cache layers over the given cache and blob store, the token bucket (in Redis when
  ``redis.url`` is set), and the local library (``gtc.library_path``) as fallback;
* only ``gtc.library_path``: the library alone (embedded mode);
* neither: None — the pipeline reports gtc guidelines ``not_run`` with its default reason.

With an LLM configured (``llm.provider``) and ``gtc.llm_judging`` on, the checker also gets a
claim judge for the claims the deterministic comparison cannot decide; its verdicts are cached
in the given cache (``llm.verdict_cache_ttl_seconds``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import redis.asyncio as aioredis

from compliance_assistant.config import LlmProvider, Settings
from compliance_assistant.engine.ports import Cache, Clock
from compliance_assistant.gtc.cache import DAY, GtcCache
from compliance_assistant.gtc.checker import GtcVerifier
from compliance_assistant.gtc.client import (
    SmartSearchClient,
    SmartSearchTimeouts,
    create_http_client,
)
from compliance_assistant.gtc.judging import ClaimJudgePort, ClaimReviewer
from compliance_assistant.gtc.library import GtcLibrary
from compliance_assistant.gtc.metrics import GtcMetrics, default_metrics
from compliance_assistant.gtc.retrieval import GtcRetriever
from compliance_assistant.resilience.breaker import BreakerPolicy, BreakerRegistry
from compliance_assistant.resilience.clock import SystemClock
from compliance_assistant.resilience.retry import RetryPolicy, Sleep
from compliance_assistant.resilience.token_bucket import (
    MemoryTokenBucket,
    RedisTokenBucket,
    TokenBucket,
)
from compliance_assistant.storage.blob import BlobLayout, BlobStore
from compliance_assistant.storage.cache import redis_client

if TYPE_CHECKING:
    from compliance_assistant.llm.claim_judge import ClaimJudge


@dataclass
class GtcServices:
    """The checker and what it was built from; :meth:`aclose` releases what the factory
    opened (HTTP pool, Redis connection), never what the caller passed in."""

    checker: GtcVerifier
    cache: GtcCache | None = None
    client: SmartSearchClient | None = None
    library: GtcLibrary | None = None
    _http: httpx.AsyncClient | None = None
    _redis: aioredis.Redis | None = None
    _claim_judge: ClaimJudge | None = None

    async def aclose(self) -> None:
        if self._claim_judge is not None:
            await self._claim_judge.aclose()
        if self._http is not None:
            await self._http.aclose()
        if self._redis is not None:
            await self._redis.aclose()


def build_gtc_services(
    settings: Settings,
    *,
    cache: Cache | None = None,
    blobs: BlobStore | None = None,
    clock: Clock | None = None,
    http: httpx.AsyncClient | None = None,
    sleep: Sleep = asyncio.sleep,
    metrics: GtcMetrics | None = None,
    library_path: Path | None = None,
) -> GtcServices | None:
    """The GTC services the settings ask for (``library_path`` overrides the setting)."""
    config = settings.gtc
    clock = clock or SystemClock()
    metrics = metrics or default_metrics()
    path = library_path or config.library_path
    library = GtcLibrary.open(path) if path is not None else None
    if config.smart_search_url is None:
        if library is None:
            return None
        judge = _claim_judge(settings, clock, sleep)
        return GtcServices(
            checker=_verifier(GtcRetriever(library), settings, judge, cache),
            library=library,
            _claim_judge=judge,
        )
    timeouts = SmartSearchTimeouts(
        search=config.search_timeout_seconds,
        download=config.download_timeout_seconds,
        connect=config.connect_timeout_seconds,
    )
    owned_http = None
    if http is None:
        http = owned_http = create_http_client(
            timeouts=timeouts,
            max_connections=config.max_connections,
            max_keepalive_connections=config.max_keepalive_connections,
        )
    owned_redis = None
    bucket: TokenBucket
    if settings.redis.url is not None:
        owned_redis = redis_client(
            settings.redis.url,
            socket_timeout=settings.redis.socket_timeout_seconds,
            connect_timeout=settings.redis.connect_timeout_seconds,
        )
        bucket = RedisTokenBucket(
            owned_redis,
            name="smart-search",
            rate=config.rate_limit_per_second,
            burst=config.rate_limit_burst,
            key_prefix=settings.redis.key_prefix,
        )
    else:
        bucket = MemoryTokenBucket(config.rate_limit_per_second, config.rate_limit_burst, clock)
    urls = [str(config.smart_search_url)]
    if config.smart_search_secondary_url is not None:
        urls.append(str(config.smart_search_secondary_url))
    assert config.smart_search_api_key is not None  # GtcSettings validates the pair
    client = SmartSearchClient(
        http,
        endpoints=urls,
        api_key=config.smart_search_api_key.get_secret_value(),
        clock=clock,
        sleep=sleep,
        retry=RetryPolicy(
            attempts=config.retry_attempts,
            initial_wait=config.retry_initial_seconds,
            max_wait=config.retry_max_seconds,
            jitter=1.0,
        ),
        breakers=BreakerRegistry(
            clock,
            BreakerPolicy(
                failure_threshold=config.breaker_failure_threshold,
                reset_after=config.breaker_reset_seconds,
                success_threshold=config.breaker_success_threshold,
            ),
            on_change=metrics.breaker_changed,
        ),
        bucket=bucket,
        timeouts=timeouts,
        metrics=metrics,
    )
    gtc_cache = GtcCache(
        cache=cache,
        blobs=blobs,
        clock=clock,
        layout=BlobLayout.from_settings(settings.blob),
        metadata_ttl=config.metadata_ttl_seconds,
        location_ttl=config.location_ttl_seconds,
        file_ttl=settings.retention.gtc_pdf_days * DAY,
        metrics=metrics,
    )
    retriever = GtcRetriever(client, cache=gtc_cache, fallback=library)
    judge = _claim_judge(settings, clock, sleep)
    return GtcServices(
        checker=_verifier(retriever, settings, judge, cache),
        cache=gtc_cache,
        client=client,
        library=library,
        _http=owned_http,
        _redis=owned_redis,
        _claim_judge=judge,
    )


def _claim_judge(settings: Settings, clock: Clock, sleep: Sleep) -> ClaimJudge | None:
    if not settings.gtc.llm_judging or settings.llm.provider is LlmProvider.NONE:
        return None
    # The model SDKs take a second to import; runs without an LLM never pay for them.
    from compliance_assistant.llm.claim_judge import create_claim_judge

    return create_claim_judge(settings.llm, redis_url=settings.redis.url, clock=clock, sleep=sleep)


def _verifier(
    retriever: GtcRetriever,
    settings: Settings,
    judge: ClaimJudgePort | None = None,
    cache: Cache | None = None,
) -> GtcVerifier:
    reviewer = ClaimReviewer(
        judge,
        cache=cache,
        cache_ttl_seconds=settings.llm.verdict_cache_ttl_seconds,
        max_claims=settings.gtc.llm_max_claims,
    )
    return GtcVerifier(
        retriever,
        search_limit=settings.gtc.search_limit,
        max_documents=settings.gtc.max_documents,
        reviewer=reviewer,
    )
