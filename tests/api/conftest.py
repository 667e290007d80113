"""API fixtures: ``api`` runs every test in both modes (embedded and production)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from compliance_assistant.storage.db.migrate import migrate_sync
from tests.api.harness import Api, Services, running_api, settings_for
from tests.doubles.llm_server import LlmDouble
from tests.services import (
    azurite_connection_string,
    postgres_url,
    redis_key_prefix,
    redis_url,
)

__all__ = ["azurite_connection_string", "postgres_url", "redis_key_prefix", "redis_url"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def llm_double() -> Iterator[LlmDouble]:
    with LlmDouble() as double:
        yield double


@pytest.fixture(scope="session")
def production_services(
    postgres_url: str, redis_url: str, redis_key_prefix: str, azurite_connection_string: str
) -> Services:
    migrate_sync(postgres_url)
    return Services(postgres_url, redis_url, redis_key_prefix, azurite_connection_string)


@pytest.fixture(params=["embedded", "production"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def services(request: pytest.FixtureRequest, mode: str) -> Services | None:
    if mode != "production":
        return None
    found: Services = request.getfixturevalue("production_services")
    return found


@pytest.fixture
async def api(
    mode: str, tmp_path: Path, llm_double: LlmDouble, services: Services | None
) -> AsyncIterator[Api]:
    settings = settings_for(mode, tmp_path, llm_double, services)
    async with running_api(mode, settings, llm_double) as running:
        yield running
