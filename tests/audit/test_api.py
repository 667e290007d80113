"""``GET /api/v1/audit`` and the events the endpoints record, in both modes: the action, its
target and the request's correlation id; admins only; each tenant sees its own log."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.harness import (
    Api,
    Services,
    llm_set_yaml,
    make_key,
    running_api,
    settings_for,
    unique,
)
from tests.doubles.llm_server import LlmDouble, Reply

pytestmark = pytest.mark.anyio


async def audit(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/api/v1/audit", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def corr(name: str) -> dict[str, str]:
    return {"X-Correlation-ID": unique(name)}


async def test_endpoints_record_who_did_what_with_the_correlation_id(api: Api) -> None:
    set_id = unique("audit-set")
    create = corr("create")
    created = await api.post(
        "/api/v1/guideline-sets",
        content=llm_set_yaml(set_id, unique("m"), rule=True).encode(),
        headers={**create, "Content-Type": "application/yaml"},
    )
    assert created.status_code == 201, created.text

    submit = corr("submit")
    accepted = await api.submit(
        f"A risk-free plan {unique('t')}", guidelines=["no-guarantees"], headers=submit
    )
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    await api.wait_for(job_id)
    read = corr("read")
    result = await api.get(f"/api/v1/jobs/{job_id}/result", headers=read)
    assert result.status_code == 200
    finding = result.json()["guidelines"][0]["findings"][0]
    dismiss = corr("dismiss")
    feedback = await api.post(
        f"/api/v1/findings/{finding['id']}/feedback",
        json={"job_id": job_id, "action": "dismiss", "reason": "Approved by legal"},
        headers=dismiss,
    )
    assert feedback.status_code == 201

    events = {e["correlation_id"]: e for e in await audit(api)}
    expected = {
        create["X-Correlation-ID"]: ("guideline_set.created", f"{set_id}@1"),
        submit["X-Correlation-ID"]: ("check.submitted", job_id),
        read["X-Correlation-ID"]: ("result.read", job_id),
        dismiss["X-Correlation-ID"]: ("finding.feedback", finding["id"]),
    }
    for correlation_id, (action, target) in expected.items():
        event = events[correlation_id]
        assert (event["action"], event["target"]) == (action, target)
        assert event["tenant_id"] == api.tenant
        assert event["actor"]
    assert events[submit["X-Correlation-ID"]]["details"] == {"created": True, "replayed": False}
    assert events[dismiss["X-Correlation-ID"]]["details"] == {
        "job_id": job_id,
        "decision": "dismiss",
    }
    # Filters: by action, and a window in which nothing happened.
    submitted = await audit(api, action="check.submitted")
    assert {e["action"] for e in submitted} == {"check.submitted"}
    assert await audit(api, to="2000-01-01T00:00:00Z") == []


async def test_cancelling_a_job_is_recorded(api: Api) -> None:
    set_id, slow = unique("audit-cancel"), unique("slow")
    api.double.script(f"{slow}-marker", Reply(latency=20.0))
    await api.create_set(llm_set_yaml(set_id, slow, rule=False))
    job_id = (await api.submit(f"Text {unique('t')}", guideline_set=set_id)).json()["job_id"]
    headers = corr("cancel")
    cancelled = await api.delete(f"/api/v1/jobs/{job_id}", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    await api.wait_idle(job_id)
    [event] = await audit(api, action="job.cancelled")
    assert event["target"] == job_id
    assert event["correlation_id"] == headers["X-Correlation-ID"]


async def test_listing_pages_with_a_cursor_and_rejects_bad_input(api: Api) -> None:
    for i in range(3):
        response = await api.submit(f"Text {i} {unique('t')}", guidelines=["no-guarantees"])
        assert response.status_code == 202
    first = (await api.get("/api/v1/audit", params={"limit": 2})).json()
    assert len(first["items"]) == 2
    second = (
        await api.get("/api/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) >= 3
    bad_cursor = await api.get("/api/v1/audit", params={"cursor": "garbage"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["error"]["code"] == "INVALID_INPUT"
    bad_date = await api.get("/api/v1/audit", params={"from": "yesterday"})
    assert bad_date.status_code == 422
    assert bad_date.json()["error"]["code"] == "VALIDATION_ERROR"
    # Inputs that parse but cannot be bound are refused, not a 500.
    far_cursor = base64.urlsafe_b64encode(b'["0001-01-01T00:00:00+14:00",1]').decode()
    huge_id = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00",99999999999]').decode()
    for params, status in (
        ({"cursor": far_cursor}, 400),
        ({"cursor": huge_id}, 400),
        ({"from": "0001-01-01T00:00:00+14:00"}, 400),
        ({"action": "check\x00submitted"}, 422),
        ({"actor": "a\nb"}, 422),
    ):
        refused = await api.get("/api/v1/audit", params=params)
        assert refused.status_code == status, (params, refused.text)
        assert set(refused.json()) == {"error"}
    # Let the queued checks finish before the app stops.
    for item in second["items"] + first["items"]:
        if item["action"] == "check.submitted":
            await api.wait_for(item["target"])


@pytest.fixture
async def prod(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> AsyncIterator[Api]:
    settings = settings_for("production", tmp_path, llm_double, production_services)
    async with running_api("production", settings, llm_double, worker=False) as running:
        yield running


async def test_only_admins_read_the_log_and_only_their_tenants(prod: Api) -> None:
    writer = await make_key(prod.settings, prod.tenant, ["writer", "reviewer"])
    submitted = await prod.submit(f"Text {unique('t')}", guidelines=["no-guarantees"])
    assert submitted.status_code == 202
    job_id = submitted.json()["job_id"]

    forbidden = await prod.client.get("/api/v1/audit", headers={"X-API-Key": writer})
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "FORBIDDEN"
    anonymous = await prod.client.get("/api/v1/audit")
    assert anonymous.status_code == 401

    mine = await audit(prod)
    assert [e["target"] for e in mine if e["action"] == "check.submitted"] == [job_id]
    other = await prod.client.get(
        "/api/v1/audit", headers={"Authorization": f"Bearer {prod.keys['b']}"}
    )
    assert other.status_code == 200
    assert all(e["tenant_id"] == f"{prod.tenant}-b" for e in other.json()["items"])
    assert job_id not in {e["target"] for e in other.json()["items"]}
