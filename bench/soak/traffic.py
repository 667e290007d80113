"""The soak's steady mixed load: job flows arriving at a fixed rate plus background readers,
every answer recorded by endpoint, tenant and status.

A **job flow** submits one article (JSON text, JSON markdown or a ``.docx`` upload, in turn),
follows it to its end (status polls every second, or the SSE stream for every fourth job),
reads the result of a completed job only (so no planned 409 ``JOB_NOT_COMPLETED``) and, for
every fifth job with findings, gives feedback on its first finding. Flows start on a fixed
schedule (``jobs_per_minute``), whatever the previous ones are doing: an open loop, so a slow
system shows as queue depth, not as a quietly lower rate.

**Background**: ``GET /jobs`` every 5 s and a guideline-set read every 10 s by the main tenant,
and every 10 s a burst of ``GET /jobs`` by the noisy tenant, larger than its per-second budget
— the planned 429s. Main-tenant requests are spread over several users (API keys) and
alternate between the API processes.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from docx import Document

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "articles"
API = "/api/v1"
TERMINAL = frozenset({"completed", "failed", "cancelled"})
POLL_SECONDS = 1.0
LIST_EVERY_SECONDS = 5.0
SETS_EVERY_SECONDS = 10.0
NOISY_EVERY_SECONDS = 10.0
# Beyond the worker's job timeout (300 s) and a retry: a flow still waiting then has failed.
JOB_DEADLINE_SECONDS = 400.0
SUBMISSION_KINDS = ("json-text", "json-markdown", "docx")
SAMPLE_NAMES = (
    "savings-account",
    "personal-loan",
    "investment-fund",
    "energy-tariff",
    "home-insurance",
    "mobile-plan",
    "regular-saver-compliant",
)


@dataclass(frozen=True)
class Call:
    """One answer (status 0: no answer, a transport error)."""

    endpoint: str
    tenant: str
    status: int
    seconds: float
    at: float  # seconds since the load started
    error: str = ""


@dataclass
class JobRecord:
    number: int
    kind: str
    followed_by: str  # "poll" or "sse"
    job_id: str | None = None
    status: str = "not-submitted"
    findings: int = 0
    feedback_given: bool = False


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    calls: list[Call] = field(default_factory=list)
    jobs: list[JobRecord] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started


@dataclass(frozen=True)
class Identity:
    tenant: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


class Articles:
    """Sample articles made unique per job (a reference line), so nothing is deduplicated."""

    def __init__(self, run_tag: str) -> None:
        self.run_tag = run_tag
        self.markdown = {name: (SAMPLES / f"{name}.md").read_text() for name in SAMPLE_NAMES}

    def text(self, number: int) -> tuple[str, str]:
        name = SAMPLE_NAMES[number % len(SAMPLE_NAMES)]
        return name, f"{self.markdown[name]}\n\nReference {self.run_tag}-{number}.\n"

    def docx(self, number: int) -> tuple[str, bytes]:
        name = SAMPLE_NAMES[number % len(SAMPLE_NAMES)]
        document = Document(str(SAMPLES / f"{name}.docx"))
        document.add_paragraph(f"Reference {self.run_tag}-{number}.")
        buffer = io.BytesIO()
        document.save(buffer)
        return f"{name}-{number}.docx", buffer.getvalue()


class Load:
    """Drives the traffic against ``bases`` (one URL per API process) until ``deadline``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        bases: Sequence[str],
        *,
        main_users: Sequence[Identity],
        noisy: Identity,
        set_id: str,
        articles: Articles,
        recorder: Recorder,
        noisy_burst: int,
    ) -> None:
        self.client = client
        self.bases = list(bases)
        self.main_users = list(main_users)
        self.noisy = noisy
        self.set_id = set_id
        self.articles = articles
        self.recorder = recorder
        self.noisy_burst = noisy_burst
        self._turn = itertools.count()

    def _base(self) -> str:
        return self.bases[next(self._turn) % len(self.bases)]

    async def call(
        self, who: Identity, endpoint: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.monotonic()
        headers = {**who.headers, **kwargs.pop("headers", {})}
        try:
            response = await self.client.request(
                method, f"{self._base()}{path}", headers=headers, **kwargs
            )
        except httpx.HTTPError as exc:
            self._record(endpoint, who, 0, started, f"{type(exc).__name__}: {exc}")
            return None
        self._record(endpoint, who, response.status_code, started, _error_code(response))
        return response

    def _record(
        self, endpoint: str, who: Identity, status: int, started: float, error: str
    ) -> None:
        seconds = time.monotonic() - started
        self.recorder.calls.append(
            Call(endpoint, who.tenant, status, seconds, self.recorder.now(), error)
        )

    # -- job flows -------------------------------------------------------------------------

    async def job_flow(self, number: int) -> None:
        who = self.main_users[number % len(self.main_users)]
        record = JobRecord(
            number=number,
            kind=SUBMISSION_KINDS[number % len(SUBMISSION_KINDS)],
            followed_by="sse" if number % 4 == 3 else "poll",
        )
        self.recorder.jobs.append(record)
        accepted = await self.submit(who, record)
        if accepted is None:
            return
        record.job_id = accepted
        record.status = "queued"
        deadline = time.monotonic() + JOB_DEADLINE_SECONDS
        if record.followed_by == "sse":
            record.status = await self.follow_stream(who, accepted, deadline)
        if record.status not in TERMINAL:  # polled jobs, or a stream that ended early
            record.status = await self.poll(who, accepted, deadline)
        if record.status == "completed":
            await self.read_result(who, record)

    async def submit(self, who: Identity, record: JobRecord) -> str | None:
        path = f"{API}/compliance/check"
        endpoint = f"POST /compliance/check ({record.kind})"
        if record.kind == "docx":
            filename, data = await asyncio.to_thread(self.articles.docx, record.number)
            mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            response = await self.call(
                who,
                endpoint,
                "POST",
                path,
                files={"file": (filename, data, mime)},
                data={"guideline_set": self.set_id},
            )
        else:
            title, text = self.articles.text(record.number)
            body = {
                "article_text": text,
                "format": "markdown" if record.kind == "json-markdown" else "text",
                "title": title,
                "guideline_set": self.set_id,
            }
            response = await self.call(who, endpoint, "POST", path, json=body)
        if response is None or response.status_code not in (200, 202):
            record.status = f"refused {response.status_code if response else 'no answer'}"
            return None
        return str(response.json()["job_id"])

    async def poll(self, who: Identity, job_id: str, deadline: float) -> str:
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            answer = await self.call(who, "GET /jobs/{id}/status", "GET", _job(job_id, "status"))
            if answer is not None and answer.status_code == 200:
                status = str(answer.json()["status"])
                if status in TERMINAL:
                    return status
        return "unfinished"

    async def follow_stream(self, who: Identity, job_id: str, deadline: float) -> str:
        """The job's SSE stream to its end; the last status event's status."""
        started = time.monotonic()
        last = "queued"
        url = f"{self._base()}{_job(job_id, 'events')}"
        try:
            async with self.client.stream(
                "GET", url, headers=who.headers, timeout=httpx.Timeout(30, read=60)
            ) as response:
                self._record("GET /jobs/{id}/events (SSE)", who, response.status_code, started, "")
                if response.status_code != 200:
                    return last
                event = ""
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "status":
                        last = str(json.loads(line[5:])["status"])
                    if time.monotonic() > deadline:
                        break
        except httpx.HTTPError as exc:
            self._record(
                "GET /jobs/{id}/events (SSE)", who, 0, started, f"{type(exc).__name__}: {exc}"
            )
        return last

    async def read_result(self, who: Identity, record: JobRecord) -> None:
        assert record.job_id is not None
        answer = await self.call(who, "GET /jobs/{id}/result", "GET", _job(record.job_id, "result"))
        if answer is None or answer.status_code != 200:
            return
        findings = [f for g in answer.json()["guidelines"] for f in g["findings"]]
        record.findings = len(findings)
        if findings and record.number % 5 == 0:
            body = {
                "job_id": record.job_id,
                "action": "dismiss" if record.number % 2 else "accept",
                "reason": "Soak test feedback.",
            }
            sent = await self.call(
                who,
                "POST /findings/{id}/feedback",
                "POST",
                f"{API}/findings/{findings[0]['id']}/feedback",
                json=body,
            )
            record.feedback_given = sent is not None and sent.status_code == 201

    # -- background ------------------------------------------------------------------------

    async def list_jobs(self, turn: int) -> None:
        who = self.main_users[turn % len(self.main_users)]
        await self.call(who, "GET /jobs", "GET", f"{API}/jobs", params={"limit": 20})

    async def read_sets(self, turn: int) -> None:
        who = self.main_users[turn % len(self.main_users)]
        if turn % 2:
            await self.call(
                who, "GET /guideline-sets/{id}", "GET", f"{API}/guideline-sets/{self.set_id}"
            )
        else:
            await self.call(who, "GET /guideline-sets", "GET", f"{API}/guideline-sets")

    async def noisy_burst_once(self, turn: int) -> None:
        del turn
        await asyncio.gather(
            *(
                self.call(self.noisy, "GET /jobs (noisy tenant)", "GET", f"{API}/jobs")
                for _ in range(self.noisy_burst)
            )
        )

    async def run(self, seconds: float, jobs_per_minute: float) -> None:
        """Start flows and background loops for ``seconds``; then wait for every flow."""
        deadline = time.monotonic() + seconds
        flows = asyncio.create_task(_every(60.0 / jobs_per_minute, deadline, self.job_flow))
        background = [
            asyncio.create_task(_every(LIST_EVERY_SECONDS, deadline, self.list_jobs)),
            asyncio.create_task(_every(SETS_EVERY_SECONDS, deadline, self.read_sets)),
            asyncio.create_task(_every(NOISY_EVERY_SECONDS, deadline, self.noisy_burst_once)),
        ]
        await asyncio.gather(flows, *background)


async def _every(
    period: float, deadline: float, action: Callable[[int], Coroutine[Any, Any, None]]
) -> None:
    """Start ``action(n)`` every ``period`` s until ``deadline``, then wait for all of them."""
    started = time.monotonic()
    running: list[asyncio.Task[None]] = []
    for turn in itertools.count():
        start_at = started + turn * period
        if start_at >= deadline:
            break
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        running.append(asyncio.create_task(action(turn)))
    await asyncio.gather(*running)


def _job(job_id: str, what: str) -> str:
    return f"{API}/jobs/{job_id}/{what}"


def _error_code(response: httpx.Response) -> str:
    if response.status_code < 400:
        return ""
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
