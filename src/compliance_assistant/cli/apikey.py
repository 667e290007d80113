"""`compliance apikey create | list | revoke`: API keys for services, per tenant.

The key is printed once, at creation; only its hash (HMAC with the server pepper,
``COMPLIANCE_API__API_KEY_PEPPER``) is stored.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from compliance_assistant.cli.common import fail, settings, stderr, user_errors
from compliance_assistant.config import Settings

if TYPE_CHECKING:
    from compliance_assistant.storage.db import Database

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
out = Console(highlight=False)


class RoleChoice(StrEnum):
    WRITER = "writer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant id the key acts for.")]


async def _open(config: Settings) -> Database:
    from compliance_assistant.storage.db import Database
    from compliance_assistant.storage.db.migrate import migrate

    url = config.database.url or ""
    if url.startswith("sqlite"):
        await migrate(url)  # embedded mode keeps its own database current
    return Database.from_settings(config)


@app.command("create")
@user_errors
def create(
    tenant: TenantOption,
    name: Annotated[str, typer.Option("--name", help="What the key is for (shown in lists).")],
    role: Annotated[
        list[RoleChoice] | None,
        typer.Option("--role", help="writer (default), reviewer or admin; repeatable."),
    ] = None,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Expire after N days.")
    ] = None,
) -> None:
    """Create a key and print it once (store it now: it cannot be shown again)."""
    from compliance_assistant.api.auth import resolve_pepper
    from compliance_assistant.storage.db import api_keys

    config = settings()
    if not tenant.strip() or "\n" in tenant:
        raise fail("--tenant must be a non-empty single-line id")
    roles = [r.value for r in (role or [RoleChoice.WRITER])]
    pepper = resolve_pepper(config)

    async def run() -> tuple[str, str]:
        database = await _open(config)
        now = datetime.now(UTC)
        expires = now + timedelta(days=expires_days) if expires_days else None
        try:
            async with database.session() as session:
                record, key = await api_keys.create(
                    session,
                    tenant.strip(),
                    name=name,
                    roles=roles,
                    pepper=pepper,
                    now=now,
                    expires_at=expires,
                )
        finally:
            await database.dispose()
        return record.id, key

    key_id, key = asyncio.run(run())
    stderr.print(
        f"Created API key {key_id} for tenant '{tenant}' ({', '.join(roles)}). "
        "It is shown once; store it now:"
    )
    typer.echo(key)


@app.command("list")
@user_errors
def list_keys(tenant: TenantOption) -> None:
    """List the tenant's keys (never the keys themselves)."""
    from compliance_assistant.storage.db import api_keys

    config = settings()

    async def run() -> list[tuple[str, ...]]:
        database = await _open(config)
        try:
            async with database.read_session() as session:
                records = await api_keys.list_keys(session, tenant)
        finally:
            await database.dispose()
        now = datetime.now(UTC)
        return [
            (
                r.name,
                f"ca_{r.prefix}_…",
                ", ".join(r.roles),
                r.created_at.isoformat(timespec="seconds"),
                r.last_used_at.isoformat(timespec="seconds") if r.last_used_at else "never",
                "active" if r.usable_at(now) else ("revoked" if r.revoked_at else "expired"),
                r.id,
            )
            for r in records
        ]

    table = Table("name", "key", "roles", "created", "last used", "state")
    # The id is what `revoke` takes: never shortened, whatever the terminal width.
    table.add_column("id", no_wrap=True, min_width=36)
    for row in asyncio.run(run()):
        table.add_row(*row)
    out.print(table)


@app.command("revoke")
@user_errors
def revoke(
    tenant: TenantOption,
    key_id: Annotated[str, typer.Argument(help="The key's id (from `apikey list`).")],
) -> None:
    """Revoke a key; API replicas stop accepting it within api.auth_cache_seconds."""
    from compliance_assistant.storage.db import api_keys

    config = settings()

    async def run() -> bool:
        database = await _open(config)
        try:
            async with database.session() as session:
                return await api_keys.revoke(session, tenant, key_id, now=datetime.now(UTC))
        finally:
            await database.dispose()

    if not asyncio.run(run()):
        raise fail(f"no active key {key_id} for tenant '{tenant}'")
    stderr.print(f"Revoked API key {key_id}.")
