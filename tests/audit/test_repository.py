"""The audit log's storage on SQLite and PostgreSQL: recording inside the caller's unit of
work, tenant-scoped listing with filters and cursors, the retention purge, and (PostgreSQL)
the trigger that keeps the table append-only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from compliance_assistant.admin.service import admin_service
from compliance_assistant.audit import log, repository
from compliance_assistant.audit.repository import AuditFilter, NewAuditEvent
from compliance_assistant.checks.context import open_service_context
from compliance_assistant.config import Settings
from compliance_assistant.errors import InputError
from compliance_assistant.storage.db import Database
from compliance_assistant.storage.db.models import AuditEvent

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
# Far enough back that purging up to it never touches another test's events.
ANCIENT = datetime(2019, 1, 1, tzinfo=UTC)


def tenant() -> str:
    return f"audit-{uuid.uuid4().hex[:10]}"


async def add(db: Database, tenant_id: str, created_at: datetime, **fields: str) -> int:
    async with db.session() as session:
        return await repository.insert(
            session,
            NewAuditEvent(
                tenant_id=tenant_id,
                actor=fields.get("actor", "alice"),
                action=fields.get("action", "check.submitted"),
                target=fields.get("target"),
                created_at=created_at,
            ),
        )


async def count(db: Database, tenant_id: str) -> int:
    async with db.read_session() as session:
        found = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
        )
    return int(found or 0)


async def test_record_writes_with_the_callers_commit_and_lists_it(db: Database) -> None:
    tenant_id = tenant()
    async with db.session() as session:
        log.record(
            session,
            tenant_id=tenant_id,
            actor="key:ops",
            action=log.CHECK_SUBMITTED,
            target="job-1",
            correlation_id="corr-123",
            details={"created": True},
            now=T0,
        )
    async with db.read_session() as session:
        page = await repository.list_page(session, tenant_id)
    assert len(page.items) == 1
    event = page.items[0]
    assert (event.actor, event.action, event.target) == ("key:ops", "check.submitted", "job-1")
    assert event.correlation_id == "corr-123"
    assert event.details == {"created": True}
    assert event.created_at == T0
    assert page.next_cursor is None


async def test_record_rolls_back_with_the_action_it_describes(db: Database) -> None:
    tenant_id = tenant()

    async def failing_action() -> None:
        async with db.session() as session:
            log.record(session, tenant_id=tenant_id, actor="alice", action="job.cancelled")
            raise RuntimeError("action failed")

    with pytest.raises(RuntimeError, match="action failed"):
        await failing_action()
    assert await count(db, tenant_id) == 0


def test_record_refuses_an_event_without_tenant_actor_or_action() -> None:
    # The session is never touched: validation comes first.
    with pytest.raises(ValueError, match="tenant_id, an actor and an action"):
        log.record(None, tenant_id="t", actor="", action="x")  # type: ignore[arg-type]


async def test_listing_is_tenant_scoped_filtered_and_paginated(db: Database) -> None:
    mine, theirs = tenant(), tenant()
    for minute in range(5):
        await add(db, mine, T0 + timedelta(minutes=minute), target=f"job-{minute}")
    await add(db, mine, T0 + timedelta(minutes=10), actor="bob", action="result.read")
    await add(db, theirs, T0, target="their-job")

    async with db.read_session() as session:
        first = await repository.list_page(session, mine, limit=4)
        assert first.next_cursor is not None
        second = await repository.list_page(session, mine, limit=4, cursor=first.next_cursor)
        by_bob = await repository.list_page(session, mine, filters=AuditFilter(actor="bob"))
        reads = await repository.list_page(session, mine, filters=AuditFilter(action="result.read"))
        window = await repository.list_page(
            session,
            mine,
            filters=AuditFilter(
                created_from=T0 + timedelta(minutes=1), created_to=T0 + timedelta(minutes=3)
            ),
        )
        other = await repository.list_page(session, theirs)

    targets = [e.target for e in first.items + second.items]
    # Newest first, every event exactly once across the pages.
    assert targets == [None, "job-4", "job-3", "job-2", "job-1", "job-0"]
    assert second.next_cursor is None
    assert [e.actor for e in by_bob.items] == ["bob"]
    assert [e.action for e in reads.items] == ["result.read"]
    assert [e.target for e in window.items] == ["job-2", "job-1"]  # 'to' is exclusive
    assert [e.target for e in other.items] == ["their-job"]


async def test_a_tampered_cursor_or_bad_limit_is_an_input_error(db: Database) -> None:
    async with db.read_session() as session:
        with pytest.raises(InputError, match="Invalid pagination cursor"):
            await repository.list_page(session, tenant(), cursor="not-a-cursor")
        with pytest.raises(InputError, match="limit"):
            await repository.list_page(session, tenant(), limit=0)


async def test_purge_deletes_only_events_older_than_the_cutoff(db: Database) -> None:
    first, second = tenant(), tenant()
    await add(db, first, ANCIENT - timedelta(days=30), target="old")
    await add(db, second, ANCIENT - timedelta(days=1), target="old")
    await add(db, first, ANCIENT + timedelta(days=1), target="kept")
    async with db.session() as session:
        purged = await repository.purge(session, older_than=ANCIENT)
    assert purged >= 2  # other tests' events are all newer than ANCIENT
    async with db.read_session() as session:
        remaining = await repository.list_page(session, first)
    assert [e.target for e in remaining.items] == ["kept"]
    assert await count(db, second) == 0


async def test_retention_task_purges_audit_events_after_audit_days(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    tenant_id = tenant()
    await add(db, tenant_id, ANCIENT - timedelta(days=400), target="expired")
    await add(db, tenant_id, ANCIENT - timedelta(days=10), target="kept")
    settings = Settings(
        data_dir=tmp_path,
        database={"url": db_url},
        retention={"audit_days": 365},
        tracking={"enabled": False},
    )
    async with open_service_context(settings) as ctx:
        # The maintenance task's own step, run with a clock 300 days after ANCIENT.
        report = await admin_service.apply_retention(ctx, now=ANCIENT + timedelta(days=300))
    assert report.audit_events_purged >= 1
    assert not report.errors
    async with db.read_session() as session:
        remaining = await repository.list_page(session, tenant_id)
    assert [e.target for e in remaining.items] == ["kept"]


async def in_one_transaction(db: Database, *statements: str, cutoff: str | None = None) -> None:
    """Run ``statements`` in one transaction, after setting the purge cutoff if given."""
    async with db.session() as session:
        if cutoff is not None:
            await session.execute(
                text("SELECT set_config(:name, :cutoff, true)"),
                {"name": repository.PURGE_SETTING, "cutoff": cutoff},
            )
        for statement in statements:
            await session.execute(text(statement))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_postgresql_rejects_updates_deletes_and_truncates(db: Database) -> None:
    tenant_id = tenant()
    event_id = await add(db, tenant_id, T0, target="job-1")
    delete_it = f"DELETE FROM audit_log WHERE id = {event_id}"
    for statement in (
        f"UPDATE audit_log SET actor = 'mallory' WHERE id = {event_id}",
        delete_it,
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError, match="audit_log is append-only"):
            await in_one_transaction(db, statement)
    # The purge's setting only lets through rows older than its cutoff ...
    with pytest.raises(DBAPIError, match="append-only: DELETE"):
        await in_one_transaction(db, delete_it, cutoff=T0.isoformat())
    # ... and lasts for its own transaction only: the next one is guarded again.
    await in_one_transaction(db, cutoff="2100-01-01T00:00:00+00:00")
    with pytest.raises(DBAPIError, match="append-only: DELETE"):
        await in_one_transaction(db, delete_it)
    async with db.read_session() as session:
        page = await repository.list_page(session, tenant_id)
    assert [(e.id, e.actor) for e in page.items] == [(event_id, "alice")]
