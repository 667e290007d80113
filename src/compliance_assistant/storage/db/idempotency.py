"""``Idempotency-Key`` records, scoped to tenant + user, kept for 24 h (DESIGN §9).

Flow for the job service, inside the request's transaction:
``existing = get(...)`` → if found, same ``request_hash`` returns its job, a different one is
a 422. Otherwise create the job, then ``remember(...)``: if a concurrent request with the same
key won the race, ``remember`` returns *its* record (``created`` False) and the caller rolls
back its own job and answers with the winner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.storage.db.models import IdempotencyKey


@dataclass(frozen=True)
class IdempotencyRecord:
    tenant_id: str
    user_id: str
    key: str
    request_hash: str
    job_id: str
    created_at: datetime
    expires_at: datetime


def _record(row: IdempotencyKey) -> IdempotencyRecord:
    return IdempotencyRecord(
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        key=row.key,
        request_hash=row.request_hash,
        job_id=row.job_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


class IdempotencyRepository:
    """SQL for ``idempotency_keys``. Use the module-level ``idempotency`` instance."""

    async def get(
        self, session: AsyncSession, tenant_id: str, user_id: str, key: str, *, now: datetime
    ) -> IdempotencyRecord | None:
        """The unexpired record for this key, or None."""
        row = await session.scalar(
            select(IdempotencyKey)
            .where(
                IdempotencyKey.tenant_id == tenant_id,
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.expires_at > now,
            )
            .execution_options(populate_existing=True)
        )
        return _record(row) if row is not None else None

    async def remember(
        self,
        session: AsyncSession,
        tenant_id: str,
        user_id: str,
        key: str,
        *,
        request_hash: str,
        job_id: str,
        now: datetime,
        ttl: timedelta = timedelta(hours=24),
    ) -> tuple[IdempotencyRecord, bool]:
        """Store key → job unless the key is already held; returns (record, created).

        An expired record for the key is replaced. The insert runs in a savepoint, so losing
        a race leaves the caller's transaction usable.
        """
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.tenant_id == tenant_id,
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.expires_at <= now,
            )
        )
        row = IdempotencyKey(
            tenant_id=tenant_id,
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            job_id=job_id,
            created_at=now,
            expires_at=now + ttl,
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            existing = await self.get(session, tenant_id, user_id, key, now=now)
            if existing is None:  # pragma: no cover - the conflicting row expired meanwhile
                raise
            return existing, False
        return _record(row), True

    async def purge_expired(
        self, session: AsyncSession, *, now: datetime, limit: int = 5000
    ) -> int:
        """Delete up to ``limit`` expired records; returns how many."""
        ids = list(
            await session.scalars(
                select(IdempotencyKey.id).where(IdempotencyKey.expires_at <= now).limit(limit)
            )
        )
        if ids:
            await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids)))
        return len(ids)


idempotency = IdempotencyRepository()
