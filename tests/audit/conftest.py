"""Audit fixtures: migrated databases of both dialects (``db``) and the running API in both
modes (``api``, the same fixture as tests/api)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from compliance_assistant.storage.db import Database
from compliance_assistant.storage.db.migrate import migrate_sync
from tests.api.conftest import api, llm_double, mode, production_services, services
from tests.services import (
    azurite_connection_string,
    postgres_url,
    redis_key_prefix,
    redis_url,
)

__all__ = [
    "api",
    "azurite_connection_string",
    "llm_double",
    "mode",
    "postgres_url",
    "production_services",
    "redis_key_prefix",
    "redis_url",
    "services",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('audit')) / 'audit.db'}"
    migrate_sync(url)
    return url


@pytest.fixture(scope="session")
def postgresql_migrated_url(postgres_url: str) -> str:
    # The session's database, shared with the production-mode API tests (migrating twice
    # is a no-op).
    migrate_sync(postgres_url)
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_migrated_url")
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database. The log cannot be emptied (append-only): tests use tenants of
    their own instead."""
    database = Database.from_url(db_url)
    try:
        yield database
    finally:
        await database.dispose()
