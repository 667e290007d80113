"""Recording audit events inside the caller's unit of work.

``record`` only adds the row to the session: it is written by the caller's next flush or
commit, in the same transaction as the change it describes. So an action and its audit entry
commit or roll back together, and recording costs no extra transaction or round trip.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from compliance_assistant.storage.db.engine import Database
from compliance_assistant.storage.db.models import AuditEvent

# The actions the service records (API-key actions come from the CLI). Free-form strings are
# accepted so new call sites need no change here; these names keep the existing ones uniform.
CHECK_SUBMITTED = "check.submitted"
RESULT_READ = "result.read"
FINDING_FEEDBACK = "finding.feedback"
GUIDELINE_SET_CREATED = "guideline_set.created"
JOB_CANCELLED = "job.cancelled"
API_KEY_CREATED = "api_key.created"
API_KEY_REVOKED = "api_key.revoked"
API_KEY_ROTATED = "api_key.rotated"


def record(
    session: AsyncSession | Session,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    target: str | None = None,
    correlation_id: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add one audit event to ``session`` (a plain function: nothing to await).

    The event is inserted when the caller's unit of work flushes or commits.
    ``now`` defaults to the current UTC time.
    """
    if not tenant_id or not actor or not action:
        raise ValueError("an audit event needs a tenant_id, an actor and an action")
    session.add(
        AuditEvent(
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            target=target,
            correlation_id=correlation_id,
            details=dict(details or {}),
            created_at=now or datetime.now(UTC),
        )
    )


async def record_alone(
    database: Database,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    target: str | None = None,
    correlation_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record one event in a unit of work of its own: for reads (``result.read``), which
    have no write transaction to join."""
    async with database.session() as session:
        record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            target=target,
            correlation_id=correlation_id,
            details=details,
        )
