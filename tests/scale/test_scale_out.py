"""Scale-out proof (issue #10): 2 API processes, 3 workers, a PostgreSQL, Redis and Azurite of
the test's own; 300 jobs submitted to both APIs alternately; mid-run one worker is
``kill -9``ed, another is restarted and Redis is restarted. Every job must end ``completed``
exactly once, with a result equal to what a single embedded process gives for the same text.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from compliance_assistant.config import Settings
from compliance_assistant.storage.db import Database
from tests.api.harness import llm_set_yaml, running_api, settings_for
from tests.doubles.llm_server import LlmDouble, Reply
from tests.scale.cluster import Cluster

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

JOBS = 300
SUBMIT_CONCURRENCY = 12
LLM_LATENCY = 0.15
RUN_SECONDS = 420
WORKER = {
    "concurrency": 4,
    "heartbeat_seconds": 0.5,
    "stalled_after_seconds": 3.0,
    "sweep_interval_seconds": 1.0,
    "requeue_after_seconds": 5.0,
    "retry_initial_seconds": 0.2,
    "retry_max_seconds": 2.0,
}
# Ten article texts; job i checks VARIANTS[i % 10] plus its own number (so no two jobs are
# duplicates of each other), and must get the result the single process gives that variant.
VARIANTS = [
    "Our saver is guaranteed to beat inflation.",
    "Returns may vary and your capital is at risk.",
    "A risk-free way to grow your savings.",
    "Open an account in minutes.",
    "Guaranteed returns, every year, risk-free.",
    "Interest is paid monthly.",
    "The best rate in town, guaranteed.",
    "Fees are listed in the price list.",
    "No risk-free investment exists.",
    "Switching is simple and quick.",
]


def article(index: int) -> str:
    return f"{VARIANTS[index % len(VARIANTS)]}\n\nReference number {index}."


def comparable(result: dict[str, Any]) -> list[Any]:
    """What must not depend on which process ran the job: statuses, findings and quotes."""
    return [
        (
            g["guideline_id"],
            g["status"],
            sorted((f["rule_id"], f["message"], f["span"]["quote"]) for f in g["findings"]),
        )
        for g in sorted(result["guidelines"], key=lambda g: g["guideline_id"])
    ] + [result["score"], result["complete"]]


@pytest.fixture
def cluster(tmp_path: Path, llm_double: LlmDouble) -> Iterator[Cluster]:
    built = Cluster(tmp_path, llm_double.openai_base_url)
    try:
        built.start_services()
        yield built
    finally:
        built.close()


async def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    async with database.read_session() as session:
        return list(await session.execute(text(sql), params))


async def reference_results(
    tmp_path: Path, double: LlmDouble, set_yaml: str, set_id: str
) -> list[list[Any]]:
    """Each variant checked by one embedded process (the single-process baseline)."""
    settings = settings_for("embedded", tmp_path / "reference", double)
    async with running_api("embedded", settings, double) as api:
        await api.create_set(set_yaml)
        return [
            comparable(await api.check(article(i), guideline_set=set_id))
            for i in range(len(VARIANTS))
        ]


async def test_two_apis_three_workers_survive_kill_restart_and_redis_restart(
    tmp_path: Path, cluster: Cluster, llm_double: LlmDouble
) -> None:
    set_id = f"scale-{uuid.uuid4().hex[:8]}"
    markers = (f"{set_id}-a", f"{set_id}-b")
    for marker in markers:
        llm_double.script(f"{marker}-marker", Reply(latency=LLM_LATENCY))
    set_yaml = llm_set_yaml(set_id, *markers)
    expected = await reference_results(tmp_path, llm_double, set_yaml, set_id)

    tenant = "scale-tenant"
    key = (
        cluster.cli(
            "apikey",
            "create",
            "--tenant",
            tenant,
            "--name",
            "scale",
            "--role",
            "writer",
            "--role",
            "admin",
        )
        .strip()
        .splitlines()[-1]
    )
    apis = [cluster.add_api(), cluster.add_api()]
    workers = [cluster.add_worker(**WORKER) for _ in range(3)]
    for api in apis:
        cluster.wait_ready(api)
    for worker in workers:
        cluster.wait_worker_started(worker)
    headers = {"Authorization": f"Bearer {key}"}
    urls = [f"http://127.0.0.1:{api.port}" for api in apis]
    settings = Settings(database={"url": cluster.postgres.url}, data_dir=tmp_path / "probe")
    database = Database.from_settings(settings)
    events: list[str] = []
    submit_retries = 0
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            created = await client.post(
                f"{urls[0]}/api/v1/guideline-sets",
                content=set_yaml.encode(),
                headers={**headers, "Content-Type": "application/yaml"},
            )
            assert created.status_code == 201, created.text

            job_ids: dict[int, str] = {}
            round_robin = itertools.cycle(urls)
            gate = asyncio.Semaphore(SUBMIT_CONCURRENCY)

            async def submit(index: int) -> None:
                nonlocal submit_retries
                body = {"article_text": article(index), "guideline_set": set_id}
                # A client retries a failed submission with the same Idempotency-Key.
                idempotency = {"Idempotency-Key": f"scale-{set_id}-{index}"}
                async with gate:
                    for attempt in range(20):
                        with contextlib.suppress(httpx.TransportError):
                            response = await client.post(
                                f"{next(round_robin)}/api/v1/compliance/check",
                                json=body,
                                headers={**headers, **idempotency},
                            )
                            if response.status_code in (200, 202):
                                job_ids[index] = response.json()["job_id"]
                                return
                            assert response.status_code >= 500 or response.status_code == 429, (
                                response.text
                            )
                        submit_retries += 1
                        await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
                    raise AssertionError(f"job {index} was never accepted")

            submitting = asyncio.gather(*(submit(i) for i in range(JOBS)))

            async def completed() -> int:
                found = await rows(
                    database,
                    "SELECT count(*) FROM jobs WHERE tenant_id = :t AND status = 'completed'",
                    t=tenant,
                )
                return int(found[0][0])

            async def holds_jobs(worker_pid: int) -> bool:
                held = await rows(
                    database,
                    "SELECT count(*) FROM jobs WHERE status = 'processing' AND worker_id LIKE :w",
                    w=f"%:{worker_pid}/%",
                )
                return int(held[0][0]) > 0

            deadline = time.monotonic() + RUN_SECONDS
            victim, restarted = workers[0], workers[1]
            while True:
                done = await completed()
                for worker in workers:
                    if worker is not victim and not worker.alive():
                        raise AssertionError(f"{worker.name} exited:\n{worker.tail()}")
                if not events and done >= 30 and await holds_jobs(victim.pid):
                    victim.kill9()
                    events.append(f"kill -9 {victim.name} at {done} completed")
                elif len(events) == 1 and done >= 100:
                    restarted.stop()
                    restarted.start()
                    events.append(f"restarted {restarted.name} at {done} completed")
                elif len(events) == 2 and done >= 150:
                    cluster.redis.restart()
                    events.append(f"restarted Redis at {done} completed")
                if done >= JOBS:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"only {done}/{JOBS} completed after {RUN_SECONDS} s; events {events}\n"
                        + "\n".join(f"{w.name}: {w.tail(1500)}" for w in workers)
                    )
                await asyncio.sleep(0.25)
            await submitting
            assert len(events) == 3, events

            statuses = await rows(
                database,
                "SELECT id, status, attempts FROM jobs WHERE tenant_id = :t",
                t=tenant,
            )
            assert {row[0] for row in statuses} == set(job_ids.values())
            assert {row[1] for row in statuses} == {"completed"}
            per_job = await rows(
                database,
                "SELECT job_id, count(*) FROM results WHERE tenant_id = :t GROUP BY job_id",
                t=tenant,
            )
            assert len(per_job) == JOBS
            assert {row[1] for row in per_job} == {1}
            per_guideline = await rows(
                database,
                "SELECT job_id, guideline_id, count(*) FROM job_results WHERE tenant_id = :t "
                "GROUP BY job_id, guideline_id",
                t=tenant,
            )
            assert {row[2] for row in per_guideline} == {1}
            # Every guideline of the set (and the built-in prompt-injection check) once per job.
            guidelines_per_job = len(expected[0]) - 2
            assert len(per_guideline) == JOBS * guidelines_per_job

            mismatched = []
            for index, job_id in sorted(job_ids.items()):
                response = await client.get(
                    f"{urls[index % 2]}/api/v1/jobs/{job_id}/result", headers=headers
                )
                assert response.status_code == 200, response.text
                if comparable(response.json()) != expected[index % len(VARIANTS)]:
                    mismatched.append(index)
            assert not mismatched, f"results differ from the single process for {mismatched}"
            retried = sum(1 for row in statuses if row[2] > 1)
            print(
                f"\nscale-out: {JOBS} jobs completed once each; events: {'; '.join(events)}; "
                f"jobs run more than once after the kill: {retried}; "
                f"submission retries: {submit_retries}"
            )
    finally:
        await database.dispose()
