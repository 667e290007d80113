"""PgBouncer in transaction mode: ``database.disable_prepared_statements`` leaves no
server-side prepared statement behind on any of our PostgreSQL connections — SQLAlchemy's
engine, Procrastinate's connector and the LangGraph checkpointer. Each case runs the same
parameterised statement more often than psycopg's prepare threshold, then reads
``pg_prepared_statements`` (per session) on the same connection; the control run with the
setting off proves the check would see them."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from compliance_assistant.config import Settings
from compliance_assistant.pipeline.factory import pipeline_runtime
from compliance_assistant.storage.db import Database
from compliance_assistant.storage.db.engine import EngineOptions
from compliance_assistant.storage.db.migrate import migrate
from compliance_assistant.worker.production import build_app

pytestmark = pytest.mark.anyio
REPEATS = 8  # psycopg prepares a statement on its 5th execution by default
COUNT = "SELECT count(*) AS n FROM pg_prepared_statements"


def _settings(tmp_path: Path, postgres_url: str, *, disabled: bool) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database={"url": postgres_url, "disable_prepared_statements": disabled},
        pipeline={"checkpoint_url": "postgresql://" + postgres_url.split("://", 1)[1]},
        llm={"provider": "none"},
        tracking={"enabled": False},
    )


@pytest.mark.parametrize("disabled", [True, False])
async def test_sqlalchemy_engine(postgres_url: str, disabled: bool) -> None:
    options = EngineOptions(pool_size=1, max_overflow=0, disable_prepared_statements=disabled)
    database = Database.from_url(postgres_url, options)
    try:
        async with database.engine.connect() as connection:
            for n in range(REPEATS):
                await connection.execute(text("SELECT :n + 1"), {"n": n})
            prepared = await connection.scalar(text(COUNT))
    finally:
        await database.dispose()
    assert (prepared == 0) is disabled, prepared


@pytest.mark.parametrize("disabled", [True, False])
async def test_procrastinate_connector(tmp_path: Path, postgres_url: str, disabled: bool) -> None:
    await migrate(postgres_url)
    app = build_app(_settings(tmp_path, postgres_url, disabled=disabled), max_pool=1)
    async with app.open_async():
        for _ in range(REPEATS):
            await app.job_manager.list_jobs_async(queue="prepared-statements-test")
        row: Any = await app.connector.execute_query_one_async(COUNT)
    assert (row["n"] == 0) is disabled, row


@pytest.mark.parametrize("disabled", [True, False])
async def test_langgraph_checkpointer(tmp_path: Path, postgres_url: str, disabled: bool) -> None:
    settings = _settings(tmp_path, postgres_url, disabled=disabled)
    async with contextlib.AsyncExitStack() as stack:
        runtime = await stack.enter_async_context(pipeline_runtime(settings))
        saver: Any = runtime.checkpointer
        assert saver is not None
        config = {"configurable": {"thread_id": "prepared-statements", "checkpoint_ns": ""}}
        for _ in range(REPEATS):
            await saver.aget_tuple(config)
        # The pool opened one connection and reused it for every call above.
        async with saver.conn.connection() as connection:
            cursor = await connection.execute(COUNT)
            row = await cursor.fetchone()
    assert (row["n"] == 0) is disabled, row
