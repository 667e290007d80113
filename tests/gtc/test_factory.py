"""Building the GTC services from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_assistant.config import load_settings
from compliance_assistant.errors import InputError
from compliance_assistant.gtc.factory import build_gtc_services
from compliance_assistant.resilience.token_bucket import MemoryTokenBucket, RedisTokenBucket

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("COMPLIANCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


async def test_nothing_configured_means_no_checker() -> None:
    assert build_gtc_services(load_settings()) is None


async def test_a_library_alone_is_embedded_mode(sample_library_dir: Path) -> None:
    services = build_gtc_services(load_settings(), library_path=sample_library_dir)
    assert services is not None
    assert services.client is None
    assert services.cache is None
    assert services.library is not None
    assert len(services.library.entries) == 3
    await services.aclose()


async def test_smart_search_with_redis_and_a_fallback_library(
    sample_library_dir: Path, redis_url: str
) -> None:
    settings = load_settings(
        gtc={
            "smart_search_url": "http://primary.example",
            "library_path": sample_library_dir,
            "smart_search_secondary_url": "http://secondary.example",
            "smart_search_api_key": "k" * 20,
            "rate_limit_per_second": 50,
        },
        redis={"url": redis_url},
    )
    services = build_gtc_services(settings)
    assert services is not None
    assert services.client is not None
    assert [e.name for e in services.client.endpoints] == ["primary", "secondary"]
    assert isinstance(services.client._bucket, RedisTokenBucket)
    assert services.checker.retriever.fallback is services.library
    assert services.cache is not None
    assert services.cache.file_ttl == 30 * 24 * 3600
    await services.aclose()


async def test_without_redis_the_bucket_is_per_process() -> None:
    settings = load_settings(
        gtc={"smart_search_url": "http://primary.example", "smart_search_api_key": "k" * 20}
    )
    services = build_gtc_services(settings)
    assert services is not None
    assert services.client is not None
    assert isinstance(services.client._bucket, MemoryTokenBucket)
    await services.aclose()


def test_smart_search_needs_an_api_key() -> None:
    with pytest.raises(InputError, match="smart_search_api_key"):
        load_settings(gtc={"smart_search_url": "http://primary.example"})
    settings = load_settings(
        gtc={"smart_search_url": "http://p.example", "smart_search_api_key": "s" * 20}
    )
    assert "gtc.smart_search_api_key" in settings.secrets()
