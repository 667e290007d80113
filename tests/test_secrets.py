"""Secrets from Azure Key Vault: the name mapping, and loading settings from a local HTTPS
server that speaks the Key Vault secrets REST API (challenge, bearer token, GET
/secrets/{name}) to the real azure-keyvault-secrets client. Only the credential is a local
one: Entra ID is the one external service here. Environment values win over the vault.

The SDK insists on HTTPS, so the local vault serves TLS with a certificate made for the test
(trusted through ``REQUESTS_CA_BUNDLE``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import secrets
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from compliance_assistant.config import Settings, load_settings
from compliance_assistant.config_secrets import (
    KEY_VAULT_SETTINGS,
    SECRET_NAMES,
    InMemorySecretSource,
    KeyVaultSecretSource,
    read_secrets,
    secret_name,
    secret_sources,
)
from compliance_assistant.errors import InputError

TOKEN = "local-entra-token-" + secrets.token_hex(8)


def test_secret_names_follow_the_documented_mapping() -> None:
    assert secret_name("api.api_key_pepper") == "compliance-api--api-key-pepper"
    assert SECRET_NAMES["compliance-llm--api-key"] == "llm.api_key"
    assert SECRET_NAMES["compliance-gtc--smart-search-api-key"] == "gtc.smart_search_api_key"
    assert SECRET_NAMES["compliance-database--url"] == "database.url"
    assert SECRET_NAMES["compliance-blob--azure-connection-string"] == (
        "blob.azure_connection_string"
    )
    for name in SECRET_NAMES:
        # Key Vault's rule for secret names.
        assert re.fullmatch(r"[0-9A-Za-z-]{1,127}", name), name
    assert len(SECRET_NAMES) == len(KEY_VAULT_SETTINGS)
    # Every secret setting can come from the vault (a new one must be added to the list).
    assert set(Settings().secrets()) <= set(KEY_VAULT_SETTINGS)


def test_read_secrets_nests_what_the_source_has() -> None:
    source = InMemorySecretSource(
        {"compliance-api--api-key-pepper": "p" * 20, "compliance-redis--url": "redis://h:6379/0"}
    )
    assert read_secrets(source) == {
        "api": {"api_key_pepper": "p" * 20},
        "redis": {"url": "redis://h:6379/0"},
    }
    assert sorted(source.requested) == sorted(SECRET_NAMES)


# -- a local Key Vault -------------------------------------------------------------------


@dataclass
class LocalKeyVault:
    url: str
    ca_file: Path
    secrets: dict[str, str] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    requests: list[tuple[str, str | None]] = field(default_factory=list)


class StaticCredential:
    """An azure-core TokenCredential handing out a fixed token (no Entra ID here)."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_options: Any) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)

    def close(self) -> None:
        return None


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "vault.pem", folder / "vault-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _handler(vault: LocalKeyVault) -> type[BaseHTTPRequestHandler]:
    class KeyVaultHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            self.requests_append(auth)
            match = re.fullmatch(r"/secrets/([0-9A-Za-z-]+)/?", self.path.split("?", 1)[0])
            if "api-version=" not in self.path or match is None:
                self.reply(400, {"error": {"code": "BadParameter", "message": "bad request"}})
            elif auth is None:
                # Key Vault's challenge: the client then asks its credential for a token.
                self.reply(
                    401,
                    {"error": {"code": "Unauthorized", "message": "token required"}},
                    {
                        "WWW-Authenticate": 'Bearer authorization="https://login.invalid/'
                        f'tenant-1", resource="{vault.url}"'
                    },
                )
            elif auth != f"Bearer {TOKEN}":
                self.reply(401, {"error": {"code": "Unauthorized", "message": "bad token"}})
            elif match.group(1) in vault.forbidden:
                self.reply(403, {"error": {"code": "Forbidden", "message": "no get permission"}})
            elif match.group(1) not in vault.secrets:
                self.reply(404, {"error": {"code": "SecretNotFound", "message": "not found"}})
            else:
                name = match.group(1)
                self.reply(
                    200,
                    {
                        "value": vault.secrets[name],
                        "id": f"{vault.url}/secrets/{name}/0123456789abcdef",
                        "attributes": {"enabled": True},
                    },
                )

        def requests_append(self, auth: str | None) -> None:
            vault.requests.append((self.path, auth))

        def reply(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            return None

    return KeyVaultHandler


@pytest.fixture
def local_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalKeyVault]:
    cert_file, key_file = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    vault = LocalKeyVault(url=f"https://127.0.0.1:{server.server_address[1]}", ca_file=cert_file)
    server.RequestHandlerClass = _handler(vault)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The SDK's HTTP transport (requests) trusts this CA through the standard variable.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    monkeypatch.setenv("COMPLIANCE_KEY_VAULT_URL", vault.url)
    for name in ("COMPLIANCE_LLM__API_KEY", "COMPLIANCE_API__API_KEY_PEPPER"):
        monkeypatch.delenv(name, raising=False)
    credential = StaticCredential()
    # The SDK checks that the vault is a subdomain of the challenge's resource (as in
    # name.vault.azure.net); an address like 127.0.0.1 cannot be, so that check is off here.
    with secret_sources(
        lambda url: KeyVaultSecretSource(
            url, credential=credential, verify_challenge_resource=False
        )
    ):
        yield vault
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    assert credential.scopes
    assert all(s == f"{vault.url}/.default" for s in credential.scopes)


