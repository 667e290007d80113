"""Production mode: API keys, tenant isolation (another tenant's job is a 404, cached or
not), roles, the submission rate limit, and readiness when a service is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from compliance_assistant.api.auth import auth_required
from tests.api.harness import Api, Services, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble
from tests.services import free_port

pytestmark = pytest.mark.anyio


@pytest.fixture
async def prod(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> AsyncIterator[Api]:
    settings = settings_for("production", tmp_path, llm_double, production_services)
    async with running_api("production", settings, llm_double) as running:
        yield running


def as_tenant_b(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.keys['b']}"}


async def test_another_tenants_job_is_404_cached_or_not(prod: Api) -> None:
    result = await prod.check(f"Risk-free {unique('x')}", guidelines=["no-guarantees"])
    job_id = result["job_id"]
    other = as_tenant_b(prod)
    paths = [
        f"/api/v1/jobs/{job_id}/status",
        f"/api/v1/jobs/{job_id}/result",
        f"/api/v1/jobs/{job_id}/events",
        f"/api/v1/jobs/{job_id}/report",
    ]
    # Warm: the owner's status and result are cached now.
    assert (await prod.status(job_id))["status"] == "completed"
    for path in paths:
        response = await prod.client.get(path, headers=other)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "JOB_NOT_FOUND"
    # Cold: no cache entry at all.
    await prod.delete(f"/api/v1/admin/cache/jobs/{job_id}")
    for path in paths:
        assert (await prod.client.get(path, headers=other)).status_code == 404
    assert (await prod.client.delete(f"/api/v1/jobs/{job_id}", headers=other)).status_code == 404
    assert (
        await prod.client.delete(f"/api/v1/admin/cache/jobs/{job_id}", headers=other)
    ).status_code == 404
    finding = result["guidelines"][0]["findings"][0]["id"]
    feedback = await prod.client.post(
        f"/api/v1/findings/{finding}/feedback",
        json={"job_id": job_id, "action": "dismiss", "reason": "x"},
        headers=other,
    )
    assert feedback.status_code == 404
    listed = await prod.client.get("/api/v1/jobs", headers=other, params={"limit": 200})
    assert job_id not in {j["job_id"] for j in listed.json()["items"]}
    # The owner still sees it.
    assert (await prod.status(job_id))["status"] == "completed"


async def test_tenant_sets_are_private_and_ids_per_tenant(prod: Api) -> None:
    set_id = unique("private")
    yaml_text = (
        f"id: {set_id}\nversion: 1\ntitle: Private\nguidelines:\n"
        "  - id: g\n    title: G\n    kind: rule\n    rules: [MarketingEU.Guarantees]\n"
    )
    await prod.create_set(yaml_text)
    other = as_tenant_b(prod)
    assert (
        await prod.client.get(f"/api/v1/guideline-sets/{set_id}", headers=other)
    ).status_code == 404
    submit = await prod.client.post(
        "/api/v1/compliance/check",
        json={"article_text": "Risk-free", "guideline_set": set_id},
        headers=other,
    )
    assert submit.status_code == 404
    # The other tenant may create its own set under the same id: it starts at version 1.
    created = await prod.client.post(
        "/api/v1/guideline-sets",
        content=yaml_text.encode(),
        headers={**other, "Content-Type": "application/yaml"},
    )
    assert created.status_code == 201
    assert created.json()["version"] == 1


async def test_api_keys_are_required_and_roles_enforced(prod: Api) -> None:
    assert auth_required(prod.settings)
    none = await prod.client.get("/api/v1/jobs")
    assert none.status_code == 401
    assert none.json()["error"]["code"] == "UNAUTHORIZED"
    assert none.headers["www-authenticate"].startswith("Bearer")
    bad = await prod.client.get("/api/v1/jobs", headers={"X-API-Key": "ca_notarealkey1_secret"})
    assert bad.status_code == 401
    # A key without roles may do nothing at all (docs/decisions/0004-roles.md).
    reader = {"X-API-Key": prod.keys["reader"]}
    assert (await prod.client.get("/api/v1/jobs", headers=reader)).status_code == 403
    forbidden = await prod.client.post(
        "/api/v1/compliance/check", json={"article_text": "Risk-free"}, headers=reader
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "FORBIDDEN"
    admin_only = await prod.client.delete("/api/v1/admin/cache/jobs/x", headers=reader)
    assert admin_only.status_code == 403
    # Probes need no key.
    assert (await prod.client.get("/health/live")).status_code == 200


async def test_submission_rate_limit_is_429_with_retry_after(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        api={"submit_rate_per_minute": 2},
    )
    async with running_api("production", settings, llm_double, worker=False) as api:
        for i in range(2):
            ok = await api.submit(f"Text {i} {unique('rl')}", guidelines=["no-guarantees"])
            assert ok.status_code == 202
        limited = await api.submit(f"Text {unique('rl')}")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Another user of the same tenant has a budget of its own.
        other = await api.client.post(
            "/api/v1/compliance/check",
            json={"article_text": f"Text {unique('rl')}", "guidelines": ["no-guarantees"]},
            headers={"Authorization": f"Bearer {api.keys['b']}"},
        )
        assert other.status_code == 202


async def test_ready_is_degraded_without_redis_and_503_without_blob(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        redis={"url": dead_redis, "socket_timeout_seconds": 0.2, "connect_timeout_seconds": 0.2},
    )
    async with running_api("production", settings, llm_double) as api:
        ready = await api.client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "degraded"
        assert ready.json()["components"]["cache"]["status"] == "degraded"
        # Jobs still run and are readable without the cache (derived data only).
        result = await api.check(f"Risk-free {unique('x')}", guidelines=["no-guarantees"])
        assert result["summary"]["errors"] == 1
    dead_blob = production_services.azurite.replace(
        production_services.azurite.split("BlobEndpoint=")[1].split("/")[2],
        f"127.0.0.1:{free_port()}",
    )
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        blob={"azure_connection_string": dead_blob, "azure_container": "dead"},
    )
    async with running_api("production", settings, llm_double, worker=False) as api:
        ready = await api.client.get("/health/ready")
        assert ready.status_code == 503
        error = ready.json()["error"]
        assert error["code"] == "NOT_READY"
        assert error["details"]["failing"] == ["blob"]
        assert ready.headers["retry-after"] == "5"
