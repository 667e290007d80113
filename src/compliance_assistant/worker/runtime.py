"""A worker process's dependencies: the service context, the check pipeline's runtime and
the GTC verifier."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.execution import ExecutionDeps
from compliance_assistant.config import Settings
from compliance_assistant.gtc.factory import build_gtc_services
from compliance_assistant.pipeline.factory import pipeline_runtime
from compliance_assistant.worker.locks import startup_lock


def worker_name() -> str:
    """``host:pid``: what the jobs table's ``worker_id`` starts with while a job runs here."""
    return f"{socket.gethostname()}:{os.getpid()}"


def pipeline_settings(settings: Settings) -> Settings:
    """On PostgreSQL the checkpoints default to the application database, so a job resumed
    by another worker (another machine) finds its finished branches; on SQLite they keep
    their own file under the data folder (DESIGN §9)."""
    url = settings.database.url or ""
    if settings.pipeline.checkpoint_url is not None or not url.startswith("postgresql"):
        return settings
    conninfo = "postgresql://" + url.split("://", 1)[1]
    pipeline = settings.pipeline.model_copy(update={"checkpoint_url": conninfo})
    return settings.model_copy(update={"pipeline": pipeline})


@asynccontextmanager
async def open_worker_deps(ctx: ServiceContext) -> AsyncIterator[ExecutionDeps]:
    """The pipeline (judge, checkpointer, tracker) and the GTC verifier (Smart Search and/or
    the local library, when configured) over the context's cache and blobs; closed on exit."""
    async with AsyncExitStack() as stack:
        gtc = build_gtc_services(ctx.settings, cache=ctx.cache, blobs=ctx.blob, clock=ctx.clock)
        if gtc is not None:
            stack.push_async_callback(gtc.aclose)
        # Opening the runtime creates the checkpoint tables on first use: one replica at a time.
        async with startup_lock(ctx.database):
            runtime = await stack.enter_async_context(
                pipeline_runtime(
                    pipeline_settings(ctx.settings),
                    cache=ctx.cache,
                    clock=ctx.clock,
                    gtc=gtc.checker if gtc is not None else None,
                )
            )
        yield ExecutionDeps(ctx=ctx, pipeline=runtime, gtc=gtc.checker if gtc is not None else None)
