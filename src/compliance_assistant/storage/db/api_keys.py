"""API keys for services: generation, hashed storage, lookup, revocation and rotation.

Key format: ``ca_<prefix>_<secret>``. The prefix (12 random characters) is stored in clear and
indexed, so a presented key is found with one indexed lookup; only a hash of the whole key is
stored.

Why HMAC-SHA256 with a server-side pepper and not scrypt/argon2: slow hashes protect
low-entropy secrets (passwords) against guessing. These keys carry 256 random bits, so
guessing is hopeless whatever the hash, and a slow hash would only cost CPU on every
authenticated request. The pepper (a secret kept outside the database, e.g. in Key Vault)
adds what matters for a database leak: without it a stolen ``key_hash`` column cannot even be
used to test a candidate key. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.storage.db.models import ApiKey

KEY_SCHEME = "ca"
PREFIX_LENGTH = 12
_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# last_used_at is informational; writing it on every request would turn reads into writes.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKeyRecord:
    id: str
    tenant_id: str
    name: str
    prefix: str
    key_hash: str
    roles: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        """Not revoked and not expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class KeepExpiry:
    """Rotation default: the new key gets the old key's lifetime, counted from now."""


KEEP_LIFETIME = KeepExpiry()


def _record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        prefix=row.prefix,
        key_hash=row.key_hash,
        roles=tuple(row.roles),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def hash_api_key(key: str, pepper: bytes) -> str:
    """HMAC-SHA256 of the whole key under the server pepper, hex-encoded."""
    if len(pepper) < 16:
        raise ValueError("the API key pepper must be at least 16 bytes")
    return hmac.new(pepper, key.encode("utf-8"), hashlib.sha256).hexdigest()


def generate_api_key() -> tuple[str, str]:
    """A new key and its lookup prefix: ``("ca_<prefix>_<secret>", "<prefix>")``."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    return f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def parse_prefix(key: str) -> str | None:
    """The lookup prefix of a presented key, or None when it is not one of ours."""
    scheme, _, rest = key.partition("_")
    prefix, sep, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not sep or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix


class ApiKeyRepository:
    """SQL for ``api_keys``. Use the module-level ``api_keys`` instance."""

    async def create(
        self,
        session: AsyncSession,
        tenant_id: str,
        *,
        name: str,
        roles: Sequence[str],
        pepper: bytes,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> tuple[ApiKeyRecord, str]:
        """Create a key; returns the record and the plaintext key, which is shown once and
        never stored."""
        key, prefix = generate_api_key()
        row = ApiKey(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            name=name,
            prefix=prefix,
            key_hash=hash_api_key(key, pepper),
            roles=list(roles),
            created_at=now,
            expires_at=expires_at,
        )
        session.add(row)
        await session.flush()
        return _record(row), key

    async def lookup_by_prefix(self, session: AsyncSession, prefix: str) -> ApiKeyRecord | None:
        """The key with this prefix, whatever its tenant: authentication is how the tenant
        is learnt. Callers must verify the hash — prefer :meth:`authenticate`."""
        row = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        return _record(row) if row is not None else None

    async def authenticate(
        self, session: AsyncSession, presented: str, *, pepper: bytes, now: datetime
    ) -> ApiKeyRecord | None:
        """The usable key matching ``presented`` (hash compared in constant time), else None.
        Records the use at most once per ``TOUCH_INTERVAL``."""
        prefix = parse_prefix(presented)
        if prefix is None:
            return None
        record = await self.lookup_by_prefix(session, prefix)
        if record is None or not hmac.compare_digest(
            record.key_hash, hash_api_key(presented, pepper)
        ):
            return None
        if not record.usable_at(now):
            return None
        if record.last_used_at is None or now - record.last_used_at >= TOUCH_INTERVAL:
            await self.touch(session, record.tenant_id, record.id, now=now)
        return record

    async def touch(
        self, session: AsyncSession, tenant_id: str, key_id: str, *, now: datetime
    ) -> bool:
        outcome = await session.execute(
            update(ApiKey)
            .where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
            .values(last_used_at=now)
        )
        return bool(outcome.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult; typed Result

    async def revoke(
        self, session: AsyncSession, tenant_id: str, key_id: str, *, now: datetime
    ) -> bool:
        """Revoke a key of this tenant; False if unknown or already revoked."""
        outcome = await session.execute(
            update(ApiKey)
            .where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(outcome.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult; typed Result

    async def rotate(
        self,
        session: AsyncSession,
        tenant_id: str,
        key_id: str,
        *,
        pepper: bytes,
        now: datetime,
        expires_at: datetime | KeepExpiry | None = KEEP_LIFETIME,
    ) -> tuple[ApiKeyRecord, str] | None:
        """Replace a key of this tenant that is not revoked: a new secret with the same name
        and roles, and the old key revoked, in the caller's transaction. By default the new
        key lives as long as the old one was meant to (from ``now``). None when there is no
        such key (unknown, another tenant's, or already revoked)."""
        row = await session.scalar(
            select(ApiKey)
            .where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .with_for_update()
        )
        if row is None:
            return None
        old = _record(row)
        # Conditional, so two concurrent rotations cannot both win (SQLite has no row locks).
        if not await self.revoke(session, tenant_id, key_id, now=now):
            return None
        if isinstance(expires_at, KeepExpiry):
            expires_at = (
                now + (old.expires_at - old.created_at) if old.expires_at is not None else None
            )
        return await self.create(
            session,
            tenant_id,
            name=old.name,
            roles=old.roles,
            pepper=pepper,
            now=now,
            expires_at=expires_at,
        )

    async def list_keys(self, session: AsyncSession, tenant_id: str) -> list[ApiKeyRecord]:
        rows = await session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at)
        )
        return [_record(row) for row in rows]


api_keys = ApiKeyRepository()
