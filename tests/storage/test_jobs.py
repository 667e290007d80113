"""The jobs repository on SQLite and PostgreSQL: scoping, pagination, transitions, sweeps."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.errors import InputError
from compliance_assistant.storage.db import Database, NewJob, jobs
from compliance_assistant.storage.db.jobs import Admission, decode_cursor, encode_cursor
from tests.storage.conftest import T0

pytestmark = pytest.mark.anyio


def new_job(tenant: str = "t1", **overrides: object) -> NewJob:
    values: dict[str, object] = {
        "tenant_id": tenant,
        "guideline_set_id": "marketing-eu",
        "guideline_set_version": 3,
        "input_format": "text",
        "article_sha256": "a" * 64,
        "user_id": "u1",
        "selected_guidelines": ["no-guarantees"],
        "progress_total": 4,
    }
    values.update(overrides)
    return NewJob(**values)  # type: ignore[arg-type]


async def test_create_and_get_round_trip(db: Database) -> None:
    async with db.session() as session:
        created = await jobs.create(
            session,
            new_job(title="Savings", metadata={"product_id": "p1"}, article_blob_key="articles/x"),
            now=T0,
        )
    async with db.session() as session:
        loaded = await jobs.get(session, "t1", created.id)
    assert loaded == created
    assert loaded.status == "queued"
    assert loaded.created_at == T0
    assert loaded.created_at.tzinfo is not None
    assert loaded.selected_guidelines == ("no-guarantees",)
    assert loaded.metadata == {"product_id": "p1"}
    assert (loaded.progress_done, loaded.progress_total, loaded.attempts) == (0, 4, 0)


async def test_other_tenants_job_is_invisible(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job("t1", dedupe_key="same-article"), now=T0)
    async with db.session() as session:
        assert await jobs.get(session, "t2", job.id) is None
        page = await jobs.list_page(session, "t2")
        assert page.items == []
        # Writes are scoped too: another tenant can neither cancel nor claim it.
        assert not await jobs.cancel(session, "t2", job.id, now=T0)
        assert not await jobs.claim(session, "t2", job.id, worker_id="w", now=T0)
        admitted = await jobs.admission(
            session, "t2", "same-article", now=T0, window_seconds=3600, active_limit=5
        )
        assert admitted == Admission(active=0, reusable_id=None)
    async with db.session() as session:
        reloaded = await jobs.get(session, "t1", job.id)
    assert reloaded is not None
    assert reloaded.status == "queued"


async def test_cursor_pagination_is_stable_with_ties_and_new_arrivals(db: Database) -> None:
    async with db.session() as session:
        # 25 jobs, five per timestamp: ordering must fall back to the id.
        for i in range(25):
            await jobs.create(session, new_job(), now=T0 + timedelta(seconds=i // 5))
        await jobs.create(session, new_job("other"), now=T0)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        async with db.session() as session:
            page = await jobs.list_page(session, "t1", limit=7, cursor=cursor)
            if pages == 1:
                # Arrivals between page requests are newer than the cursor: never on later
                # pages, never shifting what is left.
                await jobs.create(session, new_job(), now=T0 + timedelta(hours=1))
        seen.extend(job.id for job in page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 25
    async with db.session() as session:
        everything = await jobs.list_page(session, "t1", limit=200)
    expected = [j.id for j in everything.items if j.created_at < T0 + timedelta(hours=1)]
    assert seen == expected
    keys = [(j.created_at, j.id) for j in everything.items]
    assert keys == sorted(keys, reverse=True)


async def test_list_filters_by_status_and_date_range(db: Database) -> None:
    async with db.session() as session:
        first = await jobs.create(session, new_job(), now=T0)
        second = await jobs.create(session, new_job(user_id="u2"), now=T0 + timedelta(days=1))
        third = await jobs.create(session, new_job(), now=T0 + timedelta(days=2))
        await jobs.cancel(session, "t1", second.id, now=T0)
    async with db.session() as session:
        queued = await jobs.list_page(session, "t1", status=["queued"])
        assert [j.id for j in queued.items] == [third.id, first.id]
        window = await jobs.list_page(
            session, "t1", created_from=T0 + timedelta(hours=1), created_to=T0 + timedelta(days=2)
        )
        assert [j.id for j in window.items] == [second.id]
        mine = await jobs.list_page(session, "t1", user_id="u2")
        assert [j.id for j in mine.items] == [second.id]
        filtered = await jobs.list_page(session, "t1", status=["queued"], limit=1)
        assert filtered.next_cursor is not None
        rest = await jobs.list_page(session, "t1", status=["queued"], cursor=filtered.next_cursor)
        assert [j.id for j in rest.items] == [first.id]
        assert rest.next_cursor is None


async def test_bad_cursor_and_limit_are_input_errors(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(InputError):
            await jobs.list_page(session, "t1", cursor="not-a-cursor")
        with pytest.raises(InputError):
            await jobs.list_page(session, "t1", limit=0)


def test_cursor_codec_round_trip() -> None:
    assert decode_cursor(encode_cursor(T0, "abc")) == (T0, "abc")


async def reusable(session: AsyncSession, key: str, now: datetime) -> str | None:
    admitted = await jobs.admission(
        session, "t1", key, now=now, window_seconds=3600, active_limit=100
    )
    return admitted.reusable_id


async def test_dedupe_lookup_window_and_statuses(db: Database) -> None:
    async with db.session() as session:
        old = await jobs.create(session, new_job(dedupe_key="k1"), now=T0)
        recent = await jobs.create(
            session, new_job(dedupe_key="k1"), now=T0 + timedelta(minutes=30)
        )
        failed = await jobs.create(
            session, new_job(dedupe_key="k2"), now=T0 + timedelta(minutes=50)
        )
        await jobs.fail(session, "t1", failed.id, code="X", message="boom", now=T0)
    now = T0 + timedelta(minutes=70)
    async with db.session() as session:
        # The old one is outside the 1 h window.
        assert await reusable(session, "k1", now) == recent.id
        assert old.id != recent.id
        assert await reusable(session, "k2", now) is None  # failed
        assert await reusable(session, "k1", T0 + timedelta(hours=2)) is None
        await jobs.mark_completed(session, "t1", recent.id, now=now)
    async with db.session() as session:
        assert await reusable(session, "k1", now) == recent.id  # completed jobs are reused
        await jobs.cancel(session, "t1", old.id, now=now)
        no_window = await jobs.admission(
            session, "t1", "k1", now=now, window_seconds=0, active_limit=100
        )
        assert no_window.reusable_id is None


async def test_admission_counts_active_jobs_up_to_the_limit(db: Database) -> None:
    async with db.session() as session:
        created = [await jobs.create(session, new_job(), now=T0) for _ in range(4)]
        await jobs.mark_completed(session, "t1", created[0].id, now=T0)
        await jobs.create(session, new_job("other"), now=T0)

        async def active(limit: int) -> int:
            admitted = await jobs.admission(
                session, "t1", "none", now=T0, window_seconds=3600, active_limit=limit
            )
            return admitted.active

        assert await active(100) == 3  # queued ones; the completed job and the other
        assert await active(2) == 2  # tenant's do not count; never beyond the limit


async def test_claim_heartbeat_progress_and_finish(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job(), now=T0)
    t1 = T0 + timedelta(seconds=5)
    async with db.session() as session:
        assert await jobs.claim(session, "t1", job.id, worker_id="w1", now=t1)
        # Another worker cannot take a live job; the holder may re-claim (task retry).
        assert not await jobs.claim(session, "t1", job.id, worker_id="w2", now=t1)
        assert await jobs.claim(session, "t1", job.id, worker_id="w1", now=t1)
        assert await jobs.update_progress(session, "t1", job.id, done=2, total=5, now=t1)
        assert await jobs.heartbeat(session, "t1", job.id, worker_id="w1", now=t1)
        assert not await jobs.heartbeat(session, "t1", job.id, worker_id="w2", now=t1)
    async with db.session() as session:
        state = await jobs.get(session, "t1", job.id)
    assert state is not None
    assert (state.status, state.worker_id, state.attempts) == ("processing", "w1", 2)
    assert (state.progress_done, state.progress_total) == (2, 5)
    assert state.started_at == t1
    assert state.heartbeat_at == t1
    async with db.session() as session:
        assert await jobs.fail(session, "t1", job.id, code="LLM_DOWN", message="timeout", now=t1)
        assert not await jobs.cancel(session, "t1", job.id, now=t1)  # already finished
        assert not await jobs.update_progress(session, "t1", job.id, done=3, now=t1)
    async with db.session() as session:
        failed = await jobs.get(session, "t1", job.id)
    assert failed is not None
    assert (failed.status, failed.error_code, failed.error_message) == (
        "failed",
        "LLM_DOWN",
        "timeout",
    )
    assert failed.finished_at == t1
    assert failed.finished


async def test_cancelled_job_stops_its_worker(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job(), now=T0)
        assert await jobs.claim(session, "t1", job.id, worker_id="w1", now=T0)
        assert await jobs.cancel(session, "t1", job.id, now=T0)
        assert not await jobs.heartbeat(session, "t1", job.id, worker_id="w1", now=T0)
        assert not await jobs.claim(session, "t1", job.id, worker_id="w1", now=T0)
        assert not await jobs.mark_completed(session, "t1", job.id, now=T0)


async def test_stalled_and_queued_sweeps(db: Database) -> None:
    async with db.session() as session:
        stale = await jobs.create(session, new_job(), now=T0)
        live = await jobs.create(session, new_job("t2"), now=T0)
        old_queued = await jobs.create(session, new_job("t3"), now=T0)
        fresh_queued = await jobs.create(session, new_job(), now=T0 + timedelta(seconds=290))
        await jobs.claim(session, "t1", stale.id, worker_id="w1", now=T0)
        await jobs.claim(session, "t2", live.id, worker_id="w2", now=T0 + timedelta(seconds=250))
    now = T0 + timedelta(seconds=300)
    async with db.session() as session:
        stalled = await jobs.stalled(session, now=now, heartbeat_timeout_seconds=120)
        assert [(r.tenant_id, r.id) for r in stalled] == [("t1", stale.id)]
        queued = await jobs.queued_older_than(session, now=now, age_seconds=60)
        assert [(r.tenant_id, r.id) for r in queued] == [("t3", old_queued.id)]
        unfinished = {r.id for r in await jobs.unfinished(session)}
        assert unfinished == {stale.id, live.id, old_queued.id, fresh_queued.id}
        # Release re-checks the heartbeat: the live job is not released.
        cutoff = now - timedelta(seconds=120)
        assert await jobs.release_stalled(session, "t1", stale.id, heartbeat_before=cutoff, now=now)
        assert not await jobs.release_stalled(
            session, "t2", live.id, heartbeat_before=cutoff, now=now
        )
        # A stalled job can also be taken over directly by another worker.
        assert await jobs.claim(session, "t1", stale.id, worker_id="w3", now=now)
    async with db.session() as session:
        taken = await jobs.get(session, "t1", stale.id)
    assert taken is not None
    assert (taken.status, taken.worker_id, taken.attempts, taken.started_at) == (
        "processing",
        "w3",
        2,
        T0,
    )


async def test_takeover_of_stalled_job_by_claim(db: Database) -> None:
    async with db.session() as session:
        job = await jobs.create(session, new_job(), now=T0)
        await jobs.claim(session, "t1", job.id, worker_id="w1", now=T0)
        soon = T0 + timedelta(seconds=60)
        assert not await jobs.claim(session, "t1", job.id, worker_id="w2", now=soon)
        later = T0 + timedelta(seconds=200)
        assert await jobs.claim(
            session, "t1", job.id, worker_id="w2", now=later, stale_after_seconds=120
        )


async def test_expire_articles_returns_blob_keys_and_keeps_jobs(db: Database) -> None:
    async with db.session() as session:
        old = await jobs.create(session, new_job(article_blob_key="articles/t1/a.txt"), now=T0)
        await jobs.create(session, new_job(), now=T0)  # no blob
        young = await jobs.create(
            session, new_job(article_blob_key="articles/t1/b.txt"), now=T0 + timedelta(days=200)
        )
    cutoff = T0 + timedelta(days=180)
    async with db.session() as session:
        assert await jobs.expire_articles(session, created_before=cutoff) == ["articles/t1/a.txt"]
    async with db.session() as session:
        assert await jobs.expire_articles(session, created_before=cutoff) == []
        expired = await jobs.get(session, "t1", old.id)
        kept = await jobs.get(session, "t1", young.id)
    assert expired is not None
    assert expired.article_blob_key is None
    assert kept is not None
    assert kept.article_blob_key == "articles/t1/b.txt"


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.session() as session:
            await jobs.create(session, new_job(), now=T0.replace(tzinfo=None))
