"""Storage test fixtures: migrated databases (SQLite and PostgreSQL), Redis, Azurite.

Repository tests take ``db`` and run once per database. Each test starts from empty tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from compliance_assistant.storage.db import Database
from compliance_assistant.storage.db.migrate import migrate_sync
from tests.services import (
    azurite_connection_string,
    postgres_url,
    redis_key_prefix,
    redis_url,
)

__all__ = ["azurite_connection_string", "postgres_url", "redis_key_prefix", "redis_url"]

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
APP_TABLES = (
    "findings",
    "job_results",
    "results",
    "feedback",
    "idempotency_keys",
    "guideline_sets",
    "api_keys",
    "jobs",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("sqlite")) / "compliance.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate_sync(url)
    return url


@pytest.fixture(scope="session")
def postgresql_migrated_url(postgres_url: str) -> str:
    migrate_sync(postgres_url)
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_migrated_url")
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database with empty application tables."""
    database = Database.from_url(db_url)
    # DELETE, not TRUNCATE: on tables this small it is far cheaper on PostgreSQL.
    async with database.engine.begin() as connection:
        for table in APP_TABLES:
            await connection.execute(text(f"DELETE FROM {table}"))
    try:
        yield database
    finally:
        await database.dispose()
