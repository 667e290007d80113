"""Operator actions: clearing a job's cached views, and retention of stored articles.

Retention covers every copy of an article (DESIGN §9): the article blob (via the jobs table,
then any blob older than the cutoff that no job points at any more), the job's pipeline
checkpoint, and expired Idempotency-Key records. Results and reports are kept. Audit events
older than ``retention.audit_days`` are purged here too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from compliance_assistant.audit import repository as audit_log
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.errors import JobNotFoundError
from compliance_assistant.checks.repository import views
from compliance_assistant.storage.blob import apply_article_retention
from compliance_assistant.storage.db import idempotency, jobs

logger = logging.getLogger(__name__)
_BATCH = 500


@dataclass
class RetentionReport:
    articles_detached: int = 0
    blobs_deleted: int = 0
    checkpoints_deleted: int = 0
    idempotency_keys_purged: int = 0
    audit_events_purged: int = 0
    errors: list[str] = field(default_factory=list)


class AdminService:
    """Stateless; use the module-level ``admin_service`` instance."""

    async def clear_job_cache(self, ctx: ServiceContext, tenant_id: str, job_id: str) -> int:
        """Drop the job's cached status and result (the tenant's own jobs only)."""
        async with ctx.database.read_session() as session:
            if await jobs.get(session, tenant_id, job_id) is None:
                raise JobNotFoundError(job_id)
        return await views.forget_job(ctx.cache, job_id)

    async def apply_retention(
        self,
        ctx: ServiceContext,
        *,
        now: datetime,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
    ) -> RetentionReport:
        report = RetentionReport()
        days = ctx.settings.retention.articles_days
        cutoff = now - timedelta(days=days)
        while True:
            async with ctx.database.session() as session:
                keys = await jobs.expire_articles(session, created_before=cutoff, limit=_BATCH)
            if not keys:
                break
            report.articles_detached += len(keys)
            for key in keys:
                try:
                    report.blobs_deleted += int(await ctx.blob.delete(key))
                except Exception as exc:  # the orphan sweep below retries it next time
                    report.errors.append(f"{key}: {exc}")
                if checkpointer is not None:
                    await checkpointer.adelete_thread(PurePosixPath(key).stem)
                    report.checkpoints_deleted += 1
            if len(keys) < _BATCH:
                break
        orphans = await apply_article_retention(ctx.blob, ctx.layout, days=days, now=now)
        report.blobs_deleted += len(orphans)
        async with ctx.database.session() as session:
            report.idempotency_keys_purged = await idempotency.purge_expired(session, now=now)
        audit_cutoff = now - timedelta(days=ctx.settings.retention.audit_days)
        async with ctx.database.session() as session:
            report.audit_events_purged = await audit_log.purge(session, older_than=audit_cutoff)
        logger.info("retention: %s", report)
        return report


admin_service = AdminService()
