"""`compliance migrate`: bring the configured database to the current schema."""

from __future__ import annotations

from typing import Annotated

import typer

from compliance_assistant.cli.common import settings, stderr, user_errors


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return f"{scheme}{sep}{userinfo}{at}{host}"


@user_errors
def migrate(
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations (application schema and, on PostgreSQL, Procrastinate's).

    Safe to run from several replicas at once: on PostgreSQL the upgrade holds a lock.
    """
    from compliance_assistant.storage.db.engine import database_url
    from compliance_assistant.storage.db.migrate import migrate_sync

    url = database_url(settings())
    migrate_sync(url, revision=revision)
    stderr.print(f"Database {_safe(url)} is at revision {revision}.")
