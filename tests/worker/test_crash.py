"""Two real `compliance worker` processes, 30 jobs, `kill -9` of one while it holds jobs: the
other takes them over, every job completes exactly once, none is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from compliance_assistant.config import Settings
from compliance_assistant.storage.db import Database
from tests.api.harness import Services, llm_set_yaml, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble, Reply

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
JOBS = 30
LLM_LATENCY = 1.0
CRASH_WORKER = {
    "concurrency": 4,
    "heartbeat_seconds": 0.5,
    "stalled_after_seconds": 3.0,
    "sweep_interval_seconds": 1.0,
    "requeue_after_seconds": 5.0,
}


def worker_env(settings: Settings, services: Services, queue: str) -> dict[str, str]:
    llm = settings.llm
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(
        {
            "COMPLIANCE_ENVIRONMENT": "production",
            "COMPLIANCE_DATA_DIR": str(settings.data_dir),
            "COMPLIANCE_LOG_LEVEL": "INFO",
            "COMPLIANCE_DATABASE__URL": services.postgres_url,
            "COMPLIANCE_REDIS__URL": services.redis_url,
            "COMPLIANCE_REDIS__KEY_PREFIX": services.redis_prefix,
            "COMPLIANCE_BLOB__BACKEND": "azure",
            "COMPLIANCE_BLOB__AZURE_CONNECTION_STRING": services.azurite,
            "COMPLIANCE_BLOB__AZURE_CONTAINER": settings.blob.azure_container,
            "COMPLIANCE_LLM__PROVIDER": "openai",
            "COMPLIANCE_LLM__MODEL": llm.model or "",
            "COMPLIANCE_LLM__API_KEY": "sk-double",
            "COMPLIANCE_LLM__BASE_URL": str(llm.base_url),
            "COMPLIANCE_LLM__MAX_ATTEMPTS": "1",
            "COMPLIANCE_LLM__VERDICT_CACHE_TTL_SECONDS": "0",
            "COMPLIANCE_TRACKING__ENABLED": "false",
            "COMPLIANCE_WORKER__QUEUE_NAME": queue,
            # Two workers on one host: no metrics servers fighting over one port.
            "COMPLIANCE_WORKER__METRICS_PORT": "0",
        }
    )
    env.update({f"COMPLIANCE_WORKER__{k.upper()}": str(v) for k, v in CRASH_WORKER.items()})
    return env


async def wait_until(condition: Any, what: str, seconds: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = await condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting until {what}")
        await asyncio.sleep(0.1)


async def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    async with database.read_session() as session:
        return list(await session.execute(text(sql), params))


async def test_kill_9_one_worker_the_other_finishes_every_job_once(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    queue = unique("crash-queue")
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        worker={**CRASH_WORKER, "queue_name": queue},
    )
    set_id, slow_a, slow_b = unique("crash-set"), unique("slow-a"), unique("slow-b")
    for marker in (slow_a, slow_b):
        llm_double.script(f"{marker}-marker", Reply(latency=LLM_LATENCY))
    env = worker_env(settings, production_services, queue)
    compliance = str(Path(sys.executable).parent / "compliance")
    logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
    workers = []
    for log in logs:
        with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
            workers.append(
                subprocess.Popen(
                    [compliance, "worker"], env=env, cwd=tmp_path, stdout=sink, stderr=sink
                )
            )
    host = socket.gethostname()
    database = Database.from_settings(settings)
    try:
        async with running_api("production", settings, llm_double, worker=False) as api:
            await api.create_set(llm_set_yaml(set_id, slow_a, slow_b))
            ids = []
            for i in range(JOBS):
                response = await api.submit(f"Article {i}: guaranteed gains.", guideline_set=set_id)
                assert response.status_code == 202, response.text
                ids.append(response.json()["job_id"])
            tenant = api.tenant
            victim, survivor = workers

            async def victim_holds_jobs() -> list[str]:
                for process, log in zip(workers, logs, strict=True):
                    if process.poll() is not None:
                        raise AssertionError(f"worker exited early:\n{log.read_text()[-3000:]}")
                held = await rows(
                    database,
                    "SELECT id FROM jobs WHERE tenant_id = :t AND status = 'processing' "
                    "AND worker_id LIKE :w",
                    t=tenant,
                    w=f"{host}:{victim.pid}/%",
                )
                return [row[0] for row in held]

            held = await wait_until(victim_holds_jobs, "the first worker holds a job", 60)
            victim.send_signal(signal.SIGKILL)
            assert victim.wait(10) == -signal.SIGKILL
            # Still recorded as the dead worker's, in progress, at the moment of the kill.
            orphaned = await rows(
                database,
                "SELECT id FROM jobs WHERE status = 'processing' AND worker_id LIKE :w",
                w=f"{host}:{victim.pid}/%",
            )
            assert {row[0] for row in orphaned} >= set(held)

            async def all_finished() -> bool:
                if survivor.poll() is not None:
                    raise AssertionError(f"survivor exited:\n{logs[1].read_text()[-3000:]}")
                pending = await rows(
                    database,
                    "SELECT count(*) FROM jobs WHERE tenant_id = :t AND status IN "
                    "('queued', 'processing')",
                    t=tenant,
                )
                return pending[0][0] == 0

            await wait_until(all_finished, "every job finished", 90)
            statuses = await rows(
                database,
                "SELECT id, status, attempts, worker_id FROM jobs WHERE tenant_id = :t",
                t=tenant,
            )
            by_id = {row[0]: row for row in statuses}
            assert set(by_id) == set(ids)
            assert {row[1] for row in statuses} == {"completed"}, statuses
            for job_id in held:
                _, _, attempts, worker_id = by_id[job_id]
                assert attempts >= 2
                assert worker_id.startswith(f"{host}:{survivor.pid}/")
            results = await rows(
                database,
                "SELECT job_id, count(*) FROM results WHERE tenant_id = :t GROUP BY job_id",
                t=tenant,
            )
            assert len(results) == JOBS
            assert {row[1] for row in results} == {1}
            per_guideline = await rows(
                database,
                "SELECT job_id, guideline_id, count(*) FROM job_results WHERE tenant_id = :t "
                "GROUP BY job_id, guideline_id",
                t=tenant,
            )
            assert {row[2] for row in per_guideline} == {1}
            guideline_counts = {row[0] for row in per_guideline}
            assert guideline_counts == set(ids)
            for job_id in held:
                result = await api.get(f"/api/v1/jobs/{job_id}/result")
                assert result.status_code == 200
                assert result.json()["complete"] is True
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        await database.dispose()
