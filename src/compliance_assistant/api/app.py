"""The FastAPI application: ``create_app(settings)``.

Two modes, one code path (DESIGN §2):

* ``embedded`` (``compliance serve``): SQLite, in-process cache, local blobs, and the worker
  in this process (an asyncio queue fed from the jobs table); migrates itself on start.
* ``production`` (``compliance api``): PostgreSQL, Redis, Azure Blob; jobs are deferred to
  Procrastinate and run by ``compliance worker`` processes.

The mode defaults from the database: PostgreSQL → production, SQLite → embedded.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from compliance_assistant import __version__
from compliance_assistant.admin.endpoints import router as admin_router
from compliance_assistant.analytics.endpoints import router as analytics_router
from compliance_assistant.api import health
from compliance_assistant.api.auth import Authenticator, auth_required, resolve_pepper
from compliance_assistant.api.deps import ApiState
from compliance_assistant.api.errors import document_validation_errors, install_error_handlers
from compliance_assistant.api.middleware import BodyLimitMiddleware, CorrelationMiddleware
from compliance_assistant.api.openapi_links import add_links
from compliance_assistant.api.rate_limits import RateLimitHeadersMiddleware, rate_limited
from compliance_assistant.api.ratelimit import SubmitRateLimiter
from compliance_assistant.api.security_headers import SecurityHeadersMiddleware
from compliance_assistant.audit.endpoints import router as audit_router
from compliance_assistant.checks.context import open_service_context
from compliance_assistant.checks.endpoints import router as checks_router
from compliance_assistant.checks.schemas import API_PREFIX, CheckRequest
from compliance_assistant.config import Settings, load_settings
from compliance_assistant.gtc.endpoints import router as gtc_router
from compliance_assistant.guidelines.endpoints import router as guidelines_router
from compliance_assistant.guidelines.schemas import CreateSetJson
from compliance_assistant.observability.endpoint import router as metrics_router
from compliance_assistant.observability.exposition import process_exiting
from compliance_assistant.observability.http import ObservabilityMiddleware
from compliance_assistant.storage.db import migrate
from compliance_assistant.worker.embedded import embedded_worker
from compliance_assistant.worker.production import open_production_queue
from compliance_assistant.worker.runtime import open_worker_deps

logger = logging.getLogger(__name__)
Mode = Literal["embedded", "production"]
# The Word add-in's static files, served same-origin at /addin/ (docs/addin.md).
ADDIN_DIR = Path(__file__).resolve().parent.parent / "addin"
# CORS (only for the origins in api.cors_origins): what a browser may send and read.
CORS_REQUEST_HEADERS = [
    "Authorization",
    "X-API-Key",
    "Content-Type",
    "Idempotency-Key",
    "X-Correlation-ID",
    "Last-Event-ID",
]
CORS_EXPOSED_HEADERS = [
    "Location",
    "X-Correlation-ID",
    "Retry-After",
    "Idempotent-Replayed",
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]

DESCRIPTION = """Checks marketing content against compliance guidelines and product terms.

