"""Audit fixtures: migrated databases of both dialects (``db``) and the running API in both
modes (``api``, the same fixture as tests/api)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from compliance_assistant.storage.db import Database
from tests.api.conftest import api, llm_double, mode, production_services, services
from tests.services import (
    azurite_connection_string,
    postgres_url,
    redis_key_prefix,
    redis_url,
)
from tests.storage.conftest import db_url, postgresql_migrated_url, sqlite_migrated_url

__all__ = [
    "api",
    "azurite_connection_string",
    "db_url",
    "llm_double",
    "mode",
    "postgres_url",
    "postgresql_migrated_url",
    "production_services",
    "redis_key_prefix",
    "redis_url",
    "services",
    "sqlite_migrated_url",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database. The log cannot be emptied (append-only): tests use tenants of
    their own instead."""
    database = Database.from_url(db_url)
    try:
        yield database
    finally:
        await database.dispose()
