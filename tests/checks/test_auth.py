"""When API keys are required, where the pepper comes from, how keys are presented."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_assistant.api.auth import (
    auth_required,
    is_loopback,
    resolve_pepper,
)
from compliance_assistant.config import Settings
from compliance_assistant.errors import InputError


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.5", "::", "example.com"))


def test_keys_required_in_production_or_on_a_public_bind(tmp_path: Path) -> None:
    assert not auth_required(Settings(data_dir=tmp_path))
    assert auth_required(Settings(data_dir=tmp_path, api={"host": "0.0.0.0"}))
    assert auth_required(Settings(data_dir=tmp_path, api={"require_api_keys": True}))
    assert auth_required(
        Settings(data_dir=tmp_path, environment="production", api={"api_key_pepper": "p" * 32})
    )


def test_pepper_is_generated_once_in_development_and_required_elsewhere(tmp_path: Path) -> None:
    first = resolve_pepper(Settings(data_dir=tmp_path))
    assert len(first) >= 32
    assert resolve_pepper(Settings(data_dir=tmp_path)) == first
    assert (tmp_path / "api-key-pepper").stat().st_mode & 0o777 == 0o600
    with pytest.raises(InputError, match="PEPPER"):
        resolve_pepper(Settings(data_dir=tmp_path, environment="production"))
    with pytest.raises(InputError, match="16"):
        resolve_pepper(Settings(data_dir=tmp_path, api={"api_key_pepper": "short-pepper"}))
