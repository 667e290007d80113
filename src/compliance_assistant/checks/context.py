"""What the job services work with: the adapters of one process, chosen from settings.

The API, the worker and ``compliance serve`` each open one :class:`ServiceContext` at start-up
(:func:`open_service_context`) and pass it to the stateless services. Adapters are picked
here, at the edge: SQLite or PostgreSQL, in-process cache or Redis, local folder or Azure Blob.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.catalog.guideline_sets import GuidelineCatalog
from compliance_assistant.checks.article_store import ArticleWriter, article_writer
from compliance_assistant.config import Settings
from compliance_assistant.engine.ports import Cache, Clock
from compliance_assistant.resilience.clock import SystemClock
from compliance_assistant.storage.blob import BlobLayout, BlobStore, build_blob_store
from compliance_assistant.storage.cache import build_cache, close_cache
from compliance_assistant.storage.db import Database
from compliance_assistant.storage.events import JobEventBus, build_event_bus

logger = logging.getLogger(__name__)


class JobQueue(Protocol):
    """Where accepted jobs are handed to workers: Procrastinate in production, an in-process
    asyncio queue in embedded mode. Enqueueing the same job twice is harmless: a worker runs
    a job only after claiming its row, which succeeds once."""

    async def enqueue(self, tenant_id: str, job_id: str) -> None: ...

    async def enqueue_in(self, session: AsyncSession, tenant_id: str, job_id: str) -> bool:
        """Write the queue entry in the caller's transaction, so the job row and its entry
        commit together; False when this queue cannot (enqueue after the commit instead)."""
        ...

    async def check(self) -> None:
        """Raise when the queue cannot accept jobs (readiness)."""
        ...


@dataclass
class ServiceContext:
    """The process's adapters. ``queue`` is attached by the edge that owns a queue."""

    settings: Settings
    database: Database
    cache: Cache
    blob: BlobStore
    events: JobEventBus
    catalog: GuidelineCatalog
    articles: ArticleWriter
    clock: Clock = field(default_factory=SystemClock)
    queue: JobQueue | None = None

    @property
    def layout(self) -> BlobLayout:
        return BlobLayout.from_settings(self.settings.blob)

    def require_queue(self) -> JobQueue:
        if self.queue is None:  # pragma: no cover - every edge attaches one before serving
            raise RuntimeError("no job queue is attached to this process")
        return self.queue


@contextlib.asynccontextmanager
async def open_service_context(
    settings: Settings, *, clock: Clock | None = None
) -> AsyncIterator[ServiceContext]:
    """Open every adapter the settings name; close them (in reverse order) on exit."""
    async with contextlib.AsyncExitStack() as stack:
        database = Database.from_settings(settings)
        stack.push_async_callback(database.dispose)
        cache = build_cache(settings, clock=clock)
        stack.push_async_callback(close_cache, cache)
        blob = build_blob_store(settings.blob)
        stack.push_async_callback(blob.close)
        articles = article_writer(settings.blob, blob)
        stack.push_async_callback(articles.close)
        events = build_event_bus(settings)
        stack.push_async_callback(events.close)
        catalog = GuidelineCatalog.create(
            settings.catalog.guidelines_path, settings.catalog.styles_path
        )
        yield ServiceContext(
            settings=settings,
            database=database,
            cache=cache,
            blob=blob,
            events=events,
            catalog=catalog,
            articles=articles,
            clock=clock or SystemClock(),
        )
