"""`compliance serve | api | worker`: the service's run modes (docs/service.md).

* ``serve`` — embedded: API and worker in one process, SQLite and local files by default,
  migrates itself; binds 127.0.0.1 unless told otherwise, and refuses a non-loopback address
  while no API key exists.
* ``api`` — production API replica (PostgreSQL, Redis, Azure Blob); jobs go to Procrastinate.
* ``worker`` — production worker replica; runs jobs until SIGINT/SIGTERM.

Heavy imports (FastAPI, Procrastinate, LangGraph) happen inside the commands, so other
commands start fast.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from compliance_assistant.cli.common import fail, settings, user_errors
from compliance_assistant.config import Settings


def configure_logging(config: Settings, component: str = "serve") -> None:
    """Logs (structlog: JSON in production, console otherwise) and traces (OTLP when
    configured) for this process; docs/observability.md."""
    from compliance_assistant.observability.logging import configure_logging as configure_logs
    from compliance_assistant.observability.tracing import configure_tracing

    configure_logs(config)
    configure_tracing(config, component=component)


def _prepare_metrics_dir() -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR before the server processes start (multiprocess mode)."""
    from compliance_assistant.observability.exposition import prepare_multiprocess_dir

    prepare_multiprocess_dir()


def _with_bind(config: Settings, host: str | None, port: int | None) -> Settings:
    api = config.api.model_copy(
        update={"host": host or config.api.host, "port": config.api.port if port is None else port}
    )
    return config.model_copy(update={"api": api})


def _require_postgres(config: Settings, command: str) -> None:
    if not (config.database.url or "").startswith("postgresql"):
        raise fail(
            f"`compliance {command}` is the production mode and needs PostgreSQL: set "
            "COMPLIANCE_DATABASE__URL=postgresql+psycopg://user:password@host:5432/db "
            "(and run `compliance migrate`). For the embedded mode use `compliance serve`."
        )


async def _has_api_keys(config: Settings) -> bool:
    from sqlalchemy import select

    from compliance_assistant.storage.db import Database
    from compliance_assistant.storage.db.migrate import migrate
    from compliance_assistant.storage.db.models import ApiKey

    if config.database.url is None:  # pragma: no cover - Settings always fills it
        return False
    await migrate(config.database.url)
    database = Database.from_settings(config)
    try:
        async with database.read_session() as session:
            found = await session.scalar(
                select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)
            )
    finally:
        await database.dispose()
    return found is not None


HostOption = Annotated[
    str | None,
    typer.Option("--host", help="Address to bind. Default: api.host (127.0.0.1)."),
]
PortOption = Annotated[
    int | None, typer.Option("--port", help="Port to bind. Default: api.port (8000).")
]
TlsCert = Annotated[
    Path | None,
    typer.Option(
        "--tls-cert", help="PEM certificate: serve HTTPS (Office add-ins need it; docs/addin.md)."
    ),
]
TlsKey = Annotated[Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert.")]
AccessLog = Annotated[
    bool, typer.Option("--access-log/--no-access-log", help="Log every request (uvicorn).")
]


@user_errors
def serve(
    host: HostOption = None,
    port: PortOption = None,
    access_log: AccessLog = True,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
) -> None:
    """Run the API and a worker in one process (embedded mode, no other service needed)."""
    import uvicorn

    tls = _tls_options(tls_cert, tls_key)

    from compliance_assistant.api.app import create_app
    from compliance_assistant.api.auth import is_loopback

    config = _with_bind(settings(), host, port)
    configure_logging(config)
    # A public address needs a way to sign in: OIDC, or at least one API key.
    signs_in = config.api.oidc.enabled or asyncio.run(_has_api_keys(config))
    if not is_loopback(config.api.host) and not signs_in:
        raise fail(
            f"refusing to listen on {config.api.host}: a non-loopback address needs sign-in "
            "(OIDC: COMPLIANCE_API__OIDC__ISSUER, or an API key), and neither exists. Create a "
            "key with `compliance apikey create --tenant T --name N`, or bind 127.0.0.1."
        )
    app = create_app(config, mode="embedded")
    uvicorn.run(
        app,
        host=config.api.host,
        port=config.api.port,
        log_level=config.log_level.lower(),
        log_config=None,  # uvicorn's records go through our handler (configure_logging)
        access_log=access_log,
        timeout_graceful_shutdown=int(config.worker.shutdown_grace_seconds) + 5,
        ssl_certfile=tls[0],
        ssl_keyfile=tls[1],
    )


@user_errors
def api(
    host: HostOption = None,
    port: PortOption = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Server processes in this container.")
    ] = 1,
    access_log: AccessLog = True,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
) -> None:
    """Run a production API replica (PostgreSQL + Redis + Azure Blob); run any number."""
    import uvicorn

    tls = _tls_options(tls_cert, tls_key)

    config = _with_bind(settings(), host, port)
    _require_postgres(config, "api")
    configure_logging(config, "api")
    _prepare_metrics_dir()
    # Each server process builds its app from the environment: pass the bind on.
    os.environ["COMPLIANCE_API__HOST"] = config.api.host
    os.environ["COMPLIANCE_API__PORT"] = str(config.api.port)
    uvicorn.run(
        "compliance_assistant.api.asgi:create_production_app",
        factory=True,
        host=config.api.host,
        port=config.api.port,
        workers=workers,
        log_level=config.log_level.lower(),
        log_config=None,  # uvicorn's records go through our handler (configure_logging)
        access_log=access_log,
        proxy_headers=True,
        ssl_certfile=tls[0],
        ssl_keyfile=tls[1],
    )


def _tls_options(cert: Path | None, key: Path | None) -> tuple[str | None, str | None]:
    """uvicorn's certificate and key files; both are required together and must exist."""
    if cert is None and key is None:
        return None, None
    if cert is None or key is None:
        raise fail("--tls-cert and --tls-key go together: give both PEM files.")
    for path in (cert, key):
        if not path.is_file():
            raise fail(f"{path}: no such file.")
    return str(cert), str(key)


@user_errors
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, help="Jobs at once. Default: worker.concurrency."),
    ] = None,
) -> None:
    """Run a production worker replica; run any number (each runs --concurrency jobs)."""
    from compliance_assistant.worker.production import run_worker

    config = settings()
    _require_postgres(config, "worker")
    if concurrency is not None:
        config = config.model_copy(
            update={"worker": config.worker.model_copy(update={"concurrency": concurrency})}
        )
    configure_logging(config, "worker")
    _prepare_metrics_dir()
    try:
        asyncio.run(run_worker(config))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
