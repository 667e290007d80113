"""Admin endpoints (the admin role)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from compliance_assistant.admin.service import admin_service
from compliance_assistant.api.deps import Admin, Services
from compliance_assistant.api.errors import error_responses

router = APIRouter(prefix="/admin", tags=["admin"])


class CacheCleared(BaseModel):
    job_id: str
    deleted_keys: int


@router.delete(
    "/cache/jobs/{job_id}",
    response_model=CacheCleared,
    responses=error_responses(401, 403, 404, 429),
)
async def clear_job_cache(job_id: str, ctx: Services, principal: Admin) -> CacheCleared:
    """Drop the job's cached status and result; the next read comes from the database."""
    deleted = await admin_service.clear_job_cache(ctx, principal.tenant_id, job_id)
    return CacheCleared(job_id=job_id, deleted_keys=deleted)
