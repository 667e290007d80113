"""Feedback on findings (dismissals re-applied by fingerprint), the admin cache endpoint and
the health probes."""

from __future__ import annotations

import pytest

from tests.api.harness import Api, unique

pytestmark = pytest.mark.anyio


async def test_dismissal_is_reapplied_to_later_results_of_the_same_document(api: Api) -> None:
    document_id = unique("doc")
    text = f"A risk-free plan. {unique('x')}"
    first = await api.check(
        text, guidelines=["no-guarantees"], metadata={"document_id": document_id}
    )
    assert first["document_id"] == document_id
    assert first["summary"]["errors"] == 1
    finding = first["guidelines"][0]["findings"][0]
    response = await api.post(
        f"/api/v1/findings/{finding['id']}/feedback",
        json={"job_id": first["job_id"], "action": "dismiss", "reason": "Approved by legal"},
    )
    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["fingerprint"] == finding["fingerprint"]
    assert decision["document_id"] == document_id
    # The same job's result now shows the dismissal and no longer counts it.
    again = (await api.get(f"/api/v1/jobs/{first['job_id']}/result")).json()
    dismissed = again["guidelines"][0]["findings"][0]["dismissed"]
    assert dismissed["reason"] == "Approved by legal"
    assert dismissed["by"]
    assert again["summary"]["errors"] == 0
    assert again["guidelines"][0]["status"] == "pass"
    # A re-check of the edited article (same document id) re-applies it by fingerprint.
    edited = await api.check(
        text + " Now with more words.",
        guidelines=["no-guarantees"],
        metadata={"document_id": document_id},
    )
    assert edited["job_id"] != first["job_id"]
    assert edited["guidelines"][0]["findings"][0]["dismissed"]["reason"] == "Approved by legal"
    # Accepting it afterwards withdraws the dismissal.
    accept = await api.post(
        f"/api/v1/findings/{finding['id']}/feedback",
        json={"job_id": first["job_id"], "action": "accept", "reason": "Changed our mind"},
    )
    assert accept.status_code == 201
    latest = (await api.get(f"/api/v1/jobs/{edited['job_id']}/result")).json()
    assert latest["guidelines"][0]["findings"][0]["dismissed"] is None
    assert latest["summary"]["errors"] == 1


async def test_feedback_on_unknown_finding_or_job_is_404(api: Api) -> None:
    result = await api.check(f"Risk-free {unique('x')}", guidelines=["no-guarantees"])
    unknown_finding = await api.post(
        "/api/v1/findings/f999-nothing/feedback",
        json={"job_id": result["job_id"], "action": "dismiss", "reason": "x"},
    )
    assert unknown_finding.status_code == 404
    assert unknown_finding.json()["error"]["code"] == "FINDING_NOT_FOUND"
    unknown_job = await api.post(
        "/api/v1/findings/f1/feedback",
        json={"job_id": unique("job"), "action": "dismiss", "reason": "x"},
    )
    assert unknown_job.status_code == 404
    bad_action = await api.post(
        "/api/v1/findings/f1/feedback",
        json={"job_id": result["job_id"], "action": "ignore", "reason": "x"},
    )
    assert bad_action.status_code == 422


async def test_admin_clears_the_cached_views_of_a_job(api: Api) -> None:
    result = await api.check(f"Risk-free {unique('x')}", guidelines=["no-guarantees"])
    job_id = result["job_id"]
    cleared = await api.delete(f"/api/v1/admin/cache/jobs/{job_id}")
    assert cleared.status_code == 200
    assert cleared.json() == {"job_id": job_id, "deleted_keys": 2}
    # Served from the database again (and re-cached).
    assert (await api.status(job_id))["status"] == "completed"
    again = await api.delete(f"/api/v1/admin/cache/jobs/{job_id}")
    assert again.json()["deleted_keys"] == 1
    assert (await api.delete(f"/api/v1/admin/cache/jobs/{unique('j')}")).status_code == 404


async def test_health_probes(api: Api) -> None:
    live = await api.client.get("/health/live")
    assert live.json() == {"status": "ok"}
    ready = await api.client.get("/api/v1/health/ready")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ok"
    assert body["mode"] == api.mode
    assert {c: body["components"][c]["status"] for c in ("database", "blob", "queue")} == {
        "database": "ok",
        "blob": "ok",
        "queue": "ok",
    }
    assert body["components"]["cache"]["backend"] == (
        "redis" if api.mode == "production" else "memory"
    )


async def test_openapi_documents_the_job_api(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/compliance/check",
        "/api/v1/jobs/{job_id}/status",
        "/api/v1/jobs/{job_id}/result",
        "/api/v1/jobs/{job_id}/events",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs",
        "/api/v1/guideline-sets",
        "/api/v1/guideline-sets/{set_id}",
        "/api/v1/guideline-sets/{set_id}/test",
        "/api/v1/findings/{finding_id}/feedback",
        "/api/v1/admin/cache/jobs/{job_id}",
        "/api/v1/health/ready",
    ):
        assert path in paths, path
    body = paths["/api/v1/compliance/check"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert "CheckRequest" in schema["components"]["schemas"]
    assert (await api.client.get("/docs")).status_code == 200
