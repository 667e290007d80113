"""Alembic environment for PostgreSQL (psycopg 3) and SQLite (aiosqlite), async engines.

Two entry points:
- ``compliance migrate`` / embedded start-up call ``storage.db.migrate.migrate``, which opens
  the connection itself and passes it in ``config.attributes["connection"]``;
- the ``alembic`` command, which gets the URL from ``-x url=…``, ``sqlalchemy.url`` or the
  project settings, and runs the async engine here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection

from compliance_assistant.storage.db.base import Base, UtcDateTime
from compliance_assistant.storage.db.engine import EngineOptions, create_engine
from compliance_assistant.storage.db.models import Job  # noqa: F401  (registers every model)

config = context.config
target_metadata = Base.metadata

# Tables in the same database that other owners create: Procrastinate's (applied by our
# migration from its own SQL) and LangGraph's checkpoint tables (created by the saver's
# setup() at start-up). Autogenerate must neither drop nor diff them.
_FOREIGN_TABLE_PREFIXES = ("procrastinate_", "checkpoint")


def include_name(name: str | None, type_: str, _parents: dict[str, str | None]) -> bool:
    if type_ == "table" and name is not None:
        return not name.startswith(_FOREIGN_TABLE_PREFIXES)
    return True


def render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    # Migrations spell the column type plainly so they do not import application code.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=include_name,
        render_item=render_item,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from compliance_assistant.config import load_settings
    from compliance_assistant.storage.db.engine import database_url

    return database_url(load_settings())


async def _run_async() -> None:
    engine = create_engine(_url(), EngineOptions(pool_size=1, max_overflow=0))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        include_name=include_name,
        render_item=render_item,
        render_as_batch=url.startswith("sqlite"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:
        _run(shared)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_offline()
else:
    run_online()
