"""Secrets from Azure Key Vault, enabled by ``COMPLIANCE_KEY_VAULT_URL`` (docs/security.md).

Each secret setting has a fixed Key Vault secret name: ``compliance-<group>--<field>`` with
underscores as dashes (Key Vault names allow only letters, digits and dashes), e.g.
``compliance-api--api-key-pepper`` → ``api.api_key_pepper``. Only the settings listed in
:data:`KEY_VAULT_SETTINGS` are read; a secret missing from the vault leaves the setting to its
other sources. Values set in the environment, a ``.env`` file or code win over the vault, so an
operator can override one value without touching the vault.

The vault is read once per ``Settings`` construction through the :class:`SecretSource` port:
:class:`KeyVaultSecretSource` (azure-keyvault-secrets with ``DefaultAzureCredential``, the
``azure`` extra) in production; tests may swap the factory with :func:`secret_sources`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Protocol

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from pydantic_settings.exceptions import SettingsError

# Dotted settings that may come from the vault: every secret, and the URLs that can carry a
# password.
KEY_VAULT_SETTINGS: tuple[str, ...] = (
    "api.api_key_pepper",
    "llm.api_key",
    "llm.azure_ad_token",
    "gtc.smart_search_api_key",
    "blob.azure_connection_string",
    "database.url",
    "database.read_url",
    "redis.url",
    "pipeline.checkpoint_url",
)


def secret_name(setting: str) -> str:
    """The Key Vault secret name of a dotted setting (``api.api_key_pepper`` →
    ``compliance-api--api-key-pepper``)."""
    group, _, field = setting.partition(".")
    return f"compliance-{group.replace('_', '-')}--{field.replace('_', '-')}"


SECRET_NAMES: dict[str, str] = {secret_name(setting): setting for setting in KEY_VAULT_SETTINGS}


class SecretSource(Protocol):
    """Where secrets are read by name; ``None`` when the store has no such secret."""

    def get(self, name: str) -> str | None: ...

    def close(self) -> None: ...


class InMemorySecretSource:
    """Secrets from a mapping (tests, and tools that already hold the values)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.requested: list[str] = []

    def get(self, name: str) -> str | None:
        self.requested.append(name)
        return self._values.get(name)

    def close(self) -> None:
        return None


class KeyVaultSecretSource:
    """Azure Key Vault through azure-keyvault-secrets; ``DefaultAzureCredential`` (managed
    identity, workload identity, environment, Azure CLI …) unless a credential is given.
    ``client_options`` go to ``SecretClient`` (e.g. ``verify_challenge_resource``)."""

    def __init__(self, vault_url: str, *, credential: Any = None, **client_options: Any) -> None:
        try:
            from azure.keyvault.secrets import SecretClient
        except ImportError as exc:
            raise SettingsError(
                "key_vault_url is set but azure-keyvault-secrets is not installed; "
                "install the 'azure' extra (pip install 'compliance-assistant[azure]')"
            ) from exc
        self._own_credential = credential is None
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self._credential = credential
        self._client = SecretClient(vault_url, credential, **client_options)

    def get(self, name: str) -> str | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            value: str | None = self._client.get_secret(name).value
        except ResourceNotFoundError:
            return None
        return value

    def close(self) -> None:
        self._client.close()
        if self._own_credential:
            self._credential.close()


SecretSourceFactory = Callable[[str], SecretSource]
_factory: ContextVar[SecretSourceFactory] = ContextVar(
    "secret_source_factory", default=KeyVaultSecretSource
)


@contextlib.contextmanager
def secret_sources(factory: SecretSourceFactory) -> Iterator[None]:
    """Open secret sources with ``factory`` (given the vault URL) inside the block."""
    token = _factory.set(factory)
    try:
        yield
    finally:
        _factory.reset(token)


def read_secrets(source: SecretSource) -> dict[str, dict[str, str]]:
    """The vault's values as nested settings (``{"api": {"api_key_pepper": …}}``)."""
    found: dict[str, dict[str, str]] = {}
    for name, setting in SECRET_NAMES.items():
        value = source.get(name)
        if value is not None:
            group, _, field = setting.partition(".")
            found.setdefault(group, {})[field] = value
    return found


class KeyVaultSettingsSource(PydanticBaseSettingsSource):
    """A pydantic-settings source below the environment and ``.env``: it sees their
    ``key_vault_url`` and fills only what they leave unset (the merge is per field)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)

    def get_field_value(
        self,
        field: FieldInfo,  # noqa: ARG002 - the abstract signature
        field_name: str,
    ) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        url = self.current_state.get("key_vault_url")
        if not url:
            return {}
        vault_url = str(url)
        try:
            source = _factory.get()(vault_url)
        except SettingsError:
            raise
        except Exception as exc:
            raise SettingsError(f"cannot open Key Vault {vault_url}: {_summary(exc)}") from None
        try:
            return read_secrets(source)
        except Exception as exc:
            raise SettingsError(
                f"cannot read secrets from Key Vault {vault_url}: {_summary(exc)}"
            ) from None
        finally:
            source.close()


def _summary(exc: Exception) -> str:
    """The error's type and first line: a failed read holds no secret value, and the SDK's
    message names the vault's reason (e.g. a missing permission)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
