"""Dependency failures against real processes (issue #10): Smart Search down, slow and
erroring; an LLM 429 storm; PostgreSQL restarted mid-run; Azurite down. One private cluster
(PostgreSQL, Redis, Azurite, one API, two workers) serves the module; each test uses its own
guideline set and puts back what it broke.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from compliance_assistant.gtc.library import GtcLibrary
from tests.doubles.llm_server import LlmDouble, Reply
from tests.gtc.harness import API_KEY, Fault, Faults, RunningServer
from tests.scale.cluster import Cluster, ServiceProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
TERMINAL = ("completed", "failed", "cancelled")
WORKER = {
    "concurrency": 4,
    "heartbeat_seconds": 0.5,
    "stalled_after_seconds": 3.0,
    "sweep_interval_seconds": 1.0,
    "requeue_after_seconds": 5.0,
    "retry_initial_seconds": 0.2,
    "retry_max_seconds": 2.0,
}
GTC_SET = """id: {set_id}
version: 1
title: GTC consistency
guidelines:
  - id: gtc-consistency
    title: Claims agree with the product's GTC
    kind: gtc
    severity: error
"""


def llm_set(set_id: str, marker: str) -> str:
    return (
        f"id: {set_id}\nversion: 1\ntitle: LLM set\nguidelines:\n"
        f"  - id: judged\n    title: Judged\n    kind: llm\n    severity: error\n"
        f"    instruction: Judge marker {marker}.\n"
    )


@dataclass
class Deployment:
    cluster: Cluster
    api: ServiceProcess
    workers: list[ServiceProcess]
    smart_search: RunningServer
    faults: Faults
    client: httpx.AsyncClient
    llm: LlmDouble

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api.port}"

    async def create_set(self, yaml_text: str) -> None:
        response = await self.client.post(
            f"{self.url}/api/v1/guideline-sets",
            content=yaml_text.encode(),
            headers={"Content-Type": "application/yaml"},
        )
        assert response.status_code == 201, response.text

    async def submit(self, text: str, **body: Any) -> httpx.Response:
        return await self.client.post(
            f"{self.url}/api/v1/compliance/check", json={"article_text": text, **body}
        )

    async def accepted(self, text: str, **body: Any) -> str:
        response = await self.submit(text, **body)
        assert response.status_code == 202, response.text
        job_id: str = response.json()["job_id"]
        return job_id

    async def finished(self, job_id: str, seconds: float = 90) -> dict[str, Any]:
        """Bounded polling of the job's status until it is terminal."""
        deadline = time.monotonic() + seconds
        while True:
            response = await self.client.get(f"{self.url}/api/v1/jobs/{job_id}/status")
            if response.status_code == 200 and response.json()["status"] in TERMINAL:
                body: dict[str, Any] = response.json()
                return body
            for worker in self.workers:
                assert worker.alive(), f"{worker.name} died:\n{worker.tail()}"
            if time.monotonic() > deadline:
                logs = "\n".join(f"{w.name}:\n{w.tail(2000)}" for w in self.workers)
                raise AssertionError(f"job {job_id} not finished after {seconds} s\n{logs}")
            await asyncio.sleep(0.2)

    async def result(self, job_id: str) -> dict[str, Any]:
        response = await self.client.get(f"{self.url}/api/v1/jobs/{job_id}/result")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def smart_search(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, Faults]]:
    # A copy: opening a library writes its index next to the documents.
    library = tmp_path_factory.mktemp("smart-search") / "library"
    shutil.copytree(ROOT / "samples" / "gtc", library, ignore=shutil.ignore_patterns(".gtc-*"))
    faults = Faults()
    server = RunningServer(GtcLibrary.open(library), faults).start()
    try:
        yield server, faults
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def deployment(
    tmp_path_factory: pytest.TempPathFactory,
    llm_double: LlmDouble,
    smart_search: tuple[RunningServer, Faults],
) -> AsyncIterator[Deployment]:
    server, faults = smart_search
    cluster = Cluster(
        tmp_path_factory.mktemp("failures"),
        llm_double.openai_base_url,
        extra_env={
            "COMPLIANCE_GTC__SMART_SEARCH_URL": server.url,
            "COMPLIANCE_GTC__SMART_SEARCH_API_KEY": API_KEY,
            "COMPLIANCE_GTC__SEARCH_TIMEOUT_SECONDS": "1",
            "COMPLIANCE_GTC__DOWNLOAD_TIMEOUT_SECONDS": "2",
            "COMPLIANCE_GTC__RETRY_INITIAL_SECONDS": "0.1",
            "COMPLIANCE_GTC__RETRY_MAX_SECONDS": "0.3",
            "COMPLIANCE_LLM__RETRY_MAX_WAIT_SECONDS": "1",
        },
    )
    try:
        cluster.start_services()
        key = (
            cluster.cli(
                "apikey",
                "create",
                "--tenant",
                "failures",
                "--name",
                "failures",
                "--role",
                "writer",
                "--role",
                "admin",
            )
            .strip()
            .splitlines()[-1]
        )
        api = cluster.add_api()
        workers = [cluster.add_worker(**WORKER) for _ in range(2)]
        cluster.wait_ready(api)
        for worker in workers:
            cluster.wait_worker_started(worker)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(timeout=30, headers=headers) as client:
            yield Deployment(cluster, api, workers, server, faults, client, llm_double)
    finally:
        cluster.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def guideline(result: dict[str, Any], guideline_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        g for g in result["guidelines"] if g["guideline_id"] == guideline_id
    )
    return found


