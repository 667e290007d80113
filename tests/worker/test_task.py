"""The job task's contract: retries of transient failures, the attempt budget, the job
timeout, input errors found by the worker, cancellation and take-over."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compliance_assistant.checks.article import from_upload
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.execution import Outcome
from compliance_assistant.checks.service import check_service
from compliance_assistant.checks.tasks import run_check_job
from compliance_assistant.guidelines.service import guideline_set_service
from compliance_assistant.storage.db import jobs
from tests.api.harness import llm_set_yaml, settings_for, unique
from tests.doubles.llm_server import LlmDouble, Reply
from tests.worker.helpers import FlakyBlobStore, get_job, submit_direct, worker_deps

pytestmark = pytest.mark.anyio


async def create_set(ctx: ServiceContext, yaml_text: str) -> None:
    async with ctx.database.session() as session:
        await guideline_set_service.create_version(
            session,
            ctx.catalog,
            "local",
            yaml_text=yaml_text,
            created_by="tester",
            now=datetime.now(UTC),
        )


async def test_transient_failures_are_retried_within_the_budget(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    async with worker_deps(settings_for("embedded", tmp_path, llm_double)) as deps:
        ctx = deps.ctx
        flaky = FlakyBlobStore(ctx.blob, failures=1)
        ctx.blob = flaky
        job = await submit_direct(ctx, "A risk-free plan.", guidelines=["no-guarantees"])
        outcome = await run_check_job(deps, "local", job.id, worker_id="w:1/a")
        assert outcome is Outcome.COMPLETED
        assert (await get_job(ctx, "local", job.id)).attempts == 2

        flaky.failures, flaky.calls = 100, 0
        doomed = await submit_direct(ctx, "Another plan.", guidelines=["no-guarantees"])
        outcome = await run_check_job(deps, "local", doomed.id, worker_id="w:1/b")
        assert outcome is Outcome.FAILED
        failed = await get_job(ctx, "local", doomed.id)
        assert failed.status == "failed"
        assert failed.error_code == "TRANSIENT_FAILURE"
        assert "simulated outage" in (failed.error_message or "")
        assert failed.attempts == ctx.settings.worker.max_attempts == flaky.calls


async def test_a_job_started_too_often_fails_with_attempts_exhausted(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    async with worker_deps(settings_for("embedded", tmp_path, llm_double)) as deps:
        ctx = deps.ctx
        job = await submit_direct(ctx, "A risk-free plan.")
        start = datetime.now(UTC) - timedelta(minutes=10)
        for i in range(ctx.settings.worker.max_attempts):  # three workers died holding it
            async with ctx.database.session() as session:
                assert await jobs.claim(
                    session,
                    "local",
                    job.id,
                    worker_id=f"dead:{i}/x",
                    now=start + timedelta(minutes=i),
                    stale_after_seconds=1,
                )
        outcome = await run_check_job(deps, "local", job.id, worker_id="w:1/c")
        assert outcome is Outcome.FAILED
        failed = await get_job(ctx, "local", job.id)
        assert failed.error_code == "ATTEMPTS_EXHAUSTED"


async def test_job_timeout_fails_the_job_with_a_reason(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    settings = settings_for("embedded", tmp_path, llm_double, worker={"job_timeout_seconds": 0.5})
    marker = unique("slow")
    llm_double.script(f"{marker}-marker", Reply(latency=10))
    async with worker_deps(settings) as deps:
        await create_set(deps.ctx, llm_set_yaml("slow-set", marker, rule=False))
        job = await submit_direct(deps.ctx, "Some text.", guideline_set="slow-set")
        started = asyncio.get_running_loop().time()
        outcome = await run_check_job(deps, "local", job.id, worker_id="w:1/d")
        assert asyncio.get_running_loop().time() - started < 5
        assert outcome is Outcome.FAILED
        failed = await get_job(deps.ctx, "local", job.id)
        assert failed.error_code == "JOB_TIMEOUT"
        assert "0.5 s" in (failed.error_message or "")


async def test_a_file_the_worker_cannot_read_fails_the_job_with_its_reason(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    sample = Path(__file__).resolve().parents[2] / "samples" / "articles" / "mobile-plan.docx"
    buffer = io.BytesIO()
    # A real package whose body XML is cut off: it passes the API's cheap check only.
    with (
        zipfile.ZipFile(sample) as original,
        zipfile.ZipFile(buffer, "w") as package,
    ):
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            package.writestr(item, data)
    async with worker_deps(settings_for("embedded", tmp_path, llm_double)) as deps:
        ctx = deps.ctx
        submission = from_upload(
            buffer.getvalue(),
            filename="broken.docx",
            content_type=None,
            title=None,
            guideline_set=None,
            guidelines=(),
            metadata={},
            limits=ctx.settings.limits,
        )
        async with ctx.database.session() as session:
            accepted = await check_service.submit(
                ctx,
                session,
                tenant_id="local",
                user_id="u",
                submission=submission,
                idempotency_key=None,
                correlation_id=None,
                now=datetime.now(UTC),
            )
        outcome = await run_check_job(deps, "local", accepted.job.id, worker_id="w:1/e")
        assert outcome is Outcome.FAILED
        failed = await get_job(ctx, "local", accepted.job.id)
        assert failed.error_code == "CORRUPT_FILE"
        assert failed.attempts == 1  # an input error is not retried


async def test_cancelled_and_foreign_jobs_are_skipped_and_a_taken_over_job_stops(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    marker = unique("slow")
    llm_double.script(f"{marker}-marker", Reply(latency=20))
    async with worker_deps(settings_for("embedded", tmp_path, llm_double)) as deps:
        ctx = deps.ctx
        cancelled = await submit_direct(ctx, "Cancelled before it ran.")
        async with ctx.database.session() as session:
            await jobs.cancel(session, "local", cancelled.id, now=datetime.now(UTC))
        assert await run_check_job(deps, "local", cancelled.id, worker_id="w:1/f") is (
            Outcome.SKIPPED
        )
        await create_set(ctx, llm_set_yaml("slow-set", marker, rule=False))
        job = await submit_direct(ctx, "Taken over.", guideline_set="slow-set")
        running = asyncio.create_task(run_check_job(deps, "local", job.id, worker_id="w:1/g"))
        for _ in range(200):
            if llm_double.count(f"{marker}-marker"):
                break
            await asyncio.sleep(0.05)
        # Another worker decides this one is dead and takes the job.
        async with ctx.database.session() as session:
            assert await jobs.claim(
                session,
                "local",
                job.id,
                worker_id="other:2/h",
                now=datetime.now(UTC) + timedelta(seconds=1),
                stale_after_seconds=0,
            )
        outcome = await asyncio.wait_for(running, 10)
        assert outcome is Outcome.LOST
        assert (await get_job(ctx, "local", job.id)).worker_id == "other:2/h"
