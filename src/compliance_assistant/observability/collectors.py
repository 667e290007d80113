"""Gauges computed at scrape time from the database: the queue and the connection pools.

* :class:`QueueStats` — ``compliance_queue_depth``, ``compliance_queue_oldest_age_seconds``,
  ``compliance_jobs_processing``. One grouped query on the jobs table (served by the
  ``(status, heartbeat_at)`` index), at most once per ``ttl_seconds`` per process: every API
  replica and worker is scraped, and a query per scrape of each would load the database for
  nothing. On the read replica when one is configured. A failed query keeps the last values.
* :class:`PoolStats` — ``compliance_db_pool_connections{pool,state}`` and
  ``compliance_db_pool_size{pool}`` from SQLAlchemy's pool counters (no query). SQLite files
  use no pool and report nothing.

Both describe the process that is scraped; in multiprocess mode (several server processes)
the pool gauges are the scraped process's only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from compliance_assistant.storage.db import Database
from compliance_assistant.storage.db.models import Job

logger = logging.getLogger(__name__)

QUEUE_STATS_TTL_SECONDS = 10.0


@dataclass(frozen=True)
class QueueSnapshot:
    queued: int
    processing: int
    oldest_queued_at: datetime | None


class QueueStats(Collector):
    def __init__(self, database: Database, *, ttl_seconds: float = QUEUE_STATS_TTL_SECONDS) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds
        self.snapshot: QueueSnapshot | None = None
        self.queries = 0  # how many times the database was asked (tests, debugging)
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Re-read the queue unless the last reading is younger than ``ttl_seconds``."""
        if time.monotonic() - self._read_at < self.ttl_seconds:
            return
        async with self._lock:
            if time.monotonic() - self._read_at < self.ttl_seconds:
                return  # another scrape refreshed it while this one waited
            self._read_at = time.monotonic()
            try:
                self.snapshot = await self._read()
            except Exception as exc:  # a scrape must not fail because the database did
                logger.warning("queue metrics not refreshed: %s", exc)

    async def _read(self) -> QueueSnapshot:
        self.queries += 1
        query = (
            select(Job.status, func.count(), func.min(Job.created_at))
            .where(Job.status.in_(("queued", "processing")))
            .group_by(Job.status)
        )
        async with self.database.read_session() as session:
            rows = (await session.execute(query)).all()
        counts = {status: (count, oldest) for status, count, oldest in rows}
        queued, oldest = counts.get("queued", (0, None))
        processing, _ = counts.get("processing", (0, None))
        return QueueSnapshot(int(queued), int(processing), oldest)

    def collect(self) -> Iterator[Metric]:
        snapshot = self.snapshot
        if snapshot is None:
            return
        yield GaugeMetricFamily(
            "compliance_queue_depth", "Jobs waiting for a worker (status queued).", snapshot.queued
        )
        age = 0.0
        if snapshot.oldest_queued_at is not None:
            age = max(0.0, (datetime.now(UTC) - snapshot.oldest_queued_at).total_seconds())
        yield GaugeMetricFamily(
            "compliance_queue_oldest_age_seconds",
            "Age of the oldest queued job (0 when none waits).",
            age,
        )
        yield GaugeMetricFamily(
            "compliance_jobs_processing", "Jobs running in a worker now.", snapshot.processing
        )


class PoolStats(Collector):
    def __init__(self, database: Database) -> None:
        self.engines: dict[str, AsyncEngine] = {"primary": database.engine}
        if database.read_engine is not database.engine:
            self.engines["replica"] = database.read_engine

    def collect(self) -> Iterator[Metric]:
        connections = GaugeMetricFamily(
            "compliance_db_pool_connections",
            "Database connections of this process's pool, by pool and state (in_use, idle).",
            labels=["pool", "state"],
        )
        size = GaugeMetricFamily(
            "compliance_db_pool_size",
            "Connections this process's pool may open (pool_size + max_overflow), by pool.",
            labels=["pool"],
        )
        pools = [(name, engine.sync_engine.pool) for name, engine in self.engines.items()]
        queue_pools = [(name, pool) for name, pool in pools if isinstance(pool, QueuePool)]
        if not queue_pools:
            return
        for name, pool in queue_pools:
            connections.add_metric([name, "in_use"], pool.checkedout())
            connections.add_metric([name, "idle"], pool.checkedin())
            # SQLAlchemy keeps max_overflow private; it is the configured value.
            overflow = max(0, int(getattr(pool, "_max_overflow", 0)))
            size.add_metric([name], pool.size() + overflow)
        yield connections
        yield size


class ScrapeSources:
    """The scrape-time collectors of one process, refreshed before each scrape."""

    def __init__(self, database: Database) -> None:
        self.queue = QueueStats(database)
        self.pool = PoolStats(database)

    async def refresh(self) -> None:
        await self.queue.refresh()

    @property
    def collectors(self) -> Iterable[Collector]:
        return (self.queue, self.pool)
