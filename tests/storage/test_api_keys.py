"""API keys: hashed storage, prefix lookup, authentication, expiry and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance_assistant.storage.db import Database, api_keys
from compliance_assistant.storage.db.api_keys import hash_api_key, parse_prefix
from tests.storage.conftest import T0

pytestmark = pytest.mark.anyio
PEPPER = b"0123456789abcdef-test-pepper"


async def test_create_authenticate_touch_and_revoke(db: Database) -> None:
    async with db.session() as session:
        record, key = await api_keys.create(
            session, "t1", name="ci", roles=["checker"], pepper=PEPPER, now=T0
        )
    assert key.startswith(f"ca_{record.prefix}_")
    assert key not in record.key_hash
    assert record.key_hash == hash_api_key(key, PEPPER)
    later = T0 + timedelta(minutes=5)
    async with db.session() as session:
        found = await api_keys.authenticate(session, key, pepper=PEPPER, now=later)
        assert found is not None
        assert (found.tenant_id, found.roles) == ("t1", ("checker",))
        assert await api_keys.authenticate(session, key + "x", pepper=PEPPER, now=later) is None
        assert (
            await api_keys.authenticate(session, key, pepper=b"another-pepper-123", now=later)
            is None
        )
        assert await api_keys.authenticate(session, "not-a-key", pepper=PEPPER, now=later) is None
    async with db.session() as session:
        by_prefix = await api_keys.lookup_by_prefix(session, record.prefix)
        assert by_prefix is not None
        assert by_prefix.last_used_at == later
        assert not await api_keys.revoke(session, "t2", record.id, now=later)  # other tenant
        assert await api_keys.revoke(session, "t1", record.id, now=later)
        assert not await api_keys.revoke(session, "t1", record.id, now=later)  # already
    async with db.session() as session:
        assert await api_keys.authenticate(session, key, pepper=PEPPER, now=later) is None
        assert [k.name for k in await api_keys.list_keys(session, "t1")] == ["ci"]
        assert await api_keys.list_keys(session, "t2") == []


async def test_expired_key_is_refused(db: Database) -> None:
    async with db.session() as session:
        _, key = await api_keys.create(
            session,
            "t1",
            name="temp",
            roles=[],
            pepper=PEPPER,
            now=T0,
            expires_at=T0 + timedelta(days=1),
        )
    async with db.session() as session:
        assert await api_keys.authenticate(session, key, pepper=PEPPER, now=T0) is not None
        late = T0 + timedelta(days=2)
        assert await api_keys.authenticate(session, key, pepper=PEPPER, now=late) is None


def test_key_format_and_pepper_rules() -> None:
    assert parse_prefix("ca_abcdefghijkl_s3cr_et") == "abcdefghijkl"
    assert parse_prefix("ca_short_secret") is None
    assert parse_prefix("xx_abcdefghijkl_secret") is None
    with pytest.raises(ValueError, match="pepper"):
        hash_api_key("ca_x", b"short")
