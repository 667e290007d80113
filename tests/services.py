"""Fixtures for the real services the tests run against: PostgreSQL, Redis and Azurite.

Import the fixtures into a conftest (``from tests.services import postgres_url, ...``).
Each is session-scoped and isolated from other runs and from other xdist workers:
PostgreSQL gets a fresh database per session (dropped at the end), Redis a random key prefix
in its own logical DB (keys deleted at the end), Azurite its own process on a free port.

When a service is unreachable: with ``CI=true`` the fixture FAILS (a green CI must mean the
tests ran); otherwise it skips, so a laptop without Redis can still run the rest.

Environment overrides: ``COMPLIANCE_TEST_POSTGRES`` (admin DSN, default
``postgresql://postgres@127.0.0.1:5432/test``), ``COMPLIANCE_TEST_REDIS`` (default
``redis://127.0.0.1:6379/15``), ``COMPLIANCE_TEST_AZURITE`` (path of ``azurite-blob``,
default ``.tools/node_modules/.bin/azurite-blob`` under the repository root).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
DEFAULT_AZURITE = REPO_ROOT / ".tools" / "node_modules" / ".bin" / "azurite-blob"
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's fixed, publicly documented development key (not a secret).
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(service: str, reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere."""
    message = f"{service} is not available: {reason}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: real services are required)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    host: str, port: int, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> bool:
    """True once ``host:port`` accepts connections; False on timeout or if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return True
        time.sleep(0.05)
    return False


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


@contextlib.contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL (``postgresql+psycopg://``), drop
    it afterwards (even with connections still open)."""
    import psycopg

    admin = os.environ.get("COMPLIANCE_TEST_POSTGRES", DEFAULT_POSTGRES)
    name = f"compliance_test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", f"{admin}: {exc}")
    url = _with_database(admin, name).replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL of a fresh, empty PostgreSQL database for this session."""
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of a reachable Redis (a logical DB reserved for tests)."""
    import redis

    url = os.environ.get("COMPLIANCE_TEST_REDIS", DEFAULT_REDIS)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", f"{url}: {exc}")
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def redis_key_prefix(redis_url: str) -> Iterator[str]:
    """A prefix unique to this session; every key under it is deleted at the end."""
    import redis

    prefix = f"test:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def azurite_connection_string(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Connection string of an Azurite blob service started for this session."""
    binary = Path(os.environ.get("COMPLIANCE_TEST_AZURITE", DEFAULT_AZURITE))
    if not binary.exists():
        unavailable(
            "Azurite",
            f"{binary} not found; install it with "
            f"`npm install --prefix {REPO_ROOT / '.tools'} azurite`",
        )
    if shutil.which("node") is None:
        unavailable("Azurite", "node is not on PATH")
    port = free_port()
    workspace = tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [
            str(binary),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--inMemoryPersistence",
        ],
        cwd=workspace,  # in case Azurite writes anything despite in-memory persistence
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if not wait_for_port("127.0.0.1", port, timeout=20, process=process):
            process.terminate()
            _, err = process.communicate(timeout=5)
            unavailable("Azurite", f"did not listen on port {port}: {err.decode()[-500:]}")
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
