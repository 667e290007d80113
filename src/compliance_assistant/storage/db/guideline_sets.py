"""Tenant guideline sets: immutable, numbered versions of a set's YAML text.

The repository stores text; validating it (``engine.guidelines``) is the service's job, which
should also write the assigned version into the set it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.storage.db.base import UtcDateTime
from compliance_assistant.storage.db.models import GuidelineSetVersion

# Concurrent creators of the same set collide on the unique key at most once per other
# creator; a handful of retries covers any realistic burst, then the caller gets the error.
_VERSION_ATTEMPTS = 5


@dataclass(frozen=True)
class GuidelineSetRecord:
    tenant_id: str
    set_id: str
    version: int
    title: str
    yaml_text: str
    created_by: str
    created_at: datetime


def _record(row: GuidelineSetVersion) -> GuidelineSetRecord:
    return GuidelineSetRecord(
        tenant_id=row.tenant_id,
        set_id=row.set_id,
        version=row.version,
        title=row.title,
        yaml_text=row.yaml_text,
        created_by=row.created_by,
        created_at=row.created_at,
    )


class VersionConflictError(Exception):
    """Another writer kept taking the next version number; retry the request."""


class GuidelineSetRepository:
    """SQL for ``guideline_sets``. Use the module-level ``guideline_sets`` instance."""

    async def create_version(
        self,
        session: AsyncSession,
        tenant_id: str,
        set_id: str,
        *,
        title: str,
        yaml_text: str,
        created_by: str,
        now: datetime,
    ) -> GuidelineSetRecord:
        """Store the text as the set's next version (1 for a new set) and return it.

        The number is computed inside the INSERT (``max(version) + 1``). Two concurrent
        creators may compute the same number; the unique key (tenant, set, version) rejects
        the second, which retries inside a savepoint and takes the next number, so versions
        stay distinct and gap-free without locking the table.
        """
        next_version = (
            select(func.coalesce(func.max(GuidelineSetVersion.version), 0) + 1)
            .where(GuidelineSetVersion.tenant_id == tenant_id, GuidelineSetVersion.set_id == set_id)
            .scalar_subquery()
        )
        statement = (
            insert(GuidelineSetVersion)
            .from_select(
                [
                    "tenant_id",
                    "set_id",
                    "version",
                    "title",
                    "yaml_text",
                    "created_by",
                    "created_at",
                ],
                select(
                    literal(tenant_id),
                    literal(set_id),
                    next_version,
                    literal(title),
                    literal(yaml_text),
                    literal(created_by),
                    literal(now, UtcDateTime()),
                ),
            )
            .returning(GuidelineSetVersion.version)
        )
        for _attempt in range(_VERSION_ATTEMPTS):
            try:
                async with session.begin_nested():
                    version = (await session.execute(statement)).scalar_one()
            except IntegrityError:
                continue
            found = await self.get(session, tenant_id, set_id, version)
            if found is None:  # pragma: no cover - inserted just above
                raise RuntimeError("inserted guideline set version vanished")
            return found
        raise VersionConflictError(f"could not assign a version to guideline set '{set_id}'")

    async def get(
        self, session: AsyncSession, tenant_id: str, set_id: str, version: int | None = None
    ) -> GuidelineSetRecord | None:
        """One version, or the latest when ``version`` is None."""
        query = select(GuidelineSetVersion).where(
            GuidelineSetVersion.tenant_id == tenant_id, GuidelineSetVersion.set_id == set_id
        )
        if version is None:
            query = query.order_by(GuidelineSetVersion.version.desc()).limit(1)
        else:
            query = query.where(GuidelineSetVersion.version == version)
        row = await session.scalar(query)
        return _record(row) if row is not None else None

    async def list_latest(self, session: AsyncSession, tenant_id: str) -> list[GuidelineSetRecord]:
        """The latest version of each of the tenant's sets, by set id."""
        latest = (
            select(
                GuidelineSetVersion.set_id, func.max(GuidelineSetVersion.version).label("version")
            )
            .where(GuidelineSetVersion.tenant_id == tenant_id)
            .group_by(GuidelineSetVersion.set_id)
            .subquery()
        )
        rows = await session.scalars(
            select(GuidelineSetVersion)
            .join(
                latest,
                (GuidelineSetVersion.set_id == latest.c.set_id)
                & (GuidelineSetVersion.version == latest.c.version),
            )
            .where(GuidelineSetVersion.tenant_id == tenant_id)
            .order_by(GuidelineSetVersion.set_id)
        )
        return [_record(row) for row in rows]

    async def list_versions(
        self, session: AsyncSession, tenant_id: str, set_id: str
    ) -> list[GuidelineSetRecord]:
        """Every version of one set, oldest first."""
        rows = await session.scalars(
            select(GuidelineSetVersion)
            .where(GuidelineSetVersion.tenant_id == tenant_id, GuidelineSetVersion.set_id == set_id)
            .order_by(GuidelineSetVersion.version)
        )
        return [_record(row) for row in rows]


guideline_sets = GuidelineSetRepository()
