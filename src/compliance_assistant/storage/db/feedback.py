"""Feedback on findings (dismiss / accept), kept per (tenant, document, fingerprint).

Only the latest decision is stored: a new decision on the same fingerprint replaces the old
one (upsert on the unique key), so re-checks of an edited document re-apply it (DESIGN §9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.storage.db.models import Feedback

FeedbackAction = Literal["dismiss", "accept"]


@dataclass(frozen=True)
class FeedbackRecord:
    tenant_id: str
    document_id: str
    fingerprint: str
    finding_id: str | None
    job_id: str | None
    guideline_id: str
    action: FeedbackAction
    reason: str
    actor: str
    created_at: datetime


def _record(row: Feedback) -> FeedbackRecord:
    return FeedbackRecord(
        tenant_id=row.tenant_id,
        document_id=row.document_id,
        fingerprint=row.fingerprint,
        finding_id=row.finding_id,
        job_id=row.job_id,
        guideline_id=row.guideline_id,
        action=cast(FeedbackAction, row.action),
        reason=row.reason,
        actor=row.actor,
        created_at=row.created_at,
    )


class FeedbackRepository:
    """SQL for ``feedback``. Use the module-level ``feedback`` instance."""

    async def record(
        self,
        session: AsyncSession,
        tenant_id: str,
        *,
        document_id: str,
        fingerprint: str,
        guideline_id: str,
        action: FeedbackAction,
        reason: str,
        actor: str,
        now: datetime,
        finding_id: str | None = None,
        job_id: str | None = None,
    ) -> FeedbackRecord:
        """Insert or replace the decision on (tenant, document, fingerprint) atomically
        (INSERT … ON CONFLICT DO UPDATE on both dialects) and return it."""
        values: dict[str, Any] = {
            "tenant_id": tenant_id,
            "document_id": document_id,
            "fingerprint": fingerprint,
            "finding_id": finding_id,
            "job_id": job_id,
            "guideline_id": guideline_id,
            "action": action,
            "reason": reason,
            "actor": actor,
            "created_at": now,
        }
        dialect = session.get_bind().dialect.name
        statement = (
            postgresql.insert(Feedback) if dialect == "postgresql" else sqlite.insert(Feedback)
        ).values(**values)
        changed = {
            k: statement.excluded[k]
            for k in values
            if k not in ("tenant_id", "document_id", "fingerprint")
        }
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "document_id", "fingerprint"], set_=changed
            )
        )
        stored = await self.get(session, tenant_id, document_id, fingerprint)
        if stored is None:  # pragma: no cover - the upsert above guarantees a row
            raise RuntimeError("feedback upsert left no row")
        return stored

    async def get(
        self, session: AsyncSession, tenant_id: str, document_id: str, fingerprint: str
    ) -> FeedbackRecord | None:
        row = await session.scalar(
            select(Feedback)
            .where(
                Feedback.tenant_id == tenant_id,
                Feedback.document_id == document_id,
                Feedback.fingerprint == fingerprint,
            )
            .execution_options(populate_existing=True)
        )
        return _record(row) if row is not None else None

    async def for_document(
        self, session: AsyncSession, tenant_id: str, document_id: str
    ) -> dict[str, FeedbackRecord]:
        """Every decision on the document, by fingerprint (what a re-check re-applies)."""
        rows = await session.scalars(
            select(Feedback)
            .where(Feedback.tenant_id == tenant_id, Feedback.document_id == document_id)
            .execution_options(populate_existing=True)
        )
        return {row.fingerprint: _record(row) for row in rows}

    async def remove(
        self, session: AsyncSession, tenant_id: str, document_id: str, fingerprint: str
    ) -> bool:
        """Withdraw a decision (the finding counts again on the next check)."""
        outcome = await session.execute(
            delete(Feedback).where(
                Feedback.tenant_id == tenant_id,
                Feedback.document_id == document_id,
                Feedback.fingerprint == fingerprint,
            )
        )
        return bool(outcome.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult; typed Result


feedback = FeedbackRepository()
