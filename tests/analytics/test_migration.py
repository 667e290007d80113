"""Migration 0004: the analytics indexes exist on both dialects, match the models (no drift)
and come off again on downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect

from compliance_assistant.storage.db.engine import create_engine
from compliance_assistant.storage.db.migrate import alembic_config, migrate
from tests.services import temporary_postgres_database

pytestmark = pytest.mark.anyio
INDEXES = {
    ("results", "ix_results_tenant_id_created_at"): ["tenant_id", "created_at"],
    ("feedback", "ix_feedback_tenant_id_action_created_at"): ["tenant_id", "action", "created_at"],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'analytics.db'}"
    else:
        with temporary_postgres_database() as url:
            yield url


def _indexes(connection: Connection) -> dict[tuple[str, str], list[str]]:
    inspector = inspect(connection)
    return {
        (table, index["name"]): [str(c) for c in index["column_names"]]
        for table in ("results", "feedback")
        for index in inspector.get_indexes(table)
        if index["name"] is not None
    }


def _check_and_downgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.check(config)  # models and migrations agree
    command.downgrade(config, "0003")


async def test_indexes_are_created_and_removed(empty_url: str) -> None:
    await migrate(empty_url)
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(_indexes)
        for key, columns in INDEXES.items():
            assert found[key] == columns
        async with engine.begin() as connection:
            await connection.run_sync(_check_and_downgrade, alembic_config())
        async with engine.connect() as connection:
            after = await connection.run_sync(_indexes)
        assert not set(INDEXES) & set(after)
    finally:
        await engine.dispose()
    await migrate(empty_url)  # and up again
