"""Apply the Alembic migrations: ``compliance migrate`` and embedded start-up call this.

The migrations live in ``migrations/`` at the project root (next to ``alembic.ini``), which is
also what the ``alembic`` command uses. On PostgreSQL the upgrade holds an advisory lock, so
replicas that start together migrate one after the other instead of racing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from compliance_assistant.storage.db.engine import EngineOptions, create_engine

# Two 32-bit keys for pg_advisory_xact_lock: an arbitrary constant naming "app schema".
_LOCK_KEYS = (0x636F6D70, 0x6D696772)
_DEFAULT_LOCATION = Path(__file__).resolve().parents[4] / "migrations"


class MigrationsNotFoundError(RuntimeError):
    """The migrations folder is missing (e.g. an install without the project files)."""


def alembic_config(script_location: Path | None = None) -> Config:
    """An Alembic config for the project's migrations, without reading ``alembic.ini``."""
    location = script_location or _DEFAULT_LOCATION
    if not (location / "env.py").is_file():
        raise MigrationsNotFoundError(f"no Alembic migrations at {location}")
    config = Config()
    config.set_main_option("script_location", str(location))
    return config


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _LOCK_KEYS[0], "b": _LOCK_KEYS[1]}
        )
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate(
    database_url: str, *, revision: str = "head", script_location: Path | None = None
) -> None:
    """Upgrade the database at ``database_url`` to ``revision`` in one transaction (on
    PostgreSQL, DDL is transactional: a failed upgrade leaves the schema as it was)."""
    config = alembic_config(script_location)
    engine = create_engine(database_url, EngineOptions(pool_size=1, max_overflow=0))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, config, revision)
    finally:
        await engine.dispose()


def migrate_sync(
    database_url: str, *, revision: str = "head", script_location: Path | None = None
) -> None:
    """:func:`migrate` for synchronous callers (the CLI); not from inside an event loop."""
    asyncio.run(migrate(database_url, revision=revision, script_location=script_location))


def _current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def pending_revisions(database_url: str, *, script_location: Path | None = None) -> list[str]:
    """Revisions not yet applied, oldest first (empty when up to date); readiness checks
    and embedded start-up can use it."""
    config = alembic_config(script_location)
    script = ScriptDirectory.from_config(config)
    engine = create_engine(database_url, EngineOptions(pool_size=1, max_overflow=0))
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(_current)
    finally:
        await engine.dispose()
    applied: set[str] = set()
    for head in current:
        applied.update(rev.revision for rev in script.iterate_revisions(head, "base"))
    # walk_revisions goes from head to base; report them in the order they will be applied.
    pending = [rev.revision for rev in script.walk_revisions() if rev.revision not in applied]
    return pending[::-1]
