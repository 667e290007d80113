"""Pre-ping of idle pooled connections (``database.pre_ping_after_idle_seconds``), against a
real PostgreSQL whose server side of a pooled connection is terminated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from compliance_assistant.storage.db import EngineOptions
from compliance_assistant.storage.db import engine as engine_module
from compliance_assistant.storage.db.engine import create_engine

pytestmark = pytest.mark.anyio


class Clock:
    """Stands in for ``time.monotonic`` in the engine module: idleness without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(engine_module.time, "monotonic", fake)
    return fake


@pytest.fixture
async def engine(postgres_url: str, clock: Clock) -> AsyncIterator[AsyncEngine]:
    del clock  # installed before the engine's listeners first read the time
    created = create_engine(
        postgres_url, EngineOptions(pool_size=1, max_overflow=0, pre_ping_after_idle_seconds=1)
    )
    yield created
    await created.dispose()


def pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The results of the dialect's pings from now on (they bypass statement events)."""
    dialect = engine.sync_engine.dialect
    real = dialect.do_ping
    seen: list[bool] = []

    def counted(dbapi_connection: object) -> bool:
        alive = real(dbapi_connection)
        seen.append(alive)
        return alive

    monkeypatch.setattr(dialect, "do_ping", counted)
    return seen


def statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return seen


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(postgres_url: str, pid: int) -> None:
    other = create_engine(postgres_url)
    try:
        async with other.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_a_connection_back_from_work_a_moment_ago_is_not_pinged(
    engine: AsyncEngine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_pid(engine)
    pinged = pings(engine, monkeypatch)
    seen = statements(engine)
    clock.now += 0.5
    assert await backend_pid(engine) == first
    assert pinged == []
    assert seen == ["SELECT pg_backend_pid()"]
    clock.now += 1.5
    assert await backend_pid(engine) == first
    assert pinged == [True]


async def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(
    engine: AsyncEngine, clock: Clock, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await backend_pid(engine)
    pinged = pings(engine, monkeypatch)
    await terminate(postgres_url, first)
    clock.now += 5  # the pooled connection has waited longer than the threshold
    # The ping finds the dead connection; the pool opens a new one and the query succeeds.
    second = await backend_pid(engine)
    assert second != first
    assert pinged == []  # the ping of the dead connection raised; the new one is not pinged
    # A healthy idle connection is pinged and kept.
    clock.now += 5
    assert await backend_pid(engine) == second
    assert pinged == [True]


async def test_without_idleness_a_dead_connection_fails_its_first_statement(
    engine: AsyncEngine, clock: Clock, postgres_url: str
) -> None:
    """The trade-off, shown: a connection that broke within the threshold is found by its
    first statement; SQLAlchemy then invalidates it and the next unit of work reconnects."""
    first = await backend_pid(engine)
    await terminate(postgres_url, first)
    clock.now += 0.1
    with pytest.raises(DBAPIError) as failure:
        await backend_pid(engine)
    assert failure.value.connection_invalidated
    assert await backend_pid(engine) != first


async def test_zero_threshold_pings_every_checkout(postgres_url: str) -> None:
    engine = create_engine(
        postgres_url, EngineOptions(pool_size=1, max_overflow=0, pre_ping_after_idle_seconds=0)
    )
    try:
        first = await backend_pid(engine)
        await terminate(postgres_url, first)
        # SQLAlchemy's own pre-ping, with no idleness needed.
        assert await backend_pid(engine) != first
    finally:
        await engine.dispose()
