"""Nothing is lost between the jobs table and the queue, or with a dead process: embedded
mode re-queues unfinished jobs on start; production workers' sweep re-enqueues queued jobs
missing from Procrastinate and jobs whose worker stopped heart-beating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compliance_assistant.checks.context import open_service_context
from compliance_assistant.storage.db import jobs
from compliance_assistant.storage.db.migrate import migrate
from tests.api.harness import Services, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble
from tests.worker.helpers import submit_direct, wait_status

pytestmark = pytest.mark.anyio


async def test_embedded_start_requeues_queued_and_dead_processing_jobs(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    settings = settings_for("embedded", tmp_path, llm_double)
    assert settings.database.url is not None
    await migrate(settings.database.url)
    async with open_service_context(settings) as ctx:
        queued = await submit_direct(
            ctx, "Never enqueued: risk-free.", guidelines=["no-guarantees"]
        )
        orphan = await submit_direct(
            ctx, "Its process died: risk-free.", guidelines=["no-guarantees"]
        )
        async with ctx.database.session() as session:  # the previous process held it
            assert await jobs.claim(
                session, "local", orphan.id, worker_id="gone:1/emb-1", now=datetime.now(UTC)
            )
    async with running_api("embedded", settings, llm_double) as api:
        for job in (queued, orphan):
            status = await api.wait_for(job.id)
            assert status["status"] == "completed"
        assert (await api.status(orphan.id))["attempts"] == 2


async def test_production_sweep_requeues_lost_and_stalled_jobs(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    settings = settings_for("production", tmp_path, llm_double, production_services)
    tenant = unique("sweep")
    past = datetime.now(UTC) - timedelta(minutes=2)
    async with open_service_context(settings) as ctx:
        # Committed, but the enqueue after the commit never happened.
        lost = await submit_direct(
            ctx, "Lost enqueue: risk-free.", tenant=tenant, now=past, guidelines=["no-guarantees"]
        )
        # Claimed by a worker that then died (its heartbeat is two minutes old).
        stalled = await submit_direct(
            ctx, "Dead worker: risk-free.", tenant=tenant, now=past, guidelines=["no-guarantees"]
        )
        async with ctx.database.session() as session:
            assert await jobs.claim(session, tenant, stalled.id, worker_id="gone:1/7", now=past)
    async with running_api("production", settings, llm_double) as api:
        for job in (lost, stalled):
            await wait_status(api.ctx, tenant, job.id, "completed")
        taken = await wait_status(api.ctx, tenant, stalled.id, "completed")
        assert taken.attempts == 2
        assert not (taken.worker_id or "").startswith("gone:")
