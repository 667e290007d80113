"""Submitting checks and reading them back, in both run modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.checks import endpoints as checks_endpoints
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.repository import views
from compliance_assistant.checks.service import Accepted, EarlyStatus, check_service
from compliance_assistant.storage.db.models import AuditEvent, IdempotencyKey
from tests.api.harness import Api, llm_set_yaml, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble, Reply

pytestmark = pytest.mark.anyio
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles"
RISKY = "Guaranteed returns of 7% every year! Open the UK's best savings account today."


async def test_submit_returns_202_with_links_then_status_and_result(api: Api) -> None:
    response = await api.submit(RISKY, title="Summer saver", metadata={"product_id": "p-1"})
    assert response.status_code == 202, response.text
    body = response.json()
    job_id = body["job_id"]
    assert body["status"] == "queued"
    assert body["deduplicated"] is False
    assert body["duplicate_of"] is None
    assert body["status_url"] == f"/api/v1/jobs/{job_id}/status"
    assert body["result_url"] == f"/api/v1/jobs/{job_id}/result"
    assert body["events_url"] == f"/api/v1/jobs/{job_id}/events"
    assert response.headers["location"] == body["status_url"]
    datetime.fromisoformat(body["created_at"])

    status = await api.wait_for(job_id)
    assert status["status"] == "completed"
    assert status["progress"]["percent"] == 100.0
    assert status["progress"]["done"] == status["progress"]["total"] > 0
    assert status["result_url"] == f"/api/v1/jobs/{job_id}/result"
    assert status["guideline_set"] == {"id": "marketing-eu", "version": 1}
    assert status["title"] == "Summer saver"
    assert status["error"] is None

    result = (await api.get(f"/api/v1/jobs/{job_id}/result")).json()
    assert result["job_id"] == job_id
    assert result["status"] == "completed"
    assert result["guideline_set"] == {"id": "marketing-eu", "version": 1}
    assert result["complete"] is True
    assert result["summary"]["errors"] >= 2
    assert result["document_id"].startswith("sha256:")
    fails = {g["guideline_id"] for g in result["guidelines"] if g["status"] == "fail"}
    assert {"no-guarantees", "unsubstantiated-superlatives"} <= fails
    finding = next(f for g in result["guidelines"] for f in g["findings"])
    assert {"id", "fingerprint", "span", "severity", "message", "source"} <= set(finding)

    report = await api.get(f"/api/v1/jobs/{job_id}/report")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")


async def test_correlation_id_is_echoed_or_created(api: Api) -> None:
    given = await api.get("/health/live", headers={"X-Correlation-ID": "trace-123"})
    assert given.headers["x-correlation-id"] == "trace-123"
    created = await api.get("/api/v1/jobs/nope/status")
    assert created.status_code == 404
    assert len(created.headers["x-correlation-id"]) == 32
    bad = await api.get("/health/live", headers={"X-Correlation-ID": "bad id with spaces"})
    assert bad.headers["x-correlation-id"] != "bad id with spaces"


async def test_docx_upload_is_ingested_by_the_worker(api: Api) -> None:
    data = (SAMPLES / "savings-account.docx").read_bytes()
    response = await api.post(
        "/api/v1/compliance/check",
        files={"file": ("savings-account.docx", data, "application/octet-stream")},
        data={"guidelines": "no-guarantees,unsubstantiated-superlatives", "title": "Saver"},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert (await api.wait_for(job_id))["status"] == "completed"
    result = (await api.get(f"/api/v1/jobs/{job_id}/result")).json()
    assert [g["guideline_id"] for g in result["guidelines"]][:2] == [
        "unsubstantiated-superlatives",
        "no-guarantees",
    ]
    assert result["document"]["source_format"] == "docx"
    assert result["document"]["title"] == "Saver"


async def test_word_blocks_keep_paragraph_indices(api: Api) -> None:
    blocks = [
        {"index": 0, "text": "Summer Saver", "style": "Heading 1"},
        {"index": 1, "text": ""},
        {"index": 2, "text": "A risk-free way to grow your savings."},
    ]
    result = await api.check(
        None, format="word-blocks", blocks=blocks, guidelines=["no-guarantees"]
    )
    finding = result["guidelines"][0]["findings"][0]
    assert finding["span"]["quote"].lower() == "risk-free"
    assert result["document"]["source_format"] == "word-blocks"


async def test_duplicate_article_returns_the_existing_job(api: Api) -> None:
    text = f"{RISKY} {unique('dup')}"
    first = await api.submit(text)
    assert first.status_code == 202
    job_id = first.json()["job_id"]
    # Same normalised text (whitespace differs), same set and selection: reused, and said so.
    again = await api.submit("  " + text.replace(" ", "\n  ") + " ")
    assert again.status_code == 200, again.text
    assert again.json()["deduplicated"] is True
    assert again.json()["duplicate_of"] == job_id == again.json()["job_id"]
    # Another selection, or another document id, is another check.
    other = await api.submit(text, guidelines=["no-guarantees"])
    assert other.status_code == 202
    assert other.json()["job_id"] != job_id
    other_doc = await api.submit(text, metadata={"document_id": "doc-2"})
    assert other_doc.status_code == 202
    assert other_doc.json()["job_id"] != job_id
    # A cancelled job is not reused.
    assert (await api.delete(f"/api/v1/jobs/{other_doc.json()['job_id']}")).status_code in (
        200,
        409,
    )
    await api.wait_for(job_id)


async def test_idempotency_key_replays_and_refuses_a_different_body(api: Api) -> None:
    key = unique("idem")
    text = f"{RISKY} {key}"
    first = await api.submit(text, headers={"Idempotency-Key": key})
    assert first.status_code == 202
    replay = await api.submit(text, headers={"Idempotency-Key": key})
    assert replay.status_code == 202
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["job_id"] == first.json()["job_id"]
    different = await api.submit(text + " changed", headers={"Idempotency-Key": key})
    assert different.status_code == 422
    assert different.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    await api.wait_for(first.json()["job_id"])


async def test_list_jobs_paginates_and_filters(api: Api) -> None:
    marker = unique("list")
    ids = []
    for i in range(3):
        response = await api.submit(f"Article {i} {marker}", guidelines=["no-guarantees"])
        ids.append(response.json()["job_id"])
    for job_id in ids:
        await api.wait_for(job_id)
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    first = await api.get("/api/v1/jobs", params={"limit": 2, "created_from": since})
    assert first.status_code == 200, first.text
    page = first.json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    second = await api.get(
        "/api/v1/jobs", params={"limit": 2, "cursor": page["next_cursor"], "created_from": since}
    )
    seen = [j["job_id"] for j in page["items"] + second.json()["items"]]
    assert len(seen) == len(set(seen))
    assert set(ids) <= set(seen) or len(seen) == 4
    completed = await api.get(
        "/api/v1/jobs", params={"status": ["completed"], "limit": 200, "created_from": since}
    )
    assert {j["status"] for j in completed.json()["items"]} == {"completed"}
    assert set(ids) <= {j["job_id"] for j in completed.json()["items"]}
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    empty = await api.get("/api/v1/jobs", params={"created_from": future})
    assert empty.json() == {"items": [], "next_cursor": None}


async def test_tenant_guideline_set_with_llm_guideline_runs_through_the_judge(api: Api) -> None:
    set_id = unique("llm-set")
    marker = unique("judge")
    api.double.script(f"{marker}-marker", Reply())
    created = await api.create_set(llm_set_yaml(set_id, marker))
    assert created["version"] == 1
    result = await api.check(f"Guaranteed returns {marker}", guideline_set=f"{set_id}@1")
    statuses = {g["guideline_id"]: g["status"] for g in result["guidelines"]}
    assert statuses[marker] == "pass"
    assert statuses["no-guarantees"] == "fail"
    assert result["guideline_set"] == {"id": set_id, "version": 1}
    assert api.double.count(f"{marker}-marker") == 1


async def test_idempotency_keys_live_as_long_as_the_retention_setting(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    settings = settings_for("embedded", tmp_path, llm_double, retention={"idempotency_hours": 2})
    async with running_api("embedded", settings, llm_double) as api:
        response = await api.submit("Key lifetime.", headers={"Idempotency-Key": "lifetime-1"})
        assert response.status_code == 202, response.text
        async with api.ctx.database.read_session() as session:
            row = await session.scalar(
                select(IdempotencyKey).where(IdempotencyKey.key == "lifetime-1")
            )
        assert row is not None
        assert row.expires_at - row.created_at == timedelta(hours=2)


async def test_a_submission_whose_commit_fails_leaves_no_cached_status(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new job's status view is cached while the transaction commits; when the commit
    fails, the view is dropped with it, so the job id never reads as queued."""
    started: list[str] = []
    real_start = check_service.cache_status_early

    def recording(ctx: ServiceContext, accepted: Accepted) -> EarlyStatus | None:
        early = real_start(ctx, accepted)
        if early is not None:
            started.append(early.job_id)
        return early

    def broken_audit(session: AsyncSession, **_: object) -> None:
        # A row the database refuses (created_at is NOT NULL): the commit's flush fails.
        session.add(AuditEvent(tenant_id="t", actor="a", action="x", details={}))

    monkeypatch.setattr(check_service, "cache_status_early", recording)
    monkeypatch.setattr(checks_endpoints.audit, "record", broken_audit)
    failed = await api.submit(f"Commit fails {unique('c')}", guidelines=["no-guarantees"])
    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "INTERNAL_ERROR"
    assert len(started) == 1
    ctx: ServiceContext = api.app.state.api.ctx
    assert await views.get_status(ctx.cache, api.tenant, started[0]) is None
    status = await api.get(f"/api/v1/jobs/{started[0]}/status")
    assert status.status_code == 404
