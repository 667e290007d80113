"""The recovery sweep: no job is lost between the database and the queue, or with a worker.

Runs at worker start and every ``worker.sweep_interval_seconds`` in every worker (all steps
are conditional updates or idempotent enqueues, so concurrent sweeps are harmless):

1. queue-level recovery (Procrastinate: deliveries held by workers whose heartbeat stopped
   are closed, dead workers pruned);
2. jobs ``processing`` whose heartbeat is older than ``worker.stalled_after_seconds`` — their
   worker died — go back to ``queued`` and are enqueued again;
3. jobs ``queued`` for longer than ``worker.requeue_after_seconds`` are enqueued again (the
   enqueue after the API's commit was lost, or the queue entry was dropped).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from compliance_assistant.checks.context import JobQueue, ServiceContext
from compliance_assistant.checks.execution import now
from compliance_assistant.storage.db import jobs

logger = logging.getLogger(__name__)

QueueRecovery = Callable[[], Awaitable[int]]


@dataclass(frozen=True)
class SweepReport:
    deliveries_closed: int = 0
    stalled_requeued: int = 0
    queued_reenqueued: int = 0


async def sweep(
    ctx: ServiceContext, queue: JobQueue, *, recover_queue: QueueRecovery | None = None
) -> SweepReport:
    settings = ctx.settings.worker
    closed = await recover_queue() if recover_queue is not None else 0
    moment = now()
    async with ctx.database.session() as session:
        stalled = await jobs.stalled(
            session, now=moment, heartbeat_timeout_seconds=settings.stalled_after_seconds
        )
        released = []
        threshold = moment - timedelta(seconds=settings.stalled_after_seconds)
        for ref in stalled:
            if await jobs.release_stalled(
                session, ref.tenant_id, ref.id, heartbeat_before=threshold, now=moment
            ):
                released.append(ref)
    for ref in released:
        logger.warning("job %s: its worker stopped heart-beating; re-queued", ref.id)
        await queue.enqueue(ref.tenant_id, ref.id)
    async with ctx.database.read_session() as session:
        waiting = await jobs.queued_older_than(
            session, now=moment, age_seconds=settings.requeue_after_seconds
        )
    for ref in waiting:
        await queue.enqueue(ref.tenant_id, ref.id)
    return SweepReport(
        deliveries_closed=closed, stalled_requeued=len(released), queued_reenqueued=len(waiting)
    )


async def sweep_forever(
    ctx: ServiceContext, queue: JobQueue, *, recover_queue: QueueRecovery | None = None
) -> None:
    """Sweep every ``worker.sweep_interval_seconds`` until cancelled; a failed round is
    logged and the next one tried."""
    while True:
        await asyncio.sleep(ctx.settings.worker.sweep_interval_seconds)
        try:
            await sweep(ctx, queue, recover_queue=recover_queue)
        except Exception:
            logger.exception("recovery sweep failed; trying again next round")
