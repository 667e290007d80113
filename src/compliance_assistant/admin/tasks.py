"""Periodic maintenance tasks, run by the worker in both modes."""

from __future__ import annotations

from compliance_assistant.admin.service import RetentionReport, admin_service
from compliance_assistant.checks.execution import ExecutionDeps, now

RETENTION_TASK_NAME = "maintenance.retention"


async def run_retention(deps: ExecutionDeps) -> RetentionReport:
    """Delete articles (and their checkpoints) older than ``retention.articles_days``."""
    return await admin_service.apply_retention(
        deps.ctx, now=now(), checkpointer=deps.pipeline.checkpointer
    )
