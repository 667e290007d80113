"""Indexes for the analytics summary (``GET /api/v1/analytics/summary``).

* ``results (tenant_id, created_at)`` — a tenant's completed checks in a date range (checks
  per day, scores, pass rate, and the join to ``job_results`` for failing guidelines);
* ``feedback (tenant_id, action, created_at)`` — a tenant's dismissals in a date range.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_results_tenant_id_created_at"),
        "results",
        ["tenant_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_tenant_id_action_created_at"),
        "feedback",
        ["tenant_id", "action", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_tenant_id_action_created_at"), table_name="feedback")
    op.drop_index(op.f("ix_results_tenant_id_created_at"), table_name="results")
