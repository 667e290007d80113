"""``GET /api/v1/analytics/summary`` (admin role): the business numbers of one tenant.

Admins see their own tenant only; there is no cross-tenant operator role (an operator reads
several tenants with one admin key each, or from the database). ``tenant`` may be given for
explicitness and must then be the caller's own. Served from the read replica when
``database.read_url`` is set (numbers may lag the primary by the replication delay).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from compliance_assistant.analytics.queries import Period, summary
from compliance_assistant.analytics.schemas import AnalyticsSummary
from compliance_assistant.api.deps import Admin, Services
from compliance_assistant.api.errors import ForbiddenError, error_responses
from compliance_assistant.api.params import IsoDate
from compliance_assistant.errors import InputError

router = APIRouter(prefix="/analytics", tags=["analytics"])

DEFAULT_DAYS = 30
MAX_DAYS = 366


class InvalidPeriodError(InputError):
    code = "INVALID_PERIOD"
    status_code = 422


def period_of(date_from: date | None, date_to: date | None, *, today: date) -> Period:
    """The requested days (default: the last 30 up to today), checked."""
    last = date_to or today
    first = date_from or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidPeriodError(
            f"'from' ({first}) is after 'to' ({last}).",
            details={"from": first.isoformat(), "to": last.isoformat()},
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidPeriodError(
            f"The period covers {(last - first).days + 1} days; at most {MAX_DAYS} are allowed.",
            details={"max_days": MAX_DAYS},
        )
    return Period(first, last)


@router.get(
    "/summary",
    response_model=AnalyticsSummary,
    responses=error_responses(401, 403, 422, 429),
)
async def analytics_summary(
    *,
    ctx: Services,
    principal: Admin,
    date_from: Annotated[
        IsoDate | None,
        Query(alias="from", description="First UTC day (default: 29 days before to)"),
    ] = None,
    date_to: Annotated[
        IsoDate | None, Query(alias="to", description="Last UTC day, inclusive (default: today)")
    ] = None,
    tenant: Annotated[
        str | None, Query(max_length=100, description="Must be your own tenant when given")
    ] = None,
    top: Annotated[int, Query(ge=1, le=100, description="Guidelines per ranking")] = 10,
) -> AnalyticsSummary:
    """Checks per day, average score and pass rate, the guidelines that fail most, and the
    guidelines whose findings are dismissed most (a signal of a badly tuned rule)."""
    if tenant is not None and tenant != principal.tenant_id:
        raise ForbiddenError(
            "Analytics are per tenant: an admin key reads its own tenant only.",
            details={"tenant": tenant},
        )
    period = period_of(date_from, date_to, today=datetime.now(UTC).date())
    async with ctx.database.read_session() as session:
        return await summary(session, principal.tenant_id, period, top=top)
