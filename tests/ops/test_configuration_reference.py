"""docs/configuration.md is generated from the settings model: fresh, complete, and naming
the environment variables and Key Vault secrets the code really reads."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compliance_assistant.config import Settings
from compliance_assistant.config_secrets import KEY_VAULT_SETTINGS, secret_name
from tests.ops.promql import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "settings_reference.py"
REFERENCE = REPO_ROOT / "docs" / "configuration.md"


@cache
def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_reference", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: its dataclasses resolve their annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _value(settings: Settings, dotted: str) -> Any:
    value: Any = settings
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No COMPLIANCE_* variable or .env file of the machine may decide what is read."""
    for name in [name for name in os.environ if name.startswith("COMPLIANCE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMPLIANCE_DATA_DIR", str(tmp_path))


def test_the_committed_reference_is_what_the_script_writes() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == _generator().render(), (
        "docs/configuration.md is stale: run .venv/bin/python scripts/settings_reference.py"
    )


def test_every_setting_has_a_description() -> None:
    missing = _generator().missing_descriptions()
    assert not missing, (
        f"settings without a description (a '#' comment above the field in config.py): {missing}"
    )


def test_the_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("# Configuration reference\n\nhand-edited\n", encoding="utf-8")
    command = [sys.executable, str(SCRIPT), "--check", "--output", str(stale)]
    failed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode == 1
    assert "stale" in failed.stderr
    written = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(stale)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert written.returncode == 0, written.stderr
    passed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert passed.returncode == 0, passed.stderr


def test_one_row_per_leaf_setting_with_its_key_vault_name() -> None:
    rows = {row.dotted: row for row in _generator().settings_rows()}
    assert len(rows) == len(_generator().settings_rows())  # no setting twice
    for dotted in ("environment", "llm.api_key", "api.oidc.leeway_seconds", "worker.queue_name"):
        assert dotted in rows, dotted
    assert "api.oidc" not in rows  # a group is a section, not a row
    vault = {dotted: row.key_vault for dotted, row in rows.items() if row.key_vault}
    assert vault == {dotted: secret_name(dotted) for dotted in KEY_VAULT_SETTINGS}
    # Every secret of the model can come from the vault (and is therefore listed there).
    secrets = set(Settings(data_dir=Path("/nonexistent")).secrets())
    assert secrets <= set(vault)
    assert {dotted for dotted, row in rows.items() if row.type.startswith("secret")} == secrets
    text = REFERENCE.read_text(encoding="utf-8")
    assert "`COMPLIANCE_API__OIDC__LEEWAY_SECONDS`" in text
    assert "`compliance-api--api-key-pepper`" in text


def test_each_documented_variable_is_the_one_the_settings_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every numeric and boolean setting, set through its documented variable alone, changes
    exactly that setting (strings need per-setting valid values; their names follow the same
    rule, which the nested and top-level samples above pin down)."""
    _clean_environment(monkeypatch, tmp_path)
    defaults = Settings()
    probed = 0
    for row in _generator().settings_rows():
        default = _value(defaults, row.dotted)
        if isinstance(default, bool):
            changed: Any = not default
        elif isinstance(default, int | float):
            changed = default + 1
            if "≤" in row.constraints and changed > float(row.constraints.split("≤ ")[1]):
                changed = default / 2
        else:
            continue
        monkeypatch.setenv(row.env_var, str(changed).lower())
        try:
            assert _value(Settings(), row.dotted) == changed, row.env_var
        finally:
            monkeypatch.delenv(row.env_var)
        probed += 1
    assert probed > 60
