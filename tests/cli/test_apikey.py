"""`compliance apikey create | list | revoke | rotate` against the embedded database: keys
shown once, the list's columns, rotation (new secret, same name and roles, old key revoked),
the audit trail, and last-used times written at most once a minute."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from compliance_assistant.audit import log as audit
from compliance_assistant.cli.main import app
from compliance_assistant.config import load_settings
from compliance_assistant.storage.db import Database, api_keys
from compliance_assistant.storage.db.api_keys import ApiKeyRecord
from compliance_assistant.storage.db.models import AuditEvent

runner = CliRunner()
KEY = re.compile(r"^ca_[a-z0-9]{12}_\S+$")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("COMPLIANCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMPLIANCE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "250")


def _create(*args: str) -> str:
    result = runner.invoke(app, ["apikey", "create", "--tenant", "acme", *args])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert KEY.match(key), key
    return key


def _records() -> list[ApiKeyRecord]:
    async def run() -> list[ApiKeyRecord]:
        database = Database.from_settings(load_settings())
        try:
            async with database.read_session() as session:
                return await api_keys.list_keys(session, "acme")
        finally:
            await database.dispose()

    return asyncio.run(run())


def _audit() -> list[tuple[str, str, str | None, dict[str, object]]]:
    async def run() -> list[tuple[str, str, str | None, dict[str, object]]]:
        database = Database.from_settings(load_settings())
        try:
            async with database.read_session() as session:
                rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
                return [(r.tenant_id, r.action, r.target, dict(r.details)) for r in rows]
        finally:
            await database.dispose()

    return asyncio.run(run())


def test_list_shows_roles_dates_use_and_state() -> None:
    _create("--name", "ci", "--role", "writer", "--role", "reviewer", "--expires-days", "30")
    _create("--name", "forever")
    listed = runner.invoke(app, ["apikey", "list", "--tenant", "acme"])
    assert listed.exit_code == 0, listed.output
    header = listed.output.splitlines()[1]
    for column in ("name", "key", "roles", "created", "expires", "last used", "revoked", "state"):
        assert column in header, header
    ci = next(line for line in listed.output.splitlines() if " ci " in line)
    assert "reviewer, writer" in ci
    assert "never" in ci  # not used yet
    assert "active" in ci
    expires = next(r for r in _records() if r.name == "ci").expires_at
    assert expires is not None
    assert expires.date().isoformat() in ci
    assert expires - datetime.now(UTC) > timedelta(days=29)


def test_rotate_replaces_the_secret_and_revokes_the_old_key() -> None:
    old_key = _create("--name", "word-addin", "--role", "writer", "--expires-days", "10")
    (old,) = _records()
    rotated = runner.invoke(app, ["apikey", "rotate", "--tenant", "acme", old.id])
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert KEY.match(new_key)
    assert new_key != old_key
    assert "shown once" in rotated.output
    by_id = {r.id: r for r in _records()}
    assert len(by_id) == 2
    assert by_id[old.id].revoked_at is not None
    (new,) = (r for r in by_id.values() if r.id != old.id)
    assert (new.name, new.roles, new.revoked_at) == ("word-addin", ("writer",), None)
    # Same lifetime as the old key, counted from the rotation.
    assert new.expires_at is not None
    assert abs((new.expires_at - new.created_at) - timedelta(days=10)) < timedelta(seconds=5)
    # The old key no longer authenticates; the new one does.
    assert _authenticates(old_key) is None
    found = _authenticates(new_key)
    assert found is not None
    assert found.id == new.id
    # A revoked key cannot be rotated again.
    again = runner.invoke(app, ["apikey", "rotate", "--tenant", "acme", old.id])
    assert again.exit_code == 2
    assert "no active key" in again.output
    # Nor can another tenant's key be rotated through a wrong --tenant.
    other = runner.invoke(app, ["apikey", "rotate", "--tenant", "globex", new.id])
    assert other.exit_code == 2


def test_create_revoke_and_rotate_are_audited() -> None:
    _create("--name", "svc", "--role", "admin")
    (first,) = _records()
    rotated = runner.invoke(
        app, ["apikey", "rotate", "--tenant", "acme", first.id, "--expires-days", "5"]
    )
    assert rotated.exit_code == 0, rotated.output
    (second,) = (r for r in _records() if r.id != first.id)
    revoked = runner.invoke(app, ["apikey", "revoke", "--tenant", "acme", second.id])
    assert revoked.exit_code == 0, revoked.output
    events = _audit()
    assert [(tenant, action, target) for tenant, action, target, _ in events] == [
        ("acme", audit.API_KEY_CREATED, first.id),
        ("acme", audit.API_KEY_ROTATED, second.id),
        ("acme", audit.API_KEY_REVOKED, second.id),
    ]
    created_details, rotated_details = events[0][3], events[1][3]
    assert created_details["roles"] == ["admin"]
    assert rotated_details["replaces"] == first.id
    # The secret itself is never written anywhere but the terminal.
    assert all(second.key_hash not in str(details) for *_, details in events)


def test_last_used_is_recorded_at_most_once_a_minute() -> None:
    key = _create("--name", "poller")
    start = datetime.now(UTC)
    assert _authenticates(key, now=start) is not None
    assert _last_used() == start
    assert _authenticates(key, now=start + timedelta(seconds=59)) is not None
    assert _last_used() == start  # not written again within the minute
    later = start + timedelta(seconds=61)
    assert _authenticates(key, now=later) is not None
    assert _last_used() == later
    listed = runner.invoke(app, ["apikey", "list", "--tenant", "acme"])
    assert later.isoformat(timespec="seconds") in listed.output


def _last_used() -> datetime | None:
    (record,) = _records()
    return record.last_used_at


def _authenticates(key: str, *, now: datetime | None = None) -> ApiKeyRecord | None:
    from compliance_assistant.api.auth import resolve_pepper

    settings = load_settings()

    async def run() -> ApiKeyRecord | None:
        database = Database.from_settings(settings)
        try:
            async with database.session() as session:
                return await api_keys.authenticate(
                    session, key, pepper=resolve_pepper(settings), now=now or datetime.now(UTC)
                )
        finally:
            await database.dispose()

    return asyncio.run(run())