async def test_smart_search_down_slow_and_erroring_never_block_or_pass(
    deployment: Deployment,
) -> None:
    set_id = unique("gtc")
    await deployment.create_set(GTC_SET.format(set_id=set_id))
    easy_saver = (ROOT / "samples" / "articles" / "gtc-easy-saver.md").read_text()
    flexiloan = (ROOT / "samples" / "articles" / "gtc-flexiloan.md").read_text()

    # Healthy: the Easy Saver terms are found, downloaded and cached; the fee claim fails.
    job = await deployment.accepted(easy_saver, format="markdown", guideline_set=set_id)
    assert (await deployment.finished(job))["status"] == "completed"
    healthy = guideline(await deployment.result(job), "gtc-consistency")
    assert healthy["status"] == "fail"

    # Erroring (500s on every request): cached terms stand in; a product never fetched is
    # not_run with the reason; the breaker opens, so later checks stop calling the server.
    deployment.faults.down = True
    try:
        job = await deployment.accepted(
            easy_saver + "\n\nChecked while Smart Search is down.",
            format="markdown",
            guideline_set=set_id,
        )
        assert (await deployment.finished(job))["status"] == "completed"
        cached = guideline(await deployment.result(job), "gtc-consistency")
        assert cached["status"] == "fail", cached
        for attempt in range(4):
            job = await deployment.accepted(
                flexiloan + f"\n\nAttempt {attempt} while down.",
                format="markdown",
                guideline_set=set_id,
            )
            status = await deployment.finished(job)
            assert status["status"] == "completed", status
            uncached = guideline(await deployment.result(job), "gtc-consistency")
            assert uncached["status"] == "not_run", uncached
            assert uncached["reason"]
        calls = deployment.faults.count()
        job = await deployment.accepted(
            flexiloan + "\n\nOnce the breaker is open.", format="markdown", guideline_set=set_id
        )
        assert (await deployment.finished(job))["status"] == "completed"
        assert guideline(await deployment.result(job), "gtc-consistency")["status"] == "not_run"
        # Two workers, each with its own breaker: at most a half-open probe each.
        assert deployment.faults.count() - calls <= 2
    finally:
        deployment.faults.down = False

    # Slow (answers after the 1 s search timeout): still bounded, still never a pass.
    deployment.faults.script.extend([Fault(200, delay=3.0)] * 40)
    try:
        started = time.monotonic()
        job = await deployment.accepted(
            flexiloan + "\n\nWhile Smart Search is slow.", format="markdown", guideline_set=set_id
        )
        assert (await deployment.finished(job, seconds=60))["status"] == "completed"
        slow = guideline(await deployment.result(job), "gtc-consistency")
        assert slow["status"] in ("not_run", "fail", "error"), slow
        assert slow["status"] != "pass"
        assert time.monotonic() - started < 60
    finally:
        deployment.faults.script.clear()


