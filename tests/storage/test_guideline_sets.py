"""Tenant guideline-set versions: numbering, lookup, and numbering under concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from compliance_assistant.storage.db import Database, GuidelineSetRecord, guideline_sets
from tests.storage.conftest import T0

pytestmark = pytest.mark.anyio

YAML = "id: house\nversion: 1\ntitle: House style\nguidelines: []\n"


async def create(db: Database, tenant: str = "t1", set_id: str = "house") -> GuidelineSetRecord:
    async with db.session() as session:
        return await guideline_sets.create_version(
            session, tenant, set_id, title="House style", yaml_text=YAML, created_by="ann", now=T0
        )


async def test_versions_count_up_per_tenant_and_set(db: Database) -> None:
    assert (await create(db)).version == 1
    assert (await create(db)).version == 2
    assert (await create(db, set_id="other")).version == 1
    assert (await create(db, tenant="t2")).version == 1
    async with db.session() as session:
        latest = await guideline_sets.get(session, "t1", "house")
        first = await guideline_sets.get(session, "t1", "house", 1)
        missing = await guideline_sets.get(session, "t1", "house", 9)
        listed = await guideline_sets.list_latest(session, "t1")
        versions = await guideline_sets.list_versions(session, "t1", "house")
        foreign = await guideline_sets.list_latest(session, "t3")
    assert latest is not None
    assert latest.version == 2
    assert first is not None
    assert (first.yaml_text, first.created_by, first.created_at) == (YAML, "ann", T0)
    assert missing is None
    assert [(r.set_id, r.version) for r in listed] == [("house", 2), ("other", 1)]
    assert [r.version for r in versions] == [1, 2]
    assert foreign == []


async def test_concurrent_creators_get_distinct_versions(db: Database) -> None:
    """A holds version 1 uncommitted while B tries: B waits (SQLite: writer lock; PostgreSQL:
    the unique index), then takes version 2 — on PostgreSQL after one clean retry."""
    async with db.session() as session_a:
        first = await guideline_sets.create_version(
            session_a, "t1", "house", title="A", yaml_text=YAML, created_by="a", now=T0
        )
        other = asyncio.create_task(create(db))
        await asyncio.sleep(0.3)
        assert not other.done()  # blocked behind A's uncommitted row
    second = await asyncio.wait_for(other, timeout=10)
    assert (first.version, second.version) == (1, 2)


async def test_burst_of_creators_gets_gap_free_versions(db: Database) -> None:
    created = await asyncio.gather(*(create(db) for _ in range(4)))
    assert sorted(r.version for r in created) == [1, 2, 3, 4]
    async with db.session() as session:
        versions = await guideline_sets.list_versions(session, "t1", "house")
    assert [r.version for r in versions] == [1, 2, 3, 4]
    assert all(r.created_at < T0 + timedelta(seconds=1) for r in versions)
