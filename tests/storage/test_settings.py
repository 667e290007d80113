"""The storage settings groups: defaults under data_dir, URL validation, placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_assistant.config import BlobBackend, load_settings, normalise_database_url
from compliance_assistant.errors import InputError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("COMPLIANCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_embedded_defaults_live_under_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path}/compliance.db"
    assert settings.database.read_url is None
    assert settings.database.disable_prepared_statements is False
    assert settings.redis.url is None
    assert settings.blob.backend is BlobBackend.LOCAL
    assert settings.blob.local_root == tmp_path / "blobs"
    assert (
        settings.blob.articles_prefix,
        settings.blob.reports_prefix,
        settings.blob.gtc_prefix,
    ) == ("articles/", "reports/", "gtc/")
    assert settings.retention.articles_days == 180


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLIANCE_DATABASE__URL", "postgres://app:s3cret@db:5432/compliance")
    monkeypatch.setenv("COMPLIANCE_DATABASE__DISABLE_PREPARED_STATEMENTS", "true")
    monkeypatch.setenv("COMPLIANCE_REDIS__URL", "rediss://:key@cache:6380/0")
    monkeypatch.setenv("COMPLIANCE_BLOB__BACKEND", "azure")
    monkeypatch.setenv("COMPLIANCE_BLOB__AZURE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    monkeypatch.setenv("COMPLIANCE_RETENTION__ARTICLES_DAYS", "30")
    settings = load_settings()
    assert settings.database.url == "postgresql+psycopg://app:s3cret@db:5432/compliance"
    assert settings.database.disable_prepared_statements is True
    assert settings.redis.url == "rediss://:key@cache:6380/0"
    assert settings.blob.backend is BlobBackend.AZURE
    assert settings.retention.articles_days == 30
    assert "blob.azure_connection_string" in settings.secrets()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"database": {"url": "mysql://u@h/db"}}, "unsupported database driver 'mysql'"),
        ({"database": {"url": "postgresql+asyncpg://u@h/db"}}, "unsupported database driver"),
        ({"database": {"url": "not a url"}}, "is not a database URL"),
        ({"database": {"url": "postgresql:///db"}}, "needs a host"),
        ({"redis": {"url": "http://cache:6379"}}, "is not a Redis URL"),
        ({"blob": {"backend": "azure"}}, "needs blob.azure_connection_string"),
        ({"blob": {"azure_container": "Bad_Name"}}, "not a valid Azure container name"),
        ({"blob": {"reports_prefix": "articles/reports/"}}, "must not nest"),
        ({"blob": {"gtc_prefix": "../gtc/"}}, "must be folder names"),
        (
            {"environment": "production", "database": {"url": "postgresql://u:changeme@h/db"}},
            "placeholder password",
        ),
    ],
)
def test_invalid_storage_settings_are_explained(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_settings(**overrides)


def test_url_spellings_are_normalised() -> None:
    assert normalise_database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
