"""Who is calling: people (OIDC bearer JWTs), services (API keys) or the single local tenant.

Authentication is required in production, whenever the server binds a non-loopback address,
when ``api.require_api_keys`` is set and whenever OIDC sign-in is configured. Otherwise
(``compliance serve`` on 127.0.0.1) every request acts as the local tenant with every role.

A bearer credential shaped like a JWT goes to OIDC (``api/oidc.py``); anything else, and
whatever comes in ``X-API-Key``, is an API key. A verified key is remembered in-process for
``api.auth_cache_seconds`` (never past its expiry) so a status poll costs no database round
trip. What each role may do is decided in ``api/roles.py``.
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

from compliance_assistant.api.errors import UnauthorizedError
from compliance_assistant.api.oidc import OidcVerifier, looks_like_jwt
from compliance_assistant.config import Environment, Settings
from compliance_assistant.errors import InputError
from compliance_assistant.storage.db import Database, api_keys

PEPPER_FILE = "api-key-pepper"
_MAX_CACHED_KEYS = 10_000


class Role(StrEnum):
    """writer: submit checks, follow and cancel one's own jobs, give feedback on them;
    reviewer: every job of the tenant and feedback on any of its findings; admin: everything,
    including guideline sets, API keys and the admin endpoints. See ``api/roles.py``."""

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
    # How the caller signed in: "local" (loopback, no auth), "apikey" or "oidc".
    scheme: str = "apikey"

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
        or settings.api.oidc.enabled
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
        oidc: OidcVerifier | None = None,
    ) -> None:
        if required and pepper is None:
            raise ValueError("API key authentication needs a pepper")
        self.required = required
        self.oidc = oidc
        self._database = database
        self._pepper = pepper or b""
        self._local = Principal(
            tenant_id=local_tenant,
            user_id="local",
            actor="local",
            roles=frozenset(Role),
            scheme="local",
        )
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def authenticate(self, bearer: str | None, api_key: str | None = None) -> Principal:
        """The caller, from ``Authorization: Bearer`` (a JWT or an API key) or ``X-API-Key``
        (an API key). Raises ``UnauthorizedError`` (401) with the reason when credentials are
        required and missing or invalid."""
        if not self.required:
            return self._local
        if api_key is not None:
            return await self._api_key(api_key)
        if bearer is None:
            raise UnauthorizedError(self._missing_message())
        if looks_like_jwt(bearer):
            if self.oidc is None:
                raise UnauthorizedError(
                    "Bearer JWTs are not accepted: OIDC sign-in is not configured on this "
                    "server. Use an API key."
                )
            identity = await self.oidc.verify(bearer)
            return Principal(
                tenant_id=identity.tenant_id,
                user_id=identity.user_id,
                actor=identity.actor,
                roles=identity.roles,
                scheme="oidc",
            )
        return await self._api_key(bearer)

    def _missing_message(self) -> str:
        if self.oidc is not None:
            return (
                "Sign in: send `Authorization: Bearer <access token>`, or an API key as "
                "`Authorization: Bearer <key>` or `X-API-Key: <key>`."
            )
        return "An API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`."

    async def _api_key(self, key: str) -> Principal:
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._cache.get(digest)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        wall_now = datetime.now(UTC)
        async with self._database.session() as session:
            record = await api_keys.authenticate(session, key, pepper=self._pepper, now=wall_now)
        if record is None:
            self._cache.pop(digest, None)
            raise UnauthorizedError("The API key is not valid (unknown, revoked or expired).")
        principal = Principal(
            tenant_id=record.tenant_id,
            user_id=f"apikey:{record.id}",
            actor=f"{record.name} (API key {record.prefix})",
            roles=frozenset(record.roles),
            key_id=record.id,
            scheme="apikey",
        )
        lifetime = self._cache_seconds
        if record.expires_at is not None:
            # An expiring key must not outlive its expiry in the cache.
            lifetime = min(lifetime, (record.expires_at - wall_now).total_seconds())
        if lifetime > 0:
            if len(self._cache) >= _MAX_CACHED_KEYS:
                self._cache.clear()
            self._cache[digest] = (now + lifetime, principal)
        return principal
