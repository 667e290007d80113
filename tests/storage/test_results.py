"""Completing a job: one transaction, exact round trip, and idempotency under retries/races."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from compliance_assistant.engine.findings import (
    Dismissal,
    Evidence,
    Finding,
    FindingSpan,
    Severity,
    Suggestion,
)
from compliance_assistant.engine.guidelines import GuidelineKind
from compliance_assistant.engine.result import (
    CheckResult,
    DocumentInfo,
    GuidelineResult,
    GuidelineSetRef,
    ResultWarning,
    Summary,
    Usage,
)
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.storage.db import Database, jobs, results
from compliance_assistant.storage.db.models import FindingRow, JobResult, ResultRow
from tests.storage.conftest import T0
from tests.storage.test_jobs import new_job

pytestmark = pytest.mark.anyio


def finding(
    n: int, guideline: str, severity: Severity = Severity.ERROR, **extra: object
) -> Finding:
    values: dict[str, object] = {
        "id": f"f{n}-abcd{n:04d}",
        "fingerprint": f"fp{n:022d}",
        "guideline_id": guideline,
        "rule_id": "MarketingEU.Guarantees",
        "severity": severity,
        "message": f"message {n}",
        "explanation": "why",
        "span": FindingSpan(
            start=n * 10,
            end=n * 10 + 5,
            block_id="p1",
            quote="guaranteed",
            line=1,
            column=n * 10 + 1,
        ),
        "source": "rule",
    }
    values.update(extra)
    return Finding.model_validate(values)


def sample_result(job_id: str) -> CheckResult:
    gtc_evidence = Evidence(
        document_id="gtc-1",
        title="Savings GTC",
        version="2024-01",
        page=3,
        section="4.2",
        quote="A monthly fee of €2 applies.",
    )
    rule = GuidelineResult(
        guideline_id="no-guarantees",
        title="No guarantees",
        kind=GuidelineKind.RULE,
        severity=Severity.ERROR,
        status=GuidelineStatus.FAIL,
        duration_ms=1.5,
        findings=(
            finding(
                1,
                "no-guarantees",
                suggestion=Suggestion(replacement="expected", description="soften"),
            ),
            finding(
                2,
                "no-guarantees",
                Severity.WARNING,
                dismissed=Dismissal(by="ann", reason="legal approved", at="2026-01-01"),
            ),
        ),
    )
    gtc = GuidelineResult(
        guideline_id="gtc-consistency",
        title="Claims agree with GTC",
        kind=GuidelineKind.GTC,
        severity=Severity.ERROR,
        status=GuidelineStatus.FAIL,
        findings=(
            finding(
                3,
                "gtc-consistency",
                source="gtc",
                evidence=(gtc_evidence,),
                confidence=0.875,
                rule_id=None,
                link="https://example.test/r",
            ),
        ),
    )
    llm = GuidelineResult(
        guideline_id="balanced-benefits",
        title="Balanced",
        kind=GuidelineKind.LLM,
        severity=Severity.ERROR,
        status=GuidelineStatus.NOT_RUN,
        reason="no LLM configured",
    )
    return CheckResult(
        job_id=job_id,
        document_id="doc-1",
        guideline_set=GuidelineSetRef(id="marketing-eu", version=3),
        score=42,
        complete=False,
        summary=Summary(errors=2, warnings=0, infos=0, not_run=1),
        guidelines=(rule, gtc, llm),
        gtc_documents=({"document_id": "gtc-1", "title": "Savings GTC", "stale": False},),
        warnings=(
            ResultWarning(code="DROPPED_QUOTE", message="a quote was dropped", details={"n": 1}),
        ),
        model="gpt-test",
        prompt_version="judge-v2",
        usage=Usage(input_tokens=120, output_tokens=30, cost=0.0012),
        timings={"total_ms": 12.5, "rules_ms": 1.5},
        document=DocumentInfo(
            title="Savings",
            source_format="docx",
            source_name="a.docx",
            characters=300,
            words=50,
            blocks=4,
        ),
    )


async def row_counts(db: Database, job_id: str) -> tuple[int, int, int]:
    async with db.read_session() as session:
        counts = []
        for model in (JobResult, FindingRow, ResultRow):
            counts.append(
                await session.scalar(
                    select(func.count()).select_from(model).where(model.job_id == job_id)
                )
            )
    return counts[0] or 0, counts[1] or 0, counts[2] or 0


async def test_complete_stores_the_exact_result(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job(), now=T0)
    result = sample_result(job.id)
    done_at = T0 + timedelta(seconds=9)
    async with db.session() as session:
        assert await results.complete(
            session, "t1", job.id, result, now=done_at, report_blob_key="reports/t1/x.json"
        )
    async with db.session() as session:
        stored = await results.get(session, "t1", job.id)
        state = await jobs.get(session, "t1", job.id)
        assert await results.report_key(session, "t1", job.id) == "reports/t1/x.json"
        assert await results.get(session, "t2", job.id) is None  # tenant-scoped
    assert stored == result
    assert state is not None
    assert (state.status, state.finished_at, state.progress_done) == ("completed", done_at, 4)
    assert await row_counts(db, job.id) == (3, 3, 1)


async def test_complete_twice_writes_once(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job(), now=T0)
        await jobs.claim(session, "t1", job.id, worker_id="w1", now=T0)
    result = sample_result(job.id)
    async with db.session() as session:
        assert await results.complete(session, "t1", job.id, result, now=T0)
    async with db.session() as session:
        assert not await results.complete(session, "t1", job.id, result, now=T0)
    assert await row_counts(db, job.id) == (3, 3, 1)


async def test_concurrent_completions_only_one_wins(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job(), now=T0)
    result = sample_result(job.id)

    async def complete() -> bool:
        async with db.session() as session:
            return await results.complete(session, "t1", job.id, result, now=T0)

    outcomes = await asyncio.gather(complete(), complete())
    assert sorted(outcomes) == [False, True]
    assert await row_counts(db, job.id) == (3, 3, 1)


async def test_cancelled_or_foreign_job_is_not_completed(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job(), now=T0)
        await jobs.cancel(session, "t1", job.id, now=T0)
        assert not await results.complete(session, "t1", job.id, sample_result(job.id), now=T0)
        other = await jobs.create(session, new_job(), now=T0)
        assert not await results.complete(session, "t2", other.id, sample_result(other.id), now=T0)
        with pytest.raises(ValueError, match="not"):
            await results.complete(session, "t1", other.id, sample_result(job.id), now=T0)
    assert await row_counts(db, job.id) == (0, 0, 0)


async def test_report_key_and_finding_counts(db: Database) -> None:
    async with db.session() as session:
        first = await jobs.create(session, new_job(), now=T0)
        second = await jobs.create(session, new_job(), now=T0)
        await results.complete(session, "t1", first.id, sample_result(first.id), now=T0)
        later = T0 + timedelta(days=1)
        await results.complete(session, "t1", second.id, sample_result(second.id), now=later)
        assert await results.set_report_key(session, "t1", second.id, "reports/t1/2.html")
        assert not await results.set_report_key(session, "t2", second.id, "reports/x")
    async with db.session() as session:
        counts = await results.finding_counts(session, "t1")
        recent = await results.finding_counts(session, "t1", since=T0 + timedelta(hours=1))
        assert await results.finding_counts(session, "t2") == []
        assert await results.report_key(session, "t1", second.id) == "reports/t1/2.html"
    assert [(c.guideline_id, c.severity, c.count) for c in counts] == [
        ("gtc-consistency", "error", 2),
        ("no-guarantees", "error", 2),
        ("no-guarantees", "warning", 2),
    ]
    assert sum(c.count for c in recent) == 3
