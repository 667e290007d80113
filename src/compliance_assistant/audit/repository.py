"""SQL for ``audit_log``: insert, tenant-scoped listing, and the retention purge — nothing else.

The log is append-only, so this module deliberately offers no update and no delete of
single events. On PostgreSQL a trigger (migration 0003) enforces the same: the purge is the
only DELETE it lets through, and only for rows older than the cutoff the purge sets for its
own transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.errors import InputError
from compliance_assistant.storage.db.models import AuditEvent

MAX_PAGE_SIZE = 200
# The transaction-local setting the PostgreSQL trigger reads to allow the purge's DELETE.
PURGE_SETTING = "compliance.audit_purge_before"


@dataclass(frozen=True)
class NewAuditEvent:
    tenant_id: str
    actor: str
    action: str
    created_at: datetime
    target: str | None = None
    correlation_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    id: int
    tenant_id: str
    actor: str
    action: str
    target: str | None
    correlation_id: str | None
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class AuditFilter:
    """Listing filters; ``created_to`` is exclusive."""

    action: str | None = None
    actor: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _record(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        actor=row.actor,
        action=row.action,
        target=row.target,
        correlation_id=row.correlation_id,
        details=dict(row.details),
        created_at=row.created_at,
    )


def encode_cursor(created_at: datetime, event_id: int) -> str:
    """Opaque, URL-safe cursor for the position *after* the given event."""
    raw = json.dumps([created_at.isoformat(), event_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Inverse of :func:`encode_cursor`; a tampered or foreign cursor is an InputError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, event_id = json.loads(raw)
        when = datetime.fromisoformat(created)
        if when.tzinfo is None or not isinstance(event_id, int) or isinstance(event_id, bool):
            raise ValueError(cursor)
        when = when.astimezone(UTC)  # bound as UTC: out of range is a bad cursor, not a 500
        if not 0 <= event_id < 2**31:  # ids are 32-bit serials
            raise ValueError(cursor)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise InputError("Invalid pagination cursor", details={"cursor": cursor}) from exc
    return when, event_id


async def insert(session: AsyncSession, event: NewAuditEvent) -> int:
    """Insert one event and return its id (flushes; the caller commits)."""
    row = AuditEvent(
        tenant_id=event.tenant_id,
        actor=event.actor,
        action=event.action,
        target=event.target,
        correlation_id=event.correlation_id,
        details=dict(event.details),
        created_at=event.created_at,
    )
    session.add(row)
    await session.flush()
    return row.id


async def list_page(
    session: AsyncSession,
    tenant_id: str,
    *,
    filters: AuditFilter | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """A tenant's events, newest first, keyset-paginated on (created_at, id)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    wanted = filters or AuditFilter()
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if wanted.action is not None:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.actor is not None:
        query = query.where(AuditEvent.actor == wanted.actor)
    if wanted.created_from is not None:
        query = query.where(AuditEvent.created_at >= wanted.created_from)
    if wanted.created_to is not None:
        query = query.where(AuditEvent.created_at < wanted.created_to)
    if cursor is not None:
        after_created, after_id = decode_cursor(cursor)
        query = query.where(
            tuple_(AuditEvent.created_at, AuditEvent.id) < (after_created, after_id)
        )
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(query))
    items = [_record(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(items[-1].created_at, items[-1].id)
    return AuditPage(items=items, next_cursor=next_cursor)


async def purge(session: AsyncSession, *, older_than: datetime) -> int:
    """Delete every event (all tenants) created before ``older_than``; returns how many.

    On PostgreSQL the cutoff is first set for this transaction only, which is what the
    append-only trigger checks: rows newer than it stay undeletable even here.
    """
    if older_than.tzinfo is None:
        raise ValueError("older_than must be timezone-aware")
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT set_config(:name, :cutoff, true)"),
            {"name": PURGE_SETTING, "cutoff": older_than.isoformat()},
        )
    outcome = await session.execute(delete(AuditEvent).where(AuditEvent.created_at < older_than))
    return int(outcome.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult; typed Result
