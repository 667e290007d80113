"""`compliance apikey create | list | revoke | rotate`: API keys for services, per tenant.

The key is printed once, at creation or rotation; only its hash (HMAC with the server pepper,
``COMPLIANCE_API__API_KEY_PEPPER``) is stored. Each change is written to the audit log in
the same transaction, with the operating-system user as the actor.
"""

from __future__ import annotations

import asyncio
import getpass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from compliance_assistant.cli.common import fail, settings, stderr, user_errors
from compliance_assistant.config import Settings

if TYPE_CHECKING:
    from compliance_assistant.storage.db import Database
    from compliance_assistant.storage.db.api_keys import ApiKeyRecord

app = typer.Typer(help="Create, list, revoke and rotate API keys.", no_args_is_help=True)
out = Console(highlight=False)


class RoleChoice(StrEnum):
    WRITER = "writer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant id the key acts for.")]
KeyIdArgument = Annotated[str, typer.Argument(help="The key's id (from `apikey list`).")]


def _actor() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli"


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
    from compliance_assistant.audit import log as audit
    from compliance_assistant.storage.db import api_keys

    config = settings()
    if not tenant.strip() or "\n" in tenant:
        raise fail("--tenant must be a non-empty single-line id")
    if not name.strip():
        raise fail("--name must not be empty")
    roles = sorted({r.value for r in (role or [RoleChoice.WRITER])})
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
                audit.record(
                    session,
                    tenant_id=record.tenant_id,
                    actor=_actor(),
                    action=audit.API_KEY_CREATED,
                    target=record.id,
                    details=_audit_details(record),
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
                _when(r.created_at),
                _when(r.expires_at, "never"),
                _when(r.last_used_at, "never"),
                _when(r.revoked_at, "-"),
                "active" if r.usable_at(now) else ("revoked" if r.revoked_at else "expired"),
                r.id,
            )
            for r in records
        ]

    table = Table("name", "key", "roles", "created", "expires", "last used", "revoked", "state")
    # The id is what `revoke` takes: never shortened, whatever the terminal width.
    table.add_column("id", no_wrap=True, min_width=36)
    for row in asyncio.run(run()):
        table.add_row(*row)
    out.print(table)


@app.command("revoke")
@user_errors
def revoke(tenant: TenantOption, key_id: KeyIdArgument) -> None:
    """Revoke a key; API replicas stop accepting it within api.auth_cache_seconds."""
    from compliance_assistant.audit import log as audit
    from compliance_assistant.storage.db import api_keys

    config = settings()

    async def run() -> bool:
        database = await _open(config)
        try:
            async with database.session() as session:
                revoked = await api_keys.revoke(session, tenant, key_id, now=datetime.now(UTC))
                if revoked:
                    audit.record(
                        session,
                        tenant_id=tenant,
                        actor=_actor(),
                        action=audit.API_KEY_REVOKED,
                        target=key_id,
                    )
                return revoked
        finally:
            await database.dispose()

    if not asyncio.run(run()):
        raise fail(f"no active key {key_id} for tenant '{tenant}'")
    stderr.print(f"Revoked API key {key_id}.")


@app.command("rotate")
@user_errors
def rotate(
    tenant: TenantOption,
    key_id: KeyIdArgument,
    expires_days: Annotated[
        int | None,
        typer.Option(
            "--expires-days", min=1, help="Expire after N days (default: the old key's lifetime)."
        ),
    ] = None,
) -> None:
    """Replace a key: a new secret with the same name and roles, printed once; the old key is
    revoked at the same moment."""
    from compliance_assistant.api.auth import resolve_pepper
    from compliance_assistant.audit import log as audit
    from compliance_assistant.storage.db import api_keys
    from compliance_assistant.storage.db.api_keys import KEEP_LIFETIME

    config = settings()
    pepper = resolve_pepper(config)

    async def run() -> tuple[ApiKeyRecord, str] | None:
        database = await _open(config)
        now = datetime.now(UTC)
        expires = now + timedelta(days=expires_days) if expires_days else KEEP_LIFETIME
        try:
            async with database.session() as session:
                rotated = await api_keys.rotate(
                    session, tenant, key_id, pepper=pepper, now=now, expires_at=expires
                )
                if rotated is not None:
                    audit.record(
                        session,
                        tenant_id=tenant,
                        actor=_actor(),
                        action=audit.API_KEY_ROTATED,
                        target=rotated[0].id,
                        details={"replaces": key_id, **_audit_details(rotated[0])},
                    )
                return rotated
        finally:
            await database.dispose()

    rotated = asyncio.run(run())
    if rotated is None:
        raise fail(f"no active key {key_id} for tenant '{tenant}'")
    record, key = rotated
    stderr.print(
        f"Rotated API key {key_id}: it is revoked; the new key {record.id} "
        f"({', '.join(record.roles)}) is shown once; store it now:"
    )
    typer.echo(key)


def _when(value: datetime | None, missing: str = "") -> str:
    return value.isoformat(timespec="seconds") if value is not None else missing


def _audit_details(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "prefix": record.prefix,
        "roles": list(record.roles),
        "expires_at": _when(record.expires_at) or None,
    }
