"""Retention deletes every stored copy of old articles and keeps results."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compliance_assistant.admin.tasks import run_retention
from compliance_assistant.checks.tasks import run_check_job
from compliance_assistant.storage.db import idempotency, results
from tests.api.harness import settings_for
from tests.doubles.llm_server import LlmDouble
from tests.worker.helpers import get_job, submit_direct, worker_deps

pytestmark = pytest.mark.anyio


async def test_old_articles_are_deleted_and_results_kept(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    async with worker_deps(settings_for("embedded", tmp_path, llm_double)) as deps:
        ctx = deps.ctx
        days = ctx.settings.retention.articles_days
        old = await submit_direct(
            ctx,
            "An old risk-free article.",
            now=datetime.now(UTC) - timedelta(days=days + 1),
            guidelines=["no-guarantees"],
        )
        await run_check_job(deps, "local", old.id, worker_id="w:1/r")
        recent = await submit_direct(ctx, "A recent risk-free article.")
        assert old.article_blob_key is not None
        assert recent.article_blob_key is not None
        # An article blob no job points at (its insert failed), last written long ago.
        orphan = ctx.layout.article("local", "orphan-job", "json")
        await ctx.blob.put(orphan, b"{}")
        assert ctx.settings.blob.local_root is not None
        stamp = time.time() - (days + 2) * 86400
        os.utime(ctx.settings.blob.local_root / orphan, (stamp, stamp))
        async with ctx.database.session() as session:
            await idempotency.remember(
                session,
                "local",
                "u",
                "expired-key",
                request_hash="h",
                job_id=old.id,
                now=datetime.now(UTC) - timedelta(days=2),
            )

        report = await run_retention(deps)

        assert report.articles_detached == 1
        assert report.blobs_deleted == 2
        assert report.checkpoints_deleted == 1
        assert report.idempotency_keys_purged == 1
        assert not await ctx.blob.exists(old.article_blob_key)
        assert not await ctx.blob.exists(orphan)
        assert await ctx.blob.exists(recent.article_blob_key)
        assert (await get_job(ctx, "local", old.id)).article_blob_key is None
        async with ctx.database.read_session() as session:
            kept = await results.get(session, "local", old.id)
        assert kept is not None
        assert kept.summary.errors == 1
