"""Who is calling: API keys (hashed, tenant-scoped) or the single local tenant.

API keys are required in production, whenever the server binds a non-loopback address, and
when ``api.require_api_keys`` is set. Otherwise (``compliance serve`` on 127.0.0.1) every
request acts as the local tenant with every role. A verified key is remembered in-process for
``api.auth_cache_seconds`` so a status poll costs no database round trip.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from compliance_assistant.config import Environment, Settings
from compliance_assistant.errors import InputError
from compliance_assistant.storage.db import Database, api_keys

PEPPER_FILE = "api-key-pepper"
_MAX_CACHED_KEYS = 10_000


class Role(StrEnum):
    """writer: submit and cancel checks, give feedback; reviewer: feedback and guideline sets;
    admin: everything, including the admin endpoints. Every role may read."""

    WRITER = "writer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    user_id: str
    actor: str
    roles: frozenset[str]
    key_id: str | None = None

    def has_any(self, *roles: Role) -> bool:
        return Role.ADMIN in self.roles or any(role in self.roles for role in roles)


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_required(settings: Settings) -> bool:
    return (
        settings.environment is Environment.PRODUCTION
        or settings.api.require_api_keys
        or not is_loopback(settings.api.host)
    )


def resolve_pepper(settings: Settings) -> bytes:
    """The API key pepper: ``api.api_key_pepper``, or in development a random one kept in
    ``{data_dir}/api-key-pepper`` (created on first use, mode 0600)."""
    configured = settings.api.api_key_pepper
    if configured is not None:
        value = configured.get_secret_value().encode()
        if len(value) < 16:
            raise InputError("api.api_key_pepper (COMPLIANCE_API__API_KEY_PEPPER) needs 16+ bytes")
        return value
    if settings.environment is not Environment.DEVELOPMENT:
        raise InputError(
            "API keys need a pepper outside development: set COMPLIANCE_API__API_KEY_PEPPER "
            "to a random secret of at least 16 bytes (e.g. `openssl rand -hex 32`)."
        )
    path = settings.data_dir / PEPPER_FILE
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip().encode()


def _write_private(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; theirs is the one
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(value)


class Authenticator:
    """Turns the request's credentials into a Principal; one per process."""

    def __init__(
        self,
        database: Database,
        *,
        required: bool,
        pepper: bytes | None,
        local_tenant: str,
        cache_seconds: float,
    ) -> None:
        if required and pepper is None:
            raise ValueError("API key authentication needs a pepper")
        self.required = required
        self._database = database
        self._pepper = pepper or b""
        self._local = Principal(
            tenant_id=local_tenant,
            user_id="local",
            actor="local",
            roles=frozenset(Role),
        )
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def authenticate(self, key: str | None) -> Principal | None:
        """The principal, or None when credentials are required and missing or invalid."""
        if not self.required:
            return self._local
        if key is None:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._cache.get(digest)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._database.session() as session:
            record = await api_keys.authenticate(
                session, key, pepper=self._pepper, now=datetime.now(UTC)
            )
        if record is None:
            self._cache.pop(digest, None)
            return None
        principal = Principal(
            tenant_id=record.tenant_id,
            user_id=f"apikey:{record.id}",
            actor=f"{record.name} (API key {record.prefix})",
            roles=frozenset(record.roles),
            key_id=record.id,
        )
        if self._cache_seconds > 0:
            if len(self._cache) >= _MAX_CACHED_KEYS:
                self._cache.clear()
            self._cache[digest] = (now + self._cache_seconds, principal)
        return principal
