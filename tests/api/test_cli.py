"""The service commands: `migrate`, `apikey create|list|revoke`, and the refusals of
`serve`, `api` and `worker` when their mode's requirements are not met."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compliance_assistant.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("COMPLIANCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMPLIANCE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")


def test_migrate_and_api_key_lifecycle(tmp_path: Path) -> None:
    migrated = runner.invoke(app, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert "compliance.db" in migrated.output
    created = runner.invoke(
        app, ["apikey", "create", "--tenant", "acme", "--name", "ci", "--role", "writer"]
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("ca_")
    assert (tmp_path / "data" / "api-key-pepper").exists()
    listed = runner.invoke(app, ["apikey", "list", "--tenant", "acme"])
    assert listed.exit_code == 0
    assert "ci" in listed.output
    assert "active" in listed.output
    assert key not in listed.output
    key_id = next(
        line.split("│")[-2].strip() for line in listed.output.splitlines() if "ci" in line
    )
    revoked = runner.invoke(app, ["apikey", "revoke", "--tenant", "acme", key_id])
    assert revoked.exit_code == 0, revoked.output
    again = runner.invoke(app, ["apikey", "revoke", "--tenant", "acme", key_id])
    assert again.exit_code == 2
    assert "revoked" in runner.invoke(app, ["apikey", "list", "--tenant", "acme"]).output


def test_serve_refuses_a_public_address_without_api_keys() -> None:
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0" in result.output
    assert "apikey create" in result.output


def test_serve_accepts_a_public_address_when_oidc_signs_people_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    served: list[dict[str, object]] = []
    # Starting a real server would block the test; what matters is that serve gets that far.
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    monkeypatch.setenv("COMPLIANCE_API__OIDC__ISSUER", "https://login.example.com/tenant/v2.0")
    monkeypatch.setenv("COMPLIANCE_API__OIDC__AUDIENCE", '["api://compliance"]')
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    assert served[0]["host"] == "0.0.0.0"


def test_production_commands_need_postgresql() -> None:
    for command in ("api", "worker"):
        result = runner.invoke(app, [command])
        assert result.exit_code == 2, result.output
        assert "needs PostgreSQL" in result.output
