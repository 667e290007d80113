"""A check killed half-way (SIGKILL, a real separate process) resumes where it stopped:
only the unfinished guidelines call the model again. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver

from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.pipeline.checkpoint import open_checkpointer
from compliance_assistant.pipeline.context import CheckContext
from compliance_assistant.pipeline.graph import run_check
from tests.doubles.fixtures import judge_for, marker, plan_of, unique
from tests.doubles.llm_server import LlmDouble, Reply
from tests.pipeline.crash_worker import crash_document

REPO = Path(__file__).resolve().parents[2]
FAST = ["fast0", "fast1", "fast2"]
SLOW = ["slow0", "slow1", "slow2", "slow3"]


@pytest.fixture(params=["sqlite", "postgres"])
def checkpoint_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'checkpoints.db'}"
    return str(request.getfixturevalue("postgres_checkpoint_url"))


async def finished_guidelines(saver: BaseCheckpointSaver[Any], job_id: str) -> set[str]:
    """Guideline ids whose verdict is saved as a pending write of the branch superstep."""
    found = await saver.aget_tuple({"configurable": {"thread_id": job_id}})
    if found is None:
        return set()
    return {
        verdict["result"]["guideline_id"]
        for _, channel, value in found.pending_writes or []
        if channel == "verdicts"
        for verdict in value
    }


async def wait_until(condition: Any, what: str, seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.05)


@pytest.mark.anyio
async def test_resume_after_kill_9_calls_only_unfinished_guidelines(
    double: LlmDouble, checkpoint_url: str
) -> None:
    job_id = unique("crash")
    for gid in FAST:
        double.script(marker(gid), Reply(latency=0))
    for gid in SLOW:
        double.script(marker(gid), Reply(latency=120))  # still in flight when killed
    ids = FAST + SLOW
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.pipeline.crash_worker",
            "--checkpoint-url",
            checkpoint_url,
            "--job-id",
            job_id,
            "--llm-url",
            double.openai_base_url,
            "--guidelines",
            ",".join(ids),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        async with open_checkpointer(checkpoint_url) as saver:

            async def fast_ones_saved() -> bool:
                if worker.poll() is not None:
                    raise AssertionError(f"worker exited early: {worker.stderr.read()!r}")  # type: ignore[union-attr]
                done = await finished_guidelines(saver, job_id)
                return set(FAST) <= done and all(double.count(marker(g)) == 1 for g in SLOW)

            await wait_until(fast_ones_saved, "the fast guidelines are checkpointed")
            os.kill(worker.pid, signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
            done_before = await finished_guidelines(saver, job_id)
            assert not set(SLOW) & done_before

            double.clear_requests()
            for gid in SLOW:
                double.script(marker(gid), Reply(latency=0))
            async with judge_for(double) as judge:
                result = await run_check(
                    crash_document(),
                    plan_of(*ids),
                    job_id=job_id,
                    context=CheckContext(judge=judge),
                    checkpointer=saver,
                )
            # Only the n - k unfinished guidelines called the model again.
            assert double.count() == len(SLOW)
            assert sorted(r.matched for r in double.requests) == sorted(map(marker, SLOW))
            assert result.complete
            assert {g.guideline_id for g in result.guidelines} >= set(ids)
            assert all(g.status is GuidelineStatus.PASS for g in result.guidelines)
            # The finished job's checkpoints are gone.
            assert await saver.aget_tuple({"configurable": {"thread_id": job_id}}) is None
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        for stream in (worker.stdout, worker.stderr):
            if stream is not None:
                stream.close()
