"""Status views, cached views (tenant envelope) and re-applied dismissals."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from compliance_assistant.checks.feedback import apply_decisions
from compliance_assistant.checks.repository import OtherTenantError, views
from compliance_assistant.checks.schemas import status_view
from compliance_assistant.engine.document import BlockKind, DocumentBuilder
from compliance_assistant.engine.guidelines import parse_guideline_set
from compliance_assistant.engine.plan import build_plan
from compliance_assistant.engine.run import run_plan
from compliance_assistant.storage.db import FeedbackRecord, JobRecord
from compliance_assistant.storage.memory_cache import MemoryCache

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
JOB = JobRecord(
    id="j1",
    tenant_id="t1",
    user_id="u",
    status="processing",
    guideline_set_id="s",
    guideline_set_version=2,
    selected_guidelines=(),
    document_id=None,
    title=None,
    input_format="text",
    article_blob_key=None,
    article_sha256="x",
    dedupe_key=None,
    progress_done=1,
    progress_total=4,
    error_code=None,
    error_message=None,
    attempts=1,
    worker_id="w",
    heartbeat_at=T0,
    created_at=T0,
    updated_at=T0,
    started_at=T0,
    finished_at=None,
    correlation_id=None,
    metadata={},
)


def test_status_view_progress_links_and_error() -> None:
    view = status_view(JOB, "https://x.example/api/v1")
    assert (view.progress.done, view.progress.total, view.progress.percent) == (1, 4, 25.0)
    assert view.result_url is None
    done = status_view(dataclasses.replace(JOB, status="completed"), "/api/v1")
    assert done.progress.percent == 100.0
    assert done.progress.done == done.progress.total == 4
    assert done.result_url == "/api/v1/jobs/j1/result"
    failed = status_view(
        dataclasses.replace(JOB, status="failed", error_code="JOB_TIMEOUT", error_message="slow"),
        "/api/v1",
    )
    assert failed.error is not None
    assert (failed.error.code, failed.error.message) == ("JOB_TIMEOUT", "slow")
    queued = status_view(dataclasses.replace(JOB, progress_done=0, progress_total=0), "/api/v1")
    assert queued.progress.percent == 0.0


@pytest.mark.anyio
async def test_cached_views_carry_and_check_the_tenant() -> None:
    cache = MemoryCache()
    await views.put_status(cache, "t1", "j1", b'{"status":"queued"}')
    assert await views.get_status(cache, "t1", "j1") == b'{"status":"queued"}'
    with pytest.raises(OtherTenantError):
        await views.get_status(cache, "t2", "j1")
    assert await views.get_status(cache, "t1", "missing") is None
    await cache.set("job:result:j2", b"no envelope", 60)
    assert await views.get_result(cache, "t1", "j2") is None
    assert await views.forget_job(cache, "j1") == 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_dismissals_are_reapplied_by_fingerprint() -> None:
    gset = parse_guideline_set(
        "id: s\nversion: 1\ntitle: S\nguidelines:\n"
        "  - id: g\n    title: G\n    kind: rule\n    rules:\n"
        "      - name: Free\n        extends: existence\n        message: \"No '%s'.\"\n"
        "        level: error\n        tokens: [free]\n"
    )
    builder = DocumentBuilder(source_format="text")
    builder.add("It is free. Really free.", BlockKind.PARAGRAPH)
    result = run_plan(builder.build(), build_plan(gset, {}), job_id="j", document_id="d")
    first, second = result.guidelines[0].findings
    assert result.summary.errors == 2
    decision = FeedbackRecord(
        tenant_id="t",
        document_id="d",
        fingerprint=first.fingerprint,
        finding_id=first.id,
        job_id="j",
        guideline_id="g",
        action="dismiss",
        reason="approved",
        actor="alice",
        created_at=T0,
    )
    once = apply_decisions(result, {first.fingerprint: decision})
    assert once.summary.errors == 1
    assert once.guidelines[0].findings[0].dismissed is not None
    assert once.guidelines[0].findings[0].dismissed.by == "alice"
    assert once.guidelines[0].findings[1].dismissed is None
    assert once.guidelines[0].status == "fail"
    both = apply_decisions(
        result,
        {
            f.fingerprint: dataclasses.replace(decision, fingerprint=f.fingerprint)
            for f in (first, second)
        },
    )
    assert both.summary.errors == 0
    assert both.guidelines[0].status == "pass"
    assert both.score == 100
    accepted = apply_decisions(
        once, {first.fingerprint: dataclasses.replace(decision, action="accept")}
    )
    assert accepted.guidelines[0].findings[0].dismissed is None
    assert apply_decisions(result, {}) is result
