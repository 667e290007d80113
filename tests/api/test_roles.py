"""Roles (api/roles.py) through the API: a missing role is 403; another user's job is 404 for
a writer, exactly like another tenant's; reviewers see and judge the tenant's jobs; revoked
and expired keys are 401."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from compliance_assistant.storage.db import Database, api_keys
from tests.api.harness import PEPPER, Api, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble

pytestmark = pytest.mark.anyio
TENANT = "acme"


@dataclass
class Keys:
    writer: dict[str, str]
    writer2: dict[str, str]
    reviewer: dict[str, str]
    admin: dict[str, str]
    no_role: dict[str, str]
    other_tenant: dict[str, str]
    revoked: dict[str, str]
    expired: dict[str, str]


async def _key(
    database: Database,
    roles: list[str],
    *,
    tenant: str = TENANT,
    revoked: bool = False,
    expires_at: datetime | None = None,
) -> dict[str, str]:
    now = datetime.now(UTC)
    async with database.session() as session:
        record, key = await api_keys.create(
            session,
            tenant,
            name=f"test {'+'.join(roles) or 'none'}",
            roles=roles,
            pepper=PEPPER.encode(),
            now=now - timedelta(days=2),
            expires_at=expires_at,
        )
        if revoked:
            assert await api_keys.revoke(session, tenant, record.id, now=now)
    return {"X-API-Key": key}


@pytest.fixture
async def api(tmp_path: Path, llm_double: LlmDouble) -> AsyncIterator[tuple[Api, Keys]]:
    settings = settings_for("embedded", tmp_path, llm_double, api={"require_api_keys": True})
    async with running_api("embedded", settings, llm_double) as running:
        database = running.ctx.database
        keys = Keys(
            writer=await _key(database, ["writer"]),
            writer2=await _key(database, ["writer"]),
            reviewer=await _key(database, ["reviewer"]),
            admin=await _key(database, ["admin"]),
            no_role=await _key(database, []),
            other_tenant=await _key(database, ["writer", "reviewer"], tenant="globex"),
            revoked=await _key(database, ["writer"], revoked=True),
            expired=await _key(
                database, ["writer"], expires_at=datetime.now(UTC) - timedelta(minutes=1)
            ),
        )
        yield running, keys


async def _completed_job(api: Api, headers: dict[str, str]) -> tuple[str, str]:
    """A completed job of ``headers``' user with one finding: (job id, finding id)."""
    api.headers = headers
    result = await api.check(f"Risk-free {unique('r')}", guidelines=["no-guarantees"])
    finding = result["guidelines"][0]["findings"][0]["id"]
    return result["job_id"], finding


async def _job_reads(
    client: httpx.AsyncClient, job_id: str, finding: str, headers: dict[str, str]
) -> dict[str, int]:
    paths = ("status", "result", "report", "events")
    codes = {
        path: (await client.get(f"/api/v1/jobs/{job_id}/{path}", headers=headers)).status_code
        for path in paths
    }
    feedback = await client.post(
        f"/api/v1/findings/{finding}/feedback",
        json={"job_id": job_id, "action": "dismiss", "reason": "seen"},
        headers=headers,
    )
    codes["feedback"] = feedback.status_code
    return codes


