"""Liveness and readiness probes.

``/health/live`` answers as long as the process serves requests. ``/health/ready`` checks the
database, the blob store and the job queue (required: 503 with Retry-After naming the failing
component) and the cache (optional: when Redis is down the cache is ``degraded`` and the
answer stays 200 — cached values are derived data).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from compliance_assistant.api.deps import State
from compliance_assistant.api.errors import error_responses
from compliance_assistant.storage.cache import cache_health

router = APIRouter(prefix="/health", tags=["health"])
_TIMEOUT_SECONDS = 2.0
_PROBE_KEY = "health/probe"


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


async def _probe(check: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), _TIMEOUT_SECONDS)
    except Exception as exc:
        return {"status": "unavailable", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


# 503: the error shape (code NOT_READY, the failing components in details) and Retry-After.
@router.get("/ready", responses=error_responses(503))
async def ready(state: State) -> JSONResponse:
    ctx = state.ctx
    database, blob, queue, cache = await asyncio.gather(
        _probe(ctx.database.ping),
        _probe(lambda: ctx.blob.exists(_PROBE_KEY)),
        _probe(ctx.require_queue().check),
        cache_health(ctx.cache),
    )
    components: dict[str, Any] = {
        "database": database,
        "blob": blob,
        "queue": queue,
        "cache": {
            "status": cache.status,
            "backend": cache.backend,
            "detail": cache.detail,
            "latency_ms": cache.latency_ms,
        },
    }
    failing = [name for name in ("database", "blob", "queue") if components[name]["status"] != "ok"]
    if failing:
        return JSONResponse(
            {
                "error": {
                    "code": "NOT_READY",
                    "message": f"Required component(s) unavailable: {', '.join(failing)}.",
                    "details": {"failing": failing, "components": components},
                }
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )
    status = "degraded" if cache.status != "ok" else "ok"
    return JSONResponse({"status": status, "mode": state.mode, "components": components})
