"""GTC checks through the real client and the reference server: cache hits on repeat (counted at
the server), failover, stale-cache fallback, and not_run when nothing can stand in."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.gtc.conftest import ARTICLES, Env, make_client
from tests.services import free_port

from compliance_assistant.engine.document import Document
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind
from compliance_assistant.engine.ports import Cache, GtcChecker
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.gtc.cache import GtcCache
from compliance_assistant.gtc.checker import GtcVerifier
from compliance_assistant.gtc.library import GtcLibrary
from compliance_assistant.gtc.retrieval import GtcRetriever
from compliance_assistant.ingest import ingest_file
from compliance_assistant.storage.blob import LocalBlobStore
from compliance_assistant.storage.cache import RedisCache, redis_client
from compliance_assistant.storage.memory_cache import MemoryCache

pytestmark = pytest.mark.anyio
GUIDELINE = Guideline(
    id="gtc-consistency", title="Claims agree with the product's GTC", kind=GuidelineKind.GTC
)
DAY = 24 * 3600.0


@pytest.fixture(scope="module")
def easy_saver() -> Document:
    return ingest_file(ARTICLES / "gtc-easy-saver.md")


def verifier(
    env: Env,
    urls: list[str],
    *,
    cache: Cache | None,
    blobs: Path | None,
    fallback: GtcLibrary | None = None,
) -> GtcVerifier:
    client = make_client(env.http, urls, env.clock, env.sleep, env.metrics)
    layers = GtcCache(
        cache=cache,
        blobs=LocalBlobStore(blobs) if blobs else None,
        clock=env.clock,
        metrics=env.metrics,
    )
    return GtcVerifier(GtcRetriever(client, cache=layers, fallback=fallback))


def quotes(verdict_findings: object) -> set[str]:
    return {f.span.quote for f in verdict_findings}  # type: ignore[attr-defined]


async def test_a_repeated_check_is_served_from_the_cache(
    env: Env, tmp_path: Path, easy_saver: Document
) -> None:
    checker: GtcChecker = verifier(
        env, [env.server.url], cache=MemoryCache(clock=env.clock), blobs=tmp_path
    )
    first = await checker.check(easy_saver, GUIDELINE)
    assert first.result.status is GuidelineStatus.FAIL
    assert env.faults.count("/v1/search") == 1
    assert env.faults.count("/v1/documents/") == 1  # one download
    sent = env.faults.count()
    second = await checker.check(easy_saver, GUIDELINE)
    assert env.faults.count() == sent  # nothing sent the second time
    assert second.result.findings == first.result.findings
    assert second.gtc_documents[0]["origin"] == "cache"
    assert first.gtc_documents[0]["origin"] == "smart_search"


async def test_the_redis_cache_serves_repeated_checks_across_checkers(
    env: Env, tmp_path: Path, easy_saver: Document, redis_url: str, redis_key_prefix: str
) -> None:
    client = redis_client(redis_url)
    try:
        cache = RedisCache(client, key_prefix=f"{redis_key_prefix}e2e:")
        one = verifier(env, [env.server.url], cache=cache, blobs=tmp_path)
        other = verifier(env, [env.server.url], cache=cache, blobs=tmp_path)
        await one.check(easy_saver, GUIDELINE, tenant_id="tenant-1")
        sent = env.faults.count()
        verdict = await other.check(easy_saver, GUIDELINE, tenant_id="tenant-1")
        assert env.faults.count() == sent
        assert verdict.result.status is GuidelineStatus.FAIL
        await other.check(easy_saver, GUIDELINE, tenant_id="tenant-2")
        assert env.faults.count() == sent + 1  # another tenant searches again; the PDF is shared
    finally:
        await client.aclose()


async def test_expired_cache_is_used_when_smart_search_is_down_and_marked_stale(
    env: Env, tmp_path: Path, easy_saver: Document
) -> None:
    checker = verifier(env, [env.server.url], cache=MemoryCache(clock=env.clock), blobs=tmp_path)
    fresh = await checker.check(easy_saver, GUIDELINE)
    env.faults.down = True
    env.clock.advance(31 * DAY)  # every layer has expired
    verdict = await checker.check(easy_saver, GUIDELINE)
    assert verdict.result.status is GuidelineStatus.FAIL
    assert quotes(verdict.result.findings) == quotes(fresh.result.findings)
    assert all(e.stale for f in verdict.result.findings for e in f.evidence)
    assert not any(e.stale for f in fresh.result.findings for e in f.evidence)
    codes = {w.code for w in verdict.warnings}
    assert {"gtc_source_unavailable", "gtc_stale"} <= codes
    assert verdict.gtc_documents[0]["stale"] is True


async def test_nothing_cached_and_smart_search_down_is_not_run(
    env: Env, tmp_path: Path, easy_saver: Document
) -> None:
    env.faults.down = True
    checker = verifier(env, [env.server.url], cache=MemoryCache(clock=env.clock), blobs=tmp_path)
    verdict = await checker.check(easy_saver, GUIDELINE)
    assert verdict.result.status is GuidelineStatus.NOT_RUN
    assert "unavailable" in (verdict.result.reason or "")
    assert verdict.result.findings == ()
    assert {w.code for w in verdict.warnings} == {"gtc_source_unavailable"}


async def test_a_dead_primary_fails_over_to_the_secondary(
    env: Env, tmp_path: Path, easy_saver: Document
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    checker = verifier(
        env, [dead, env.secondary.url], cache=MemoryCache(clock=env.clock), blobs=tmp_path
    )
    verdict = await checker.check(easy_saver, GUIDELINE)
    assert verdict.result.status is GuidelineStatus.FAIL
    assert env.secondary_faults.count() == 2  # search + download
    assert (
        env.metrics.registry.get_sample_value(
            "smart_search_failovers_total", {"endpoint": "primary"}
        )
        == 2
    )


async def test_the_local_library_stands_in_when_nothing_is_cached(
    env: Env, library: GtcLibrary, easy_saver: Document
) -> None:
    env.faults.down = True
    checker = verifier(env, [env.server.url], cache=None, blobs=None, fallback=library)
    verdict = await checker.check(easy_saver, GUIDELINE)
    assert verdict.result.status is GuidelineStatus.FAIL
    assert verdict.gtc_documents[0]["origin"] == "library"
    assert verdict.gtc_documents[0]["stale"] is False
    assert "gtc_source_unavailable" in {w.code for w in verdict.warnings}


async def test_a_request_product_is_searched_by_filter(env: Env, tmp_path: Path) -> None:
    from compliance_assistant.ingest import ingest_text

    document = ingest_text("Our loan: borrow up to €40,000 with no early repayment fees.")
    checker = verifier(env, [env.server.url], cache=None, blobs=tmp_path)
    bound = checker.for_request(tenant_id="t", product_id="flexiloan")
    verdict = await bound.check(document, GUIDELINE)
    assert [d["gtc_id"] for d in verdict.gtc_documents] == ["northbank-flexiloan-v2.1"]
    assert quotes(verdict.result.findings) == {"€40,000", "no early repayment fees"}
