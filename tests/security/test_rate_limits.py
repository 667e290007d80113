"""Per-user rate limits by route group (Redis-backed, shared by replicas), their headers,
and the tenant's limit on active jobs."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from compliance_assistant.api.app import create_app
from compliance_assistant.api.ratelimit import RateLimiter
from compliance_assistant.config import Settings
from tests.api.harness import Services, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble
from tests.services import free_port

pytestmark = pytest.mark.anyio

HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


@contextlib.asynccontextmanager
async def second_replica(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another app instance on the same settings (database, Redis): a second replica."""
    app = create_app(settings, mode="production")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://replica.test") as c:
            yield c


async def test_read_limit_is_shared_by_replicas_and_reported_in_headers(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        api={"rate_limits": {"read": "3/minute"}},
    )
    async with (
        running_api("production", settings, llm_double, worker=False) as api,
        second_replica(settings) as replica,
    ):
        first = await api.get("/api/v1/jobs")
        assert first.status_code == 200
        assert first.headers["ratelimit-limit"] == "3"
        assert first.headers["ratelimit-remaining"] == "2"
        assert 1 <= int(first.headers["ratelimit-reset"]) <= 60
        # An endpoint that builds its Response itself (and answers 404) is counted too.
        status = await replica.get("/api/v1/jobs/no-such-job/status", headers=api.headers)
        assert status.status_code == 404
        assert status.headers["ratelimit-remaining"] == "1"
        third = await replica.get("/api/v1/jobs", headers=api.headers)
        assert third.headers["ratelimit-remaining"] == "0"
        limited = await api.get("/api/v1/jobs")
        assert limited.status_code == 429
        body = limited.json()["error"]
        assert body["code"] == "RATE_LIMITED"
        assert body["details"] == {"group": "read", "limit": 3, "window": "3 per 1 minute"}
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert all(name in limited.headers for name in HEADERS)
        assert limited.headers["ratelimit-remaining"] == "0"
        # Writes have a budget of their own; probes and docs are never limited.
        assert (await api.get("/health/live")).status_code == 200
        assert "ratelimit-limit" not in (await api.get("/health/live")).headers
        assert (await api.client.get("/openapi.json")).status_code == 200
        # Another user (of another tenant) is not affected.
        other = await api.client.get(
            "/api/v1/jobs", headers={"Authorization": f"Bearer {api.keys['b']}"}
        )
        assert other.status_code == 200
        assert other.headers["ratelimit-remaining"] == "2"


async def test_submit_group_is_separate_from_reads(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        api={"rate_limits": {"submit": "1/minute", "read": "100/minute"}},
    )
    async with running_api("production", settings, llm_double, worker=False) as api:
        accepted = await api.submit(f"Text {unique('rl')}", guidelines=["no-guarantees"])
        assert accepted.status_code == 202
        assert accepted.headers["ratelimit-limit"] == "1"
        refused = await api.submit(f"Text {unique('rl')}", guidelines=["no-guarantees"])
        assert refused.status_code == 429
        assert refused.json()["error"]["details"]["group"] == "submit"
        job = accepted.json()["job_id"]
        status = await api.get(f"/api/v1/jobs/{job}/status")
        assert status.status_code == 200
        assert status.headers["ratelimit-limit"] == "100"


async def test_tenant_with_too_many_active_jobs_gets_429(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        limits={"max_active_jobs_per_tenant": 2},
    )
    # No worker: submitted jobs stay queued.
    async with running_api("production", settings, llm_double, worker=False) as api:
        for _ in range(2):
            ok = await api.submit(f"Text {unique('busy')}", guidelines=["no-guarantees"])
            assert ok.status_code == 202, ok.text
        refused = await api.submit(f"Text {unique('busy')}", guidelines=["no-guarantees"])
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "TOO_MANY_ACTIVE_JOBS"
        assert error["details"] == {"active_jobs": 2, "limit": 2}
        assert int(refused.headers["retry-after"]) == 30
        # Another tenant is not held back.
        other = await api.client.post(
            "/api/v1/compliance/check",
            json={"article_text": f"Text {unique('busy')}", "guidelines": ["no-guarantees"]},
            headers={"Authorization": f"Bearer {api.keys['b']}"},
        )
        assert other.status_code == 202


async def test_embedded_mode_counts_in_memory(tmp_path: Path, llm_double: LlmDouble) -> None:
    settings = settings_for(
        "embedded", tmp_path, llm_double, api={"rate_limits": {"read": "2/minute"}}
    )
    async with running_api("embedded", settings, llm_double) as api:
        assert (await api.get("/api/v1/jobs")).headers["ratelimit-remaining"] == "1"
        assert (await api.get("/api/v1/jobs")).status_code == 200
        limited = await api.get("/api/v1/jobs")
        assert limited.status_code == 429
        assert "retry-after" in limited.headers


async def test_broken_redis_admits_requests_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        redis={"url": f"redis://127.0.0.1:{free_port()}/0", "connect_timeout_seconds": 0.2},
        api={"rate_limits": {"read": "1/minute"}},
    )
    limiter = RateLimiter(settings)
    try:
        with caplog.at_level(logging.WARNING, logger="compliance_assistant.api.ratelimit"):
            for _ in range(3):
                assert await limiter.hit("read", "tenant", "user") is None
        assert "request admitted" in caplog.text
    finally:
        await limiter.aclose()


def test_rate_limit_settings_are_validated() -> None:
    from compliance_assistant.config import load_settings
    from compliance_assistant.errors import InputError

    with pytest.raises(InputError, match="unknown rate-limit group"):
        load_settings(api={"rate_limits": {"uploads": "5/minute"}})
    with pytest.raises(InputError, match="is not a rate"):
        load_settings(api={"rate_limits": {"read": "often"}})
    assert load_settings(api={"submit_rate_per_minute": 7}).api.rate_limits["submit"] == (
        "7/minute"
    )


async def test_a_new_window_starts_a_fresh_budget_and_reset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The window's end is remembered per counter and read again once it has passed."""
    clock = [1_900_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    settings = Settings(data_dir=tmp_path, api={"rate_limits": {"read": "2/second"}})
    limiter = RateLimiter(settings)
    try:
        first = await limiter.hit("read", "tenant", "user")
        second = await limiter.hit("read", "tenant", "user")
        third = await limiter.hit("read", "tenant", "user")
        assert first is not None
        assert second is not None
        assert third is not None
        assert (first.remaining, second.remaining, third.allowed) == (1, 0, False)
        assert third.reset_seconds == 1
        clock[0] += 1.5
        fresh = await limiter.hit("read", "tenant", "user")
        assert fresh is not None
        assert (fresh.allowed, fresh.remaining, fresh.reset_seconds) == (True, 1, 1)
    finally:
        await limiter.aclose()
