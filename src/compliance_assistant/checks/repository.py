"""Cached views of jobs (``job:status:{id}`` 5 min, ``job:result:{id}`` 15 min) over the
``Cache`` port.

Each cached view is stored as ``tenant_id`` + newline + the view's JSON, so a reader checks
the tenant and returns the JSON bytes as they are, without parsing them. A cache is derived
data: when it is unreachable every read is a miss and every write is skipped.
"""

from __future__ import annotations

import logging

from compliance_assistant.engine.ports import Cache, CacheUnavailable
from compliance_assistant.observability.metrics import record_cache
from compliance_assistant.storage import cache as keys

logger = logging.getLogger(__name__)
_SEPARATOR = b"\n"


class OtherTenantError(Exception):
    """The cached entry belongs to another tenant: answer exactly as for an unknown job."""


class JobViewCache:
    """Stateless; use the module-level ``views`` instance."""

    async def get_status(self, cache: Cache, tenant_id: str, job_id: str) -> bytes | None:
        """The cached status JSON, None on a miss; raises ``OtherTenantError``."""
        return await self._get(cache, keys.job_status(job_id).key, tenant_id, "status")

    async def put_status(self, cache: Cache, tenant_id: str, job_id: str, view: bytes) -> None:
        slot = keys.job_status(job_id)
        await self._set(cache, slot.key, _envelope(tenant_id, view), slot.ttl)

    async def get_result(self, cache: Cache, tenant_id: str, job_id: str) -> bytes | None:
        return await self._get(cache, keys.job_result(job_id).key, tenant_id, "result")

    async def put_result(self, cache: Cache, tenant_id: str, job_id: str, result: bytes) -> None:
        slot = keys.job_result(job_id)
        await self._set(cache, slot.key, _envelope(tenant_id, result), slot.ttl)

    async def forget_job(self, cache: Cache, job_id: str) -> int:
        """Drop every cached view of the job; returns how many keys existed."""
        try:
            return await cache.delete(*keys.job_keys(job_id))
        except CacheUnavailable as exc:
            logger.warning("cache unavailable, job %s views not cleared: %s", job_id, exc)
            return 0

    async def _get(self, cache: Cache, key: str, tenant_id: str, layer: str) -> bytes | None:
        try:
            raw = await cache.get(key)
        except CacheUnavailable as exc:
            logger.debug("cache read of %s skipped: %s", key, exc)
            raw = None
        owner, separator, body = (raw or b"").partition(_SEPARATOR)
        # An entry not written by us is ignored rather than trusted: a miss.
        record_cache(layer, hit=bool(separator))
        if not separator:
            return None
        if owner.decode() != tenant_id:
            raise OtherTenantError(key)
        return body

    async def _set(self, cache: Cache, key: str, value: bytes, ttl: float) -> None:
        try:
            await cache.set(key, value, ttl)
        except CacheUnavailable as exc:
            logger.debug("cache write of %s skipped: %s", key, exc)


def _envelope(tenant_id: str, body: bytes) -> bytes:
    if "\n" in tenant_id:
        raise ValueError("tenant ids cannot contain a newline")
    return tenant_id.encode() + _SEPARATOR + body


views = JobViewCache()
