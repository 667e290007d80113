"""The worker's own ``/metrics`` endpoint (``worker.metrics_port``), as ``compliance worker``
starts it: ``run_worker`` beside an API that only accepts jobs."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest

from compliance_assistant.worker.production import run_worker
from tests.api.harness import Services, running_api, settings_for
from tests.doubles.llm_server import LlmDouble
from tests.observability.scrape import Scrape
from tests.services import free_port

pytestmark = pytest.mark.anyio


async def _scrape(client: httpx.AsyncClient, url: str) -> Scrape:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return Scrape(response.text)


async def _wait_until_listening(client: httpx.AsyncClient, url: str, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        with contextlib.suppress(httpx.TransportError):
            await client.get(url)
            return
        if loop.time() > deadline:
            raise AssertionError(f"the worker's metrics server did not start within {seconds} s")
        await asyncio.sleep(0.05)


async def test_the_worker_serves_metrics_on_its_port(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    port = free_port()
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        production_services,
        worker={"metrics_port": port, "metrics_host": "127.0.0.1"},
    )
    url = f"http://127.0.0.1:{port}/metrics"
    async with (
        running_api("production", settings, llm_double, worker=False) as api,
        httpx.AsyncClient(timeout=10) as client,
    ):
        worker = asyncio.create_task(run_worker(settings, install_signal_handlers=False))
        try:
            await _wait_until_listening(client, url, 30)
            before = await _scrape(client, url)
            response = await api.submit("Our savings account pays 2% a year.")
            assert response.status_code == 202, response.text
            job_id = response.json()["job_id"]
            assert (await api.wait_for(job_id))["status"] == "completed"
            await api.wait_idle(job_id)
            after = await _scrape(client, url)
            missing = await client.get(f"http://127.0.0.1:{port}/")
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
    completed = {"outcome": "completed"}
    assert after.value("compliance_job_duration_seconds_count", **completed) == (
        before.value("compliance_job_duration_seconds_count", **completed) + 1
    )
    for name in ("compliance_queue_depth", "compliance_jobs_processing"):
        assert after.has(name), name
    assert after.value("compliance_db_pool_size", pool="primary") == 20
    assert missing.status_code == 404
