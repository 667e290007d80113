"""Idempotency keys: scoped to tenant + user, 24 h, race-safe."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance_assistant.storage.db import Database, idempotency
from tests.storage.conftest import T0

pytestmark = pytest.mark.anyio


async def test_first_writer_wins_and_scope_is_tenant_and_user(db: Database) -> None:
    async with db.session() as session:
        record, created = await idempotency.remember(
            session, "t1", "u1", "key-1", request_hash="h1", job_id="job-1", now=T0
        )
        assert created
        assert record.expires_at == T0 + timedelta(hours=24)
    async with db.session() as session:
        again, created = await idempotency.remember(
            session, "t1", "u1", "key-1", request_hash="h2", job_id="job-2", now=T0
        )
        assert not created
        assert (again.job_id, again.request_hash) == ("job-1", "h1")
        # The same key from another user or tenant is a different key.
        _, other_user = await idempotency.remember(
            session, "t1", "u2", "key-1", request_hash="h", job_id="job-3", now=T0
        )
        _, other_tenant = await idempotency.remember(
            session, "t2", "u1", "key-1", request_hash="h", job_id="job-4", now=T0
        )
        assert other_user
        assert other_tenant
        found = await idempotency.get(session, "t1", "u1", "key-1", now=T0)
        assert found is not None
        assert found.job_id == "job-1"


async def test_expired_keys_are_ignored_replaced_and_purged(db: Database) -> None:
    async with db.session() as session:
        await idempotency.remember(
            session, "t1", "u1", "k", request_hash="h1", job_id="job-1", now=T0
        )
        await idempotency.remember(
            session, "t1", "u1", "k2", request_hash="h1", job_id="job-9", now=T0
        )
    later = T0 + timedelta(hours=25)
    async with db.session() as session:
        assert await idempotency.get(session, "t1", "u1", "k", now=later) is None
        record, created = await idempotency.remember(
            session, "t1", "u1", "k", request_hash="h2", job_id="job-2", now=later
        )
        assert created
        assert record.job_id == "job-2"
        assert await idempotency.purge_expired(session, now=later) == 1  # k2 only
        assert await idempotency.get(session, "t1", "u1", "k", now=later) is not None
