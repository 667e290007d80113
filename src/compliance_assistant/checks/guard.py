"""Watches a running job: heartbeats while it runs, stops it when it is no longer ours.

The job stops when a ``cancel`` event arrives on its channel (``DELETE /jobs/{id}``), or when a
heartbeat finds the row is no longer ``processing`` by this worker (cancelled while the event
was missed, or taken over after this worker was presumed dead). Heartbeats are what the sweep
uses to tell a live worker from a dead one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.checks.events import CANCEL
from compliance_assistant.engine.ports import CacheUnavailable
from compliance_assistant.storage.db import jobs
from compliance_assistant.storage.events import Subscription

logger = logging.getLogger(__name__)


class StopReason(StrEnum):
    CANCELLED = "cancelled"
    LOST = "lost"


class JobGuard:
    """Run :meth:`watch` as a task beside the job's work task; read :attr:`reason` after the
    work was cancelled to learn why."""

    def __init__(self, ctx: ServiceContext, tenant_id: str, job_id: str, worker_id: str) -> None:
        self.ctx = ctx
        self.tenant_id = tenant_id
        self.job_id = job_id
        self.worker_id = worker_id
        self.reason: StopReason | None = None
        self.subscribed = asyncio.Event()

    async def watch(self, work: asyncio.Task[Any]) -> None:
        interval = self.ctx.settings.worker.heartbeat_seconds
        async with contextlib.AsyncExitStack() as stack:
            subscription: Subscription | None = None
            try:
                subscription = await stack.enter_async_context(
                    self.ctx.events.subscribe(self.job_id)
                )
            except CacheUnavailable as exc:
                logger.warning("job %s: no cancel events (%s); heartbeats only", self.job_id, exc)
            finally:
                # The work waits for this; it must not wait forever if subscribing failed.
                self.subscribed.set()
            loop = asyncio.get_running_loop()
            next_beat = loop.time() + interval
            while not work.done():
                wait = max(0.0, next_beat - loop.time())
                if await self._cancel_requested(subscription, wait):
                    self._stop(work, StopReason.CANCELLED)
                    return
                if loop.time() >= next_beat:
                    next_beat = loop.time() + interval
                    if not await self._beat():
                        self._stop(work, StopReason.LOST)
                        return

    async def _cancel_requested(self, subscription: Subscription | None, wait: float) -> bool:
        if subscription is None:
            await asyncio.sleep(wait)
            return False
        try:
            event = await subscription.next(timeout=wait)
        except CacheUnavailable:
            await asyncio.sleep(wait)
            return False
        return event is not None and event.get("type") == CANCEL

    async def _beat(self) -> bool:
        """False when the job is no longer ours; a database hiccup keeps the job running."""
        try:
            async with self.ctx.database.session() as session:
                return await jobs.heartbeat(
                    session,
                    self.tenant_id,
                    self.job_id,
                    worker_id=self.worker_id,
                    now=datetime.now(UTC),
                )
        except Exception as exc:
            logger.warning("job %s: heartbeat failed (%s); retrying", self.job_id, exc)
            return True

    def _stop(self, work: asyncio.Task[Any], reason: StopReason) -> None:
        logger.info("job %s: stopping (%s)", self.job_id, reason.value)
        self.reason = reason
        work.cancel()
