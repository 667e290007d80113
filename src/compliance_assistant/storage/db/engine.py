"""Engines and units of work for PostgreSQL (psycopg 3) and SQLite (aiosqlite).

The caller owns the transaction: ``async with database.session() as session`` commits when
the block ends normally and rolls back on an exception. Repositories only flush.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlalchemy.util import await_

from compliance_assistant.config import DatabaseSettings, Settings, normalise_database_url
from compliance_assistant.observability.tracing import instrument_engine


@dataclass(frozen=True)
class EngineOptions:
    """Pool and driver options; defaults suit tests and the CLI."""

    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout_seconds: float = 30.0
    pool_recycle_seconds: int = 1800
    pool_pre_ping: bool = True
    pre_ping_after_idle_seconds: float = 0.0
    disable_prepared_statements: bool = False
    sqlite_busy_timeout_ms: int = 5000
    echo: bool = False

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> EngineOptions:
        return cls(
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout_seconds=settings.pool_timeout_seconds,
            pool_recycle_seconds=settings.pool_recycle_seconds,
            pool_pre_ping=settings.pool_pre_ping,
            pre_ping_after_idle_seconds=settings.pre_ping_after_idle_seconds,
            disable_prepared_statements=settings.disable_prepared_statements,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            echo=settings.echo,
        )


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


def _on_sqlite_connect(busy_timeout_ms: int) -> Any:
    def configure(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # The sqlite3 module's own transaction handling starts transactions late (not before
        # a SELECT or SAVEPOINT) and a RELEASE outside BEGIN commits; switch it off and let
        # the "begin" listener below emit BEGIN, so units of work are real transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # The busy timeout makes a second writer wait instead of failing at once with
            # "database is locked"; WAL lets readers proceed while one writer commits.
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            _use_wal(cursor, busy_timeout_ms)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return configure


# Between attempts to switch a new database file to WAL.
_WAL_RETRY_SECONDS = 0.05


def _use_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the database file to WAL (a property of the file: once is enough).

    The switch needs the file to itself, and SQLite answers "database is locked" at once,
    without waiting out the busy timeout, while another connection writes: processes or
    engines starting together on a new database. So it is retried for up to the busy
    timeout, sleeping on the event loop (this runs inside SQLAlchemy's async adaptation).
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the adapted driver's OperationalError
            if "database is locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        await_(asyncio.sleep(_WAL_RETRY_SECONDS))


def _on_sqlite_begin(statement: str) -> Any:
    def begin(connection: Any) -> None:
        connection.exec_driver_sql(statement)

    return begin


def create_engine(
    url: str, options: EngineOptions | None = None, *, sqlite_immediate: bool = True
) -> AsyncEngine:
    """An async engine for a PostgreSQL or SQLite URL (other drivers are refused).

    SQLite: the parent folder is created; WAL, busy timeout and foreign keys are set on every
    connection. Transactions start with ``BEGIN IMMEDIATE`` (``sqlite_immediate``): a writer
    takes the write lock up front and waits its turn under the busy timeout, instead of
    failing with "database is locked" when it upgrades a read snapshot that another writer
    has meanwhile made stale. Read-only engines pass ``sqlite_immediate=False``.
    PostgreSQL: pooled with pre-ping (of connections idle ``pre_ping_after_idle_seconds``,
    every checkout when 0); ``disable_prepared_statements`` sets psycopg's
    ``prepare_threshold=None`` for PgBouncer transaction pooling (DESIGN §9).
    """
    opts = options or EngineOptions()
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # NullPool for :memory: would lose the database between connections; a file database
        # is cheap to open, and pooling SQLite connections only hides lock contention.
        engine = create_async_engine(
            parsed,
            echo=opts.echo,
            poolclass=NullPool if path is not None else None,
            connect_args={"timeout": opts.sqlite_busy_timeout_ms / 1000},
        )
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect(opts.sqlite_busy_timeout_ms))
        begin = "BEGIN IMMEDIATE" if sqlite_immediate else "BEGIN"
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin(begin))
        return engine
    connect_args: dict[str, Any] = {}
    if opts.disable_prepared_statements:
        connect_args["prepare_threshold"] = None
    ping_when_idle = opts.pool_pre_ping and opts.pre_ping_after_idle_seconds > 0
    engine = create_async_engine(
        parsed,
        echo=opts.echo,
        pool_size=opts.pool_size,
        max_overflow=opts.max_overflow,
        pool_timeout=opts.pool_timeout_seconds,
        pool_recycle=opts.pool_recycle_seconds,
        pool_pre_ping=opts.pool_pre_ping and not ping_when_idle,
        connect_args=connect_args,
    )
    if ping_when_idle:
        ping_idle_connections(engine, opts.pre_ping_after_idle_seconds)
    return engine


RETURNED_AT = "compliance_returned_at"


def ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Pre-ping, for connections that sat in the pool at least ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` tests every checkout: one more round trip per unit of
    work, about a tenth of a submission's. A connection checked in moments ago was working
    then; the ones a database restart, failover or idle timeout can have broken are those
    that waited. A failed ping raises ``DisconnectionError``, on which the pool discards the
    connection and checks out another (SQLAlchemy's pessimistic disconnect handling).
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[RETURNED_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.get(RETURNED_AT)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or back from work a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"pre-ping failed: {exc}") from exc
        if not alive:
            raise DisconnectionError("pre-ping failed")

    event.listen(pool, "checkin", returned)
    event.listen(pool, "checkout", checked_out)


class Database:
    """The application database: a write engine and an optional read replica.

    Create one per process (API app, worker, CLI command) and ``await dispose()`` at shutdown.
    """

    def __init__(self, engine: AsyncEngine, read_engine: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        # A span per statement when traces are on (docs/observability.md).
        instrument_engine(engine)
        if self.read_engine is not engine:
            instrument_engine(self.read_engine)
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = async_sessionmaker(
            self.read_engine, expire_on_commit=False, autoflush=False
        )

    @classmethod
    def from_url(
        cls, url: str, options: EngineOptions | None = None, *, read_url: str | None = None
    ) -> Database:
        """Engines for ``url`` (writes) and ``read_url`` (reads; default ``url``). SQLite gets
        a second engine for reads either way, whose transactions do not take the write lock."""
        engine = create_engine(url, options)
        if read_url is not None:
            return cls(engine, create_engine(read_url, options, sqlite_immediate=False))
        if sqlite_file(engine.url) is not None:  # not for :memory:, which is per engine
            return cls(engine, create_engine(url, options, sqlite_immediate=False))
        return cls(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        options = EngineOptions.from_settings(settings.database)
        return cls.from_url(database_url(settings), options, read_url=settings.database.read_url)

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``sqlite``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on normal exit, rolls back on an exception."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work: on the replica when one is configured (may lag); on
        SQLite without taking the write lock. Nothing is committed."""
        async with self._read_sessions() as session:
            yield session

    async def ping(self) -> None:
        """Raise if the database cannot run a trivial query (for readiness checks)."""
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def database_url(settings: Settings) -> str:
    """The configured write URL (always set once Settings validated)."""
    url = settings.database.url
    if url is None:  # pragma: no cover - Settings fills it; guards direct construction
        raise ValueError("database.url is not set")
    return url
