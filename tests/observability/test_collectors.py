"""Scrape-time gauges: the queue (from the jobs table, cached) and the connection pools."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compliance_assistant.observability.collectors import PoolStats, QueueStats
from compliance_assistant.observability.exposition import render
from compliance_assistant.storage.db import Database, NewJob, jobs
from compliance_assistant.storage.db.engine import EngineOptions
from compliance_assistant.storage.db.migrate import migrate
from tests.observability.scrape import Scrape

pytestmark = pytest.mark.anyio


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await migrate(url)
    database = Database.from_url(url)
    yield database
    await database.dispose()


async def _job(database: Database, *, created: datetime, claim: bool = False) -> str:
    job_id = str(uuid.uuid4())
    new = NewJob(
        id=job_id,
        tenant_id="t1",
        guideline_set_id="marketing-eu",
        guideline_set_version=1,
        input_format="text",
        article_sha256="0" * 64,
    )
    async with database.session() as session:
        await jobs.create(session, new, now=created)
        if claim:
            assert await jobs.claim(session, "t1", job_id, worker_id="w:1", now=created)
    return job_id


async def test_queue_gauges_come_from_the_jobs_table(database: Database) -> None:
    now = datetime.now(UTC)
    await _job(database, created=now - timedelta(seconds=40))
    await _job(database, created=now - timedelta(seconds=5))
    await _job(database, created=now - timedelta(seconds=90), claim=True)
    stats = QueueStats(database)
    await stats.refresh()
    scrape = Scrape(render([stats]).decode())
    assert scrape.value("compliance_queue_depth") == 2
    assert scrape.value("compliance_jobs_processing") == 1
    # The oldest *queued* job (the processing one is older and does not count).
    assert 40 <= scrape.value("compliance_queue_oldest_age_seconds") < 60


async def test_queue_is_read_at_most_once_per_ttl(database: Database) -> None:
    stats = QueueStats(database, ttl_seconds=60)
    await stats.refresh()
    await _job(database, created=datetime.now(UTC))
    await stats.refresh()
    assert stats.queries == 1
    assert Scrape(render([stats]).decode()).value("compliance_queue_depth") == 0
    fresh = QueueStats(database, ttl_seconds=0)
    await fresh.refresh()
    await fresh.refresh()
    assert fresh.queries == 2
    scrape = Scrape(render([fresh]).decode())
    assert scrape.value("compliance_queue_depth") == 1
    assert scrape.value("compliance_queue_oldest_age_seconds") < 30


async def test_an_unreadable_database_keeps_the_last_values(database: Database) -> None:
    await _job(database, created=datetime.now(UTC))
    stats = QueueStats(database, ttl_seconds=0)
    await stats.refresh()
    broken = QueueStats(Database.from_url("sqlite+aiosqlite:////nonexistent/dir/x.db"))
    broken.snapshot = stats.snapshot
    await broken.refresh()  # logs a warning, does not raise
    assert broken.queries == 1
    assert Scrape(render([broken]).decode()).value("compliance_queue_depth") == 1
    await broken.database.dispose()


async def test_pool_gauges_read_sqlalchemy_pool_counters(postgres_url: str) -> None:
    options = EngineOptions(pool_size=3, max_overflow=2)
    database = Database.from_url(postgres_url, options, read_url=postgres_url)
    try:
        async with database.session() as session:
            await session.connection()
            during = Scrape(render([PoolStats(database)]).decode())
        after = Scrape(render([PoolStats(database)]).decode())
    finally:
        await database.dispose()
    for pool in ("primary", "replica"):
        assert during.value("compliance_db_pool_size", pool=pool) == 5
    assert during.value("compliance_db_pool_connections", pool="primary", state="in_use") == 1
    assert after.value("compliance_db_pool_connections", pool="primary", state="in_use") == 0
    assert after.value("compliance_db_pool_connections", pool="primary", state="idle") == 1