Submit a check (`POST /api/v1/compliance/check`), follow it (`GET /api/v1/jobs/{id}/status`
or the SSE stream `/events`) and read the result (`/result`). Every error has the shape
`{"error": {"code", "message", "details"}}`; every response carries `X-Correlation-ID`.
"""


def default_mode(settings: Settings) -> Mode:
    url = settings.database.url or ""
    return "production" if url.startswith("postgresql") else "embedded"


def create_app(
    settings: Settings | None = None, *, mode: Mode | None = None, migrate_on_start: bool = True
) -> FastAPI:
    """The app for ``settings`` (read from the environment when None). Adapters are opened
    in the lifespan; embedded mode migrates its database first unless told not to."""
    config = settings or load_settings()
    run_mode = mode or default_mode(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        required = auth_required(config)
        pepper = resolve_pepper(config) if required else None
        if run_mode == "embedded" and migrate_on_start and config.database.url:
            await migrate(config.database.url)
        async with contextlib.AsyncExitStack() as stack:
            ctx = await stack.enter_async_context(open_service_context(config))
            if run_mode == "embedded":
                deps = await stack.enter_async_context(open_worker_deps(ctx))
                await stack.enter_async_context(embedded_worker(ctx, deps))
            else:
                # Submissions defer on their own transaction's connection; the queue's pool
                # only serves readiness checks.
                ctx.queue = await stack.enter_async_context(
                    open_production_queue(config, max_pool=2)
                )
            limiter = SubmitRateLimiter(config)
            stack.push_async_callback(limiter.aclose)
            app.state.api = ApiState(
                ctx=ctx,
                authenticator=Authenticator(
                    ctx.database,
                    required=required,
                    pepper=pepper,
                    local_tenant=config.api.local_tenant,
                    cache_seconds=config.api.auth_cache_seconds,
                ),
                rate_limiter=limiter,
                mode=run_mode,
            )
            # Everything loaded so far lives as long as the process: keep it out of the
            # cyclic GC's sight, or full collections of this heap stall the event loop for
            # hundreds of milliseconds (p99 latency).
            gc.collect()
            gc.freeze()
            # Requests allocate many short-lived objects; collecting the young generation
            # every 700 allocations costs more CPU than it frees.
            gc.set_threshold(20_000, 50, 100)
            logger.info("API ready (%s mode, API keys %s)", run_mode, "on" if required else "off")
            stack.callback(process_exiting)
            yield

    app = FastAPI(
        title="Compliance Assistant",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
        telemetry={
            "operation_spans": config.observability.trace_operation_spans,
            "exclude": _untraced,
        },
    )
    install_error_handlers(app)
    # Per-user rate limits by route group (api.rate_limits); probes, docs and the add-in's
    # files are not limited.
    limited = [rate_limited()]
    app.include_router(checks_router, prefix=API_PREFIX, dependencies=limited)
    app.include_router(guidelines_router, prefix=API_PREFIX, dependencies=limited)
    app.include_router(admin_router, prefix=API_PREFIX, dependencies=[rate_limited("admin")])
    app.include_router(gtc_router, prefix=API_PREFIX, dependencies=limited)
    app.include_router(audit_router, prefix=API_PREFIX, dependencies=[rate_limited("admin")])
    app.include_router(analytics_router, prefix=API_PREFIX, dependencies=[rate_limited("admin")])
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(health.router, include_in_schema=False)  # probes at /health/* too
    app.include_router(metrics_router)  # GET /metrics, not in the schema
    app.mount("/addin", StaticFiles(directory=ADDIN_DIR, html=True), name="addin")
    if config.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            # Credentials are headers (bearer token, API key), never cookies.
            allow_credentials=False,
        )
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=config.limits.max_json_bytes,
        upload_limit=config.limits.max_upload_bytes,
    )
    # Request metrics, server span, log context; inside the correlation id's middleware.
    app.add_middleware(ObservabilityMiddleware)
    # Outermost, so even a 413 from the body limit or an unhandled error carries the id.
    app.add_middleware(CorrelationMiddleware)
    # Outside even that, so the correlation middleware's own 500 gets the headers too.
    app.add_middleware(
        SecurityHeadersMiddleware,
        https_public_url=str(config.api.public_url or "").startswith("https://"),
    )
    # FastAPI's documented way to customise the schema is to replace this method.
    app.openapi = _openapi_with_extra_schemas(app)  # type: ignore[method-assign]
    return app


# Probes and scrapes arrive every few seconds from every replica: no trace worth keeping.
UNTRACED_PREFIXES = ("/health/", f"{API_PREFIX}/health/", "/metrics")


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return str(scope.get("path", "")).startswith(UNTRACED_PREFIXES)


def _openapi_with_extra_schemas(app: FastAPI) -> Any:
    """Bodies read by hand (JSON or multipart; YAML or JSON) still get documented schemas."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (CheckRequest, CreateSetJson):
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        document_validation_errors(schema)
        add_links(schema)
        app.openapi_schema = schema
        return schema

    return openapi
