"""A cluster-wide start-up lock (PostgreSQL advisory lock), so replicas that start together
do not race each other through one-time set-up such as creating the LangGraph checkpoint
tables (``CREATE TABLE IF NOT EXISTS`` is not safe under concurrency in PostgreSQL).

The lock is held on an autocommit connection and waited for with ``pg_try_advisory_lock``:
the set-up runs ``CREATE INDEX CONCURRENTLY``, which waits for every open transaction in the
database — including a transaction blocked in ``pg_advisory_lock``, which would deadlock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from compliance_assistant.storage.db import Database

# Two 32-bit keys naming "worker start-up" (distinct from the migration lock's keys).
_KEYS = f"{0x636F6D70}, {0x73747274}"
_TRY_LOCK = f"SELECT pg_try_advisory_lock({_KEYS})"
_UNLOCK = f"SELECT pg_advisory_unlock({_KEYS})"
_POLL_SECONDS = 0.2


class StartupLockTimeout(RuntimeError):
    """Another replica kept the start-up lock too long (a stuck set-up)."""


@asynccontextmanager
async def startup_lock(database: Database, *, timeout: float = 300.0) -> AsyncIterator[None]:
    """Held for the duration of the block on PostgreSQL; a no-op on SQLite (one process)."""
    if database.dialect != "postgresql":
        yield
        return
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (await autocommit.exec_driver_sql(_TRY_LOCK)).scalar():
            if loop.time() > deadline:
                raise StartupLockTimeout(f"start-up lock not acquired within {timeout:g} s")
            await asyncio.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            await autocommit.exec_driver_sql(_UNLOCK)
