"""``GET /audit``: the caller's tenant's audit log, for admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from compliance_assistant.api.deps import Admin, Services
from compliance_assistant.api.errors import error_responses
from compliance_assistant.api.params import IsoDateTime
from compliance_assistant.audit import repository
from compliance_assistant.audit.repository import AuditFilter, AuditRecord
from compliance_assistant.errors import InputError

router = APIRouter(tags=["audit"])


class AuditEventView(BaseModel):
    id: int
    tenant_id: str
    actor: str
    action: str
    target: str | None
    correlation_id: str | None
    details: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, record: AuditRecord) -> AuditEventView:
        return cls(
            id=record.id,
            tenant_id=record.tenant_id,
            actor=record.actor,
            action=record.action,
            target=record.target,
            correlation_id=record.correlation_id,
            details=record.details,
            created_at=record.created_at,
        )


class AuditList(BaseModel):
    items: list[AuditEventView]
    next_cursor: str | None = None


def _utc(value: datetime | None, name: str) -> datetime | None:
    """A filter bound as UTC; a timestamp without an offset is read as UTC (like the jobs
    listing). One that has no UTC equivalent (year 1 at +14:00) is a 400, not a crash."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise InputError(f"'{name}' is out of range", details={name: value.isoformat()}) from None


# Printable text only: PostgreSQL text cannot hold NUL, and no action or actor has controls.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


# 400: a tampered cursor; 422: a malformed filter; 401/403: no key, or not an admin;
# 429: the admin group's rate limit (the router is included with it, api/app.py).
@router.get("/audit", response_model=AuditList, responses=error_responses(400, 401, 403, 422, 429))
async def list_audit_events(
    ctx: Services,
    principal: Admin,
    *,
    action: Annotated[
        str | None, Query(max_length=64, pattern=_PRINTABLE, description="e.g. check.submitted")
    ] = None,
    actor: Annotated[str | None, Query(max_length=200, pattern=_PRINTABLE)] = None,
    created_from: Annotated[
        IsoDateTime | None, Query(alias="from", description="Inclusive, ISO 8601.")
    ] = None,
    created_to: Annotated[
        IsoDateTime | None, Query(alias="to", description="Exclusive, ISO 8601.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=repository.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> AuditList:
    """Who did what in your tenant, newest first; pass ``next_cursor`` back as ``cursor``."""
    filters = AuditFilter(
        action=action,
        actor=actor,
        created_from=_utc(created_from, "from"),
        created_to=_utc(created_to, "to"),
    )
    async with ctx.database.read_session() as session:
        page = await repository.list_page(
            session, principal.tenant_id, filters=filters, limit=limit, cursor=cursor
        )
    return AuditList(
        items=[AuditEventView.of(item) for item in page.items], next_cursor=page.next_cursor
    )