def test_settings_are_read_from_key_vault(local_vault: LocalKeyVault, tmp_path: Path) -> None:
    local_vault.secrets.update(
        {
            "compliance-api--api-key-pepper": "vault-pepper-0123456789abcdef",
            "compliance-llm--api-key": "sk-from-the-vault",
            "compliance-gtc--smart-search-api-key": "smart-search-from-vault",
            "compliance-database--url": "postgresql://app:DbPassFromVault@db.internal:5432/app",
            "compliance-redis--url": "rediss://:RedisPassFromVault@cache.internal:6380/0",
            "compliance-blob--azure-connection-string": "DefaultEndpointsProtocol=https;"
            "AccountName=acct;AccountKey=QmxvYktleUZyb21WYXVsdA==;EndpointSuffix=core.windows.net",
        }
    )
    settings = load_settings(data_dir=tmp_path)
    assert str(settings.key_vault_url).rstrip("/") == local_vault.url
    assert settings.api.api_key_pepper is not None
    assert settings.api.api_key_pepper.get_secret_value() == "vault-pepper-0123456789abcdef"
    assert settings.llm.api_key is not None
    assert settings.llm.api_key.get_secret_value() == "sk-from-the-vault"
    assert settings.gtc.smart_search_api_key is not None
    assert settings.gtc.smart_search_api_key.get_secret_value() == "smart-search-from-vault"
    assert settings.database.url == (
        "postgresql+psycopg://app:DbPassFromVault@db.internal:5432/app"
    )
    assert settings.redis.url == "rediss://:RedisPassFromVault@cache.internal:6380/0"
    assert settings.blob.azure_connection_string is not None
    # Secrets the vault does not hold keep their defaults.
    assert settings.llm.azure_ad_token is None
    assert settings.database.read_url is None
    # One challenge, then every mapped name with the bearer token.
    asked = [
        path.split("?")[0].strip("/").split("/")[1] for path, auth in local_vault.requests if auth
    ]
    assert sorted(asked) == sorted(SECRET_NAMES)
    assert any(auth is None for _, auth in local_vault.requests)
    # The values do not leak through the settings' repr or str.
    for text in (repr(settings), str(settings)):
        for value in ("vault-pepper", "sk-from-the-vault", "DbPassFromVault", "RedisPassFromVault"):
            assert value not in text


def test_environment_wins_over_the_vault(
    local_vault: LocalKeyVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_vault.secrets.update(
        {
            "compliance-llm--api-key": "sk-from-the-vault",
            "compliance-api--api-key-pepper": "vault-pepper-0123456789abcdef",
        }
    )
    monkeypatch.setenv("COMPLIANCE_LLM__API_KEY", "sk-from-the-environment")
    monkeypatch.setenv("COMPLIANCE_API__HOST", "0.0.0.0")
    settings = load_settings(data_dir=tmp_path)
    assert settings.llm.api_key is not None
    assert settings.llm.api_key.get_secret_value() == "sk-from-the-environment"
    # Merged per field: the vault still fills what the environment leaves unset.
    assert settings.api.host == "0.0.0.0"
    assert settings.api.api_key_pepper is not None
    assert settings.api.api_key_pepper.get_secret_value() == "vault-pepper-0123456789abcdef"


def test_a_vault_error_is_a_clear_configuration_error(
    local_vault: LocalKeyVault, tmp_path: Path
) -> None:
    local_vault.secrets["compliance-api--api-key-pepper"] = "vault-pepper-0123456789abcdef"
    local_vault.forbidden.add("compliance-llm--api-key")
    with pytest.raises(InputError) as raised:
        load_settings(data_dir=tmp_path)
    message = raised.value.message
    assert message.startswith(
        f"Invalid configuration: cannot read secrets from Key Vault {local_vault.url}"
    )
    assert "HttpResponseError" in message
    assert "vault-pepper" not in message


def test_vault_placeholders_are_refused_outside_development(
    local_vault: LocalKeyVault, tmp_path: Path
) -> None:
    local_vault.secrets["compliance-llm--api-key"] = "changeme"
    with pytest.raises(InputError, match=r"llm\.api_key holds a placeholder value"):
        load_settings(data_dir=tmp_path, environment="test")


def test_no_vault_no_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPLIANCE_KEY_VAULT_URL", raising=False)
    opened: list[str] = []

    def refuse(url: str) -> InMemorySecretSource:
        opened.append(url)
        return InMemorySecretSource({})

    with secret_sources(refuse):
        settings = load_settings(data_dir=tmp_path)
    assert settings.key_vault_url is None
    assert opened == []


def test_messages_and_reprs_never_show_url_passwords(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database={"url": "postgresql://app:PgSecret123@db:5432/app"},
        redis={"url": "redis://:RedisSecret456@cache:6379/0"},
        pipeline={"checkpoint_url": "postgresql://app:CkptSecret789@db:5432/app"},
        llm={"api_key": "sk-LlmSecret"},
        api={"api_key_pepper": "PepperSecret-0123456789"},
    )
    shown = repr(settings) + str(settings) + repr(settings.database) + str(settings.redis)
    for value in ("PgSecret123", "RedisSecret456", "CkptSecret789", "sk-LlmSecret", "PepperSecret"):
        assert value not in shown
    assert "postgresql+psycopg://app:***@db:5432/app" in shown
    with pytest.raises(InputError) as raised:
        load_settings(data_dir=tmp_path, database={"url": "app:PgSecret123@db/app"})
    assert "PgSecret123" not in raised.value.message
    assert "is not a database URL" in raised.value.message
