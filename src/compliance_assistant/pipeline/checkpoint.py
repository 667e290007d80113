"""LangGraph checkpointers: PostgreSQL in production, SQLite (its own file) when embedded.

The saver's ``setup()`` creates its tables at start-up (DESIGN §9: Alembic does not own them).
SQLite runs in WAL mode with a busy timeout so the API process can read while a worker writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

_SQLITE_PREFIXES = ("sqlite+aiosqlite:///", "sqlite:///")
_POSTGRES_PREFIXES = ("postgresql+psycopg://", "postgresql://", "postgres://")


def default_checkpoint_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'checkpoints.db'}"


@asynccontextmanager
async def open_checkpointer(
    url: str, *, busy_timeout_ms: int = 5000, prepare_threshold: int | None = 0, pool_size: int = 10
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """A ready saver for ``url`` (``sqlite:///path`` or ``postgresql://…``), closed on exit.

    ``prepare_threshold=None`` disables prepared statements (PgBouncer in transaction mode).
    """
    if url.startswith(_SQLITE_PREFIXES):
        path = url.split(":///", 1)[1]
        async with _sqlite(path, busy_timeout_ms) as saver:
            yield saver
    elif url.startswith(_POSTGRES_PREFIXES):
        conninfo = "postgresql://" + url.split("://", 1)[1]
        async with _postgres(conninfo, prepare_threshold, pool_size) as saver:
            yield saver
    else:
        raise ValueError(
            f"unsupported checkpoint URL '{url.split('://', maxsplit=1)[0]}://…': use "
            "sqlite:///path/checkpoints.db or postgresql://user@host/db"
        )


@asynccontextmanager
async def _sqlite(path: str, busy_timeout_ms: int) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await conn.execute("PRAGMA journal_mode = WAL")
        # WAL makes NORMAL safe against corruption; a crash may lose only the last commit.
        await conn.execute("PRAGMA synchronous = NORMAL")
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        yield saver


@asynccontextmanager
async def _postgres(
    conninfo: str, prepare_threshold: int | None, pool_size: int
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        conninfo,
        min_size=1,
        max_size=pool_size,
        open=False,
        kwargs={
            "autocommit": True,
            "prepare_threshold": prepare_threshold,
            "row_factory": dict_row,
        },
    )
    await pool.open(wait=True)
    try:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver
    finally:
        await pool.close()
