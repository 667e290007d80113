"""Checkpointers (SQLite file in WAL mode, PostgreSQL), cancellation and clean-up."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from compliance_assistant.engine.examples import example_document
from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.pipeline.checkpoint import default_checkpoint_url, open_checkpointer
from compliance_assistant.pipeline.context import CheckContext
from compliance_assistant.pipeline.events import CheckEvent
from compliance_assistant.pipeline.graph import run_check
from tests.doubles.fixtures import judge_for, marker, plan_of, unique
from tests.doubles.llm_server import LlmDouble, Reply
from tests.llm.articles import article
from tests.pipeline.test_resume import finished_guidelines, wait_until


@pytest.fixture(params=["sqlite", "postgres"])
def checkpoint_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nested' / 'checkpoints.db'}"
    return str(request.getfixturevalue("postgres_checkpoint_url"))


def thread(job_id: str) -> Any:
    return {"configurable": {"thread_id": job_id}}


@pytest.mark.anyio
async def test_sqlite_checkpoints_live_in_their_own_wal_file(tmp_path: Path) -> None:
    url = default_checkpoint_url(tmp_path / "data")
    assert url.endswith("/data/checkpoints.db")
    async with open_checkpointer(url) as saver:
        assert await saver.aget_tuple(thread("none")) is None
    with sqlite3.connect(tmp_path / "data" / "checkpoints.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.anyio
async def test_unsupported_checkpoint_url() -> None:
    with pytest.raises(ValueError, match="unsupported checkpoint URL"):
        async with open_checkpointer("mysql://db/x"):
            pass


@pytest.mark.anyio
async def test_checkpoints_are_deleted_when_the_job_completes(
    double: LlmDouble, checkpoint_url: str
) -> None:
    job_id = unique("done")
    async with open_checkpointer(checkpoint_url) as saver, judge_for(double) as judge:
        result = await run_check(
            article(),
            plan_of("x"),
            job_id=job_id,
            context=CheckContext(judge=judge),
            checkpointer=saver,
        )
        assert result.complete
        assert await saver.aget_tuple(thread(job_id)) is None


@pytest.mark.anyio
async def test_cancelling_keeps_finished_branches_and_the_rerun_resumes(
    double: LlmDouble, checkpoint_url: str
) -> None:
    job_id = unique("cancel")
    done, pending = ["d0", "d1"], ["p0", "p1", "p2"]
    for gid in pending:
        double.script(marker(gid), Reply(latency=60))
    async with open_checkpointer(checkpoint_url) as saver, judge_for(double) as judge:
        context = CheckContext(judge=judge)
        task = asyncio.create_task(
            run_check(
                article(),
                plan_of(*done, *pending),
                job_id=job_id,
                context=context,
                checkpointer=saver,
            )
        )

        async def finished_saved() -> bool:
            return set(done) <= await finished_guidelines(saver, job_id) and double.count() == 5

        await wait_until(finished_saved, "the fast branches are saved")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        saved = await finished_guidelines(saver, job_id)
        assert set(done) <= saved
        assert not set(pending) & saved

        double.reset()
        events: list[CheckEvent] = []

        async def listen(event: CheckEvent) -> None:
            events.append(event)

        result = await run_check(
            article(),
            plan_of(*done, *pending),
            job_id=job_id,
            context=context,
            checkpointer=saver,
            on_event=listen,
        )
        assert double.count() == len(pending)
        assert result.complete
        assert all(g.status is GuidelineStatus.PASS for g in result.guidelines)
        started = events[0]
        assert started.type == "check.started"
        assert started.resumed
        replayed = [e for e in events if e.type == "guideline.completed" and e.resumed]
        assert {e.guideline_id for e in replayed} >= set(done)
        assert await saver.aget_tuple(thread(job_id)) is None


@pytest.mark.anyio
async def test_a_checkpoint_of_another_document_is_discarded(
    double: LlmDouble, tmp_path: Path
) -> None:
    job_id = unique("other")
    double.script(marker("slow"), Reply(latency=60))
    async with (
        open_checkpointer(f"sqlite:///{tmp_path / 'c.db'}") as saver,
        judge_for(double) as judge,
    ):
        context = CheckContext(judge=judge)
        task = asyncio.create_task(
            run_check(
                article(),
                plan_of("fast", "slow"),
                job_id=job_id,
                context=context,
                checkpointer=saver,
            )
        )

        async def fast_saved() -> bool:
            return "fast" in await finished_guidelines(saver, job_id)

        await wait_until(fast_saved, "the fast branch is saved")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        double.reset()
        await run_check(
            example_document("A different article."),
            plan_of("fast", "slow"),
            job_id=job_id,
            context=context,
            checkpointer=saver,
        )
        assert double.count() == 2  # nothing reused from the other document