async def _listed(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    response = await client.get("/api/v1/jobs", headers=headers, params={"limit": 200})
    assert response.status_code == 200, response.text
    return {item["job_id"] for item in response.json()["items"]}


async def test_writers_see_only_their_own_jobs(api: tuple[Api, Keys]) -> None:
    running, keys = api
    client = running.client
    job_id, finding = await _completed_job(running, keys.writer)
    for who in (keys.writer2, keys.other_tenant):
        codes = await _job_reads(client, job_id, finding, who)
        assert codes == dict.fromkeys(codes, 404), codes
        response = await client.get(f"/api/v1/jobs/{job_id}/status", headers=who)
        assert response.json()["error"]["code"] == "JOB_NOT_FOUND"
        assert (await client.delete(f"/api/v1/jobs/{job_id}", headers=who)).status_code == 404
        assert job_id not in await _listed(client, who)
    # The owner: every read, and feedback on its own job (the add-in's dismiss button).
    assert await _job_reads(client, job_id, finding, keys.writer) == {
        "status": 200,
        "result": 200,
        "report": 200,
        "events": 200,
        "feedback": 201,
    }
    assert job_id in await _listed(client, keys.writer)


async def test_reviewers_see_and_judge_the_tenants_jobs(api: tuple[Api, Keys]) -> None:
    running, keys = api
    client = running.client
    job_id, finding = await _completed_job(running, keys.writer)
    codes = await _job_reads(client, job_id, finding, keys.reviewer)
    assert codes == {"status": 200, "result": 200, "report": 200, "events": 200, "feedback": 201}
    assert job_id in await _listed(client, keys.reviewer)
    # The dismissal is the reviewer's, shown to the writer too.
    result = (await client.get(f"/api/v1/jobs/{job_id}/result", headers=keys.writer)).json()
    dismissed = result["guidelines"][0]["findings"][0]["dismissed"]
    assert dismissed["by"].startswith("test reviewer")
    # Reviewing is not cancelling or submitting.
    assert (await client.delete(f"/api/v1/jobs/{job_id}", headers=keys.reviewer)).status_code == 403
    submit = await client.post(
        "/api/v1/compliance/check", json={"article_text": "Hello"}, headers=keys.reviewer
    )
    assert submit.status_code == 403
    # Admins see every job of the tenant, and nothing of another tenant.
    assert job_id in await _listed(client, keys.admin)
    assert job_id not in await _listed(client, keys.other_tenant)


async def test_cancel_is_for_the_owner_and_admins(api: tuple[Api, Keys]) -> None:
    running, keys = api
    client = running.client
    job_id, _ = await _completed_job(running, keys.writer2)
    assert (await client.delete(f"/api/v1/jobs/{job_id}", headers=keys.writer)).status_code == 404
    # Authorised, but the job has ended: 409 is the job's answer, not the policy's.
    for who in (keys.writer2, keys.admin):
        response = await client.delete(f"/api/v1/jobs/{job_id}", headers=who)
        assert response.status_code == 409, response.text


async def test_a_missing_role_is_403(api: tuple[Api, Keys]) -> None:
    running, keys = api
    client = running.client
    set_yaml = (
        f"id: {unique('set')}\nversion: 1\ntitle: T\nguidelines:\n"
        "  - id: g\n    title: G\n    kind: rule\n    rules: [MarketingEU.Guarantees]\n"
    ).encode()
    yaml_headers = {"Content-Type": "application/yaml"}
    refused = [
        ("GET", "/api/v1/jobs", keys.no_role, None),
        ("GET", "/api/v1/guideline-sets", keys.no_role, None),
        ("POST", "/api/v1/compliance/check", keys.no_role, b'{"article_text": "Hi"}'),
        ("POST", "/api/v1/guideline-sets", keys.writer, set_yaml),
        ("POST", "/api/v1/guideline-sets", keys.reviewer, set_yaml),
        ("POST", "/api/v1/guideline-sets/marketing-eu/test", keys.writer, b"{}"),
        ("DELETE", "/api/v1/admin/cache/jobs/some-job", keys.writer, None),
        ("DELETE", "/api/v1/admin/cache/jobs/some-job", keys.reviewer, None),
    ]
    for method, path, headers, body in refused:
        content_type = yaml_headers if path == "/api/v1/guideline-sets" else {}
        response = await client.request(
            method, path, content=body, headers={**headers, **content_type}
        )
        assert response.status_code == 403, (method, path, response.text)
        error = response.json()["error"]
        assert error["code"] == "FORBIDDEN"
        assert error["details"]["required"], error
    # Every role reads guideline sets; admins edit them.
    for who in (keys.writer, keys.reviewer, keys.admin):
        assert (await client.get("/api/v1/guideline-sets", headers=who)).status_code == 200
    created = await client.post(
        "/api/v1/guideline-sets", content=set_yaml, headers={**keys.admin, **yaml_headers}
    )
    assert created.status_code == 201, created.text


async def test_revoked_and_expired_keys_are_401(api: tuple[Api, Keys]) -> None:
    running, keys = api
    for headers in (keys.revoked, keys.expired):
        response = await running.client.get("/api/v1/jobs", headers=headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "UNAUTHORIZED"
        assert "revoked or expired" in error["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    # The same key as a bearer credential is judged the same way.
    bearer = {"Authorization": f"Bearer {keys.revoked['X-API-Key']}"}
    assert (await running.client.get("/api/v1/jobs", headers=bearer)).status_code == 401
    missing = await running.client.get("/api/v1/jobs")
    assert missing.status_code == 401
    assert "API key is required" in missing.json()["error"]["message"]