async def test_an_llm_429_storm_is_absorbed_and_no_job_is_lost(deployment: Deployment) -> None:
    set_id, marker = unique("storm"), unique("storm-marker")
    deployment.llm.script(
        marker, *[Reply(fault="rate_limit", retry_after=0.2)] * 12, Reply(latency=0.05)
    )
    await deployment.create_set(llm_set(set_id, marker))
    before = sum(1 for r in deployment.llm.requests if r.fault == "rate_limit")
    jobs = [
        await deployment.accepted(f"Storm article {i}: plain words.", guideline_set=set_id)
        for i in range(8)
    ]
    statuses = [await deployment.finished(job, seconds=120) for job in jobs]
    assert {s["status"] for s in statuses} == {"completed"}
    for job in jobs:
        judged = guideline(await deployment.result(job), "judged")
        assert judged["status"] == "pass", (judged, deployment.workers[0].tail())
    storm = sum(1 for r in deployment.llm.requests if r.fault == "rate_limit") - before
    assert storm == 12


async def test_postgres_restart_mid_run_answers_503_and_every_job_resumes(
    deployment: Deployment,
) -> None:
    set_id, marker = unique("pg"), unique("pg-marker")
    deployment.llm.script(marker, Reply(latency=0.5))
    await deployment.create_set(llm_set(set_id, marker))
    jobs = [
        await deployment.accepted(f"Restart article {i}.", guideline_set=set_id) for i in range(16)
    ]
    postgres = deployment.cluster.postgres
    postgres.stop("fast")
    answers: list[httpx.Response] = []
    try:
        for _ in range(10):
            answers.append(await deployment.submit("Submitted during the outage."))
            answers.append(await deployment.client.get(f"{deployment.url}/api/v1/jobs?limit=5"))
            answers.append(await deployment.client.get(f"{deployment.url}/health/ready"))
            await asyncio.sleep(0.2)
    finally:
        postgres.start()
    statuses = {answer.status_code for answer in answers}
    assert 500 not in statuses, [a.text for a in answers if a.status_code == 500][:3]
    unavailable = [a for a in answers if a.status_code == 503]
    assert unavailable, statuses
    assert all(a.headers.get("Retry-After") for a in unavailable)
    assert all(a.json()["error"]["code"] for a in unavailable)
    finished = [await deployment.finished(job, seconds=120) for job in jobs]
    assert {s["status"] for s in finished} == {"completed"}, finished
    # And the service takes new work again.
    job = await deployment.accepted("After the restart.", guideline_set=set_id)
    assert (await deployment.finished(job))["status"] == "completed"


async def test_azurite_down_fails_clearly_and_never_shows_partial_results_as_complete(
    deployment: Deployment,
) -> None:
    set_id, marker = unique("blob"), unique("blob-marker")
    deployment.llm.script(marker, Reply(latency=1.0))
    await deployment.create_set(llm_set(set_id, marker))
    in_flight = [
        await deployment.accepted(f"Blob article {i}.", guideline_set=set_id) for i in range(4)
    ]
    azurite = deployment.cluster.azurite
    azurite.stop()
    try:
        during = await deployment.submit("Submitted while blob storage is down.")
        assert during.status_code in (202, 503), during.text
        if during.status_code == 503:
            assert during.headers.get("Retry-After")
        finished = [await deployment.finished(job, seconds=120) for job in in_flight]
    finally:
        azurite.start()
    for job, status in zip(in_flight, finished, strict=True):
        if status["status"] == "completed":
            assert (await deployment.result(job))["complete"] is True
        else:
            assert status["status"] == "failed"
            assert status.get("error"), status
