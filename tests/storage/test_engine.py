"""Engines and units of work: SQLite pragmas and locking, PgBouncer mode, settings wiring."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from compliance_assistant.config import load_settings
from compliance_assistant.storage.db import Database, EngineOptions, jobs
from compliance_assistant.storage.db.engine import create_engine
from tests.storage.conftest import T0
from tests.storage.test_jobs import new_job

pytestmark = pytest.mark.anyio


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", EngineOptions(sqlite_busy_timeout_ms=1234)
    )
    try:
        async with engine.connect() as connection:
            pragmas = [
                (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 1234, 1]


async def test_a_new_database_switches_to_wal_while_another_connection_writes(
    tmp_path: Path,
) -> None:
    """SQLite refuses the switch to WAL at once (no busy wait) while another connection
    writes, as when replicas or engines start together on a new file: it is retried."""
    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    asyncio.get_running_loop().call_later(0.3, writer.execute, "COMMIT")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
    finally:
        await engine.dispose()
        writer.close()
    assert mode == "wal"


async def test_sqlite_readers_do_not_wait_for_a_writer(sqlite_migrated_url: str) -> None:
    database = Database.from_url(sqlite_migrated_url)
    try:
        async with database.session() as writer:
            job = await jobs.create(writer, new_job("engine-test"), now=T0)
            # The writer holds the write lock (BEGIN IMMEDIATE); a reader still gets the last
            # committed state at once, without the uncommitted job.
            async with database.read_session() as reader:
                seen = await asyncio.wait_for(jobs.get(reader, "engine-test", job.id), 1)
            assert seen is None
        async with database.read_session() as reader:
            assert await jobs.get(reader, "engine-test", job.id) is not None
        async with database.session() as cleanup:
            await cleanup.execute(text("DELETE FROM jobs WHERE tenant_id = 'engine-test'"))
    finally:
        await database.dispose()


async def test_session_rolls_back_on_error(db: Database) -> None:
    async def create_then_fail() -> None:
        async with db.session() as session:
            await jobs.create(session, new_job(), now=T0)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await create_then_fail()
    async with db.read_session() as session:
        assert (await jobs.list_page(session, "t1")).items == []


async def test_postgres_without_prepared_statements(postgres_url: str) -> None:
    """Behind PgBouncer in transaction mode psycopg must not prepare statements."""
    for disabled, expected in ((True, None), (False, 5)):
        engine = create_engine(postgres_url, EngineOptions(disable_prepared_statements=disabled))
        try:
            async with engine.connect() as connection:
                raw = (await connection.get_raw_connection()).driver_connection
                assert raw is not None
                assert raw.prepare_threshold == expected
                assert (await connection.exec_driver_sql("SELECT 1")).scalar_one() == 1
        finally:
            await engine.dispose()


async def test_database_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    settings = load_settings(data_dir=tmp_path / "data")
    assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'compliance.db'}"
    database = Database.from_settings(settings)
    try:
        assert database.dialect == "sqlite"
        assert database.read_engine is not database.engine
        await database.ping()
    finally:
        await database.dispose()
    assert (tmp_path / "data").is_dir()
