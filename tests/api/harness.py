"""Running the API in a test, in either mode, and talking to it.

``embedded``: SQLite in the test's folder, in-process cache and events, local blobs, the
in-process worker. ``production``: the session's PostgreSQL database, Redis (a key prefix of
its own), Azurite, Procrastinate — with a Procrastinate worker running beside the app in the
same event loop (the crash test runs real worker processes instead). Both use the scripted
LLM double, so llm guidelines run and can be made slow.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from compliance_assistant.api.app import create_app
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.config import Settings
from compliance_assistant.storage.db import api_keys
from compliance_assistant.worker.embedded import InProcessQueue
from compliance_assistant.worker.production import ProcrastinateQueue, run_worker_in
from compliance_assistant.worker.runtime import open_worker_deps
from tests.doubles.llm_server import LlmDouble

PEPPER = "test-pepper-" + "9f3b2c7d1e8a4f60"
TERMINAL = ("completed", "failed", "cancelled")
FAST_WORKER = {
    "heartbeat_seconds": 0.5,
    "stalled_after_seconds": 5.0,
    "sweep_interval_seconds": 1.0,
    "requeue_after_seconds": 5.0,
    "retry_initial_seconds": 0.05,
    "retry_max_seconds": 0.2,
    "shutdown_grace_seconds": 0.0,
    "concurrency": 4,
}
TEST_LIMITS = {"max_text_chars": 20_000, "max_json_bytes": 256 * 1024, "max_upload_bytes": 512_000}


@dataclass(frozen=True)
class Services:
    """Where the production-mode services are (from tests.services fixtures)."""

    postgres_url: str
    redis_url: str
    redis_prefix: str
    azurite: str


def settings_for(
    mode: str,
    tmp_path: Path,
    double: LlmDouble,
    services: Services | None = None,
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "tracking": {"enabled": False},
        "llm": {
            "provider": "openai",
            "model": "judge-model",
            "api_key": "sk-double",
            "base_url": double.openai_base_url,
            "timeout_seconds": 30,
            "max_attempts": 1,
            "verdict_cache_ttl_seconds": 0,
        },
        "worker": dict(FAST_WORKER),
        "limits": dict(TEST_LIMITS),
        "api": {"sse_poll_seconds": 0.5, "api_key_pepper": PEPPER, "auth_cache_seconds": 0},
    }
    if mode == "production":
        assert services is not None
        values.update(
            environment="production",
            database={"url": services.postgres_url},
            redis={"url": services.redis_url, "key_prefix": services.redis_prefix},
            blob={
                "backend": "azure",
                "azure_connection_string": services.azurite,
                "azure_container": "api-tests",
            },
        )
    else:
        values["database"] = {"url": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'app.db'}"}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(**values)


@dataclass
class Api:
    """An httpx client on the app plus what tests need to reach behind it."""

    mode: str
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    double: LlmDouble
    tenant: str
    headers: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def ctx(self) -> ServiceContext:
        ctx: ServiceContext = self.app.state.api.ctx
        return ctx

    async def submit(
        self, text: str | None = None, *, headers: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        payload = dict(body)
        if text is not None:
            payload["article_text"] = text
        return await self.client.post(
            "/api/v1/compliance/check", json=payload, headers={**self.headers, **(headers or {})}
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.get(path, headers=headers, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.post(path, headers=headers, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.delete(path, headers=headers, **kwargs)

    async def status(self, job_id: str) -> dict[str, Any]:
        response = await self.get(f"/api/v1/jobs/{job_id}/status")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_for(
        self, job_id: str, statuses: tuple[str, ...] = TERMINAL, seconds: float = 30.0
    ) -> dict[str, Any]:
        """Poll the status until it is one of ``statuses`` (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            body = await self.status(job_id)
            if body["status"] in statuses:
                return body
            if loop.time() > deadline:
                raise AssertionError(f"job {job_id} still {body['status']} after {seconds} s")
            await asyncio.sleep(0.05)

    async def wait_idle(self, job_id: str, seconds: float = 10.0) -> None:
        """Wait until no worker runs the job any more (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while await self._running(job_id):
            if loop.time() > deadline:
                raise AssertionError(f"job {job_id} still running after {seconds} s")
            await asyncio.sleep(0.05)

    async def _running(self, job_id: str) -> bool:
        queue = self.ctx.queue
        if isinstance(queue, InProcessQueue):
            return queue.running > 0
        assert isinstance(queue, ProcrastinateQueue)
        doing = await queue.app.job_manager.list_jobs_async(queueing_lock=job_id, status="doing")
        return bool(list(doing))

    async def check(self, text: str | None, **body: Any) -> dict[str, Any]:
        """Submit and wait for completion; returns the result."""
        response = await self.submit(text, **body)
        assert response.status_code in (200, 202), response.text
        job_id = response.json()["job_id"]
        status = await self.wait_for(job_id)
        assert status["status"] == "completed", status
        result = await self.get(f"/api/v1/jobs/{job_id}/result")
        assert result.status_code == 200, result.text
        data: dict[str, Any] = result.json()
        return data

    async def create_set(self, yaml_text: str) -> dict[str, Any]:
        response = await self.post(
            "/api/v1/guideline-sets",
            content=yaml_text.encode(),
            headers={"Content-Type": "application/yaml"},
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def llm_set_yaml(set_id: str, *markers: str, rule: bool = True) -> str:
    """A tenant set with one llm guideline per marker (the double matches the marker) and,
    optionally, a fast rule guideline."""
    body = "".join(
        f"  - id: {m}\n    title: Guideline {m}\n    kind: llm\n    severity: error\n"
        f"    instruction: Judge marker {m}-marker.\n"
        for m in markers
    )
    if rule:
        body += (
            "  - id: no-guarantees\n    title: No guaranteed returns\n    kind: rule\n"
            "    severity: error\n    rules:\n      - name: Guarantees\n"
            "        extends: existence\n        message: \"Do not promise '%s'.\"\n"
            "        level: error\n        ignorecase: true\n"
            "        tokens: [guaranteed, risk-free]\n"
            "    examples:\n      violation: ['Guaranteed returns.']\n"
            "      compliant: ['Returns may vary.']\n"
        )
    return f"id: {set_id}\nversion: 1\ntitle: Test set {set_id}\nguidelines:\n{body}"


async def make_key(settings: Settings, tenant: str, roles: list[str]) -> str:
    from datetime import UTC, datetime

    from compliance_assistant.storage.db import Database

    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            _, key = await api_keys.create(
                session,
                tenant,
                name=f"test {'+'.join(roles)}",
                roles=roles,
                pepper=PEPPER.encode(),
                now=datetime.now(UTC),
            )
    finally:
        await database.dispose()
    return key


@contextlib.asynccontextmanager
async def running_api(
    mode: str, settings: Settings, double: LlmDouble, *, worker: bool = True
) -> AsyncIterator[Api]:
    """The app with its lifespan entered (and, in production mode, a worker beside it)."""
    app = create_app(settings, mode="production" if mode == "production" else "embedded")
    tenant = "local"
    keys: dict[str, str] = {}
    if mode == "production":
        tenant = f"tenant-{secrets.token_hex(4)}"
        keys["a"] = await make_key(settings, tenant, ["writer", "reviewer", "admin"])
        keys["b"] = await make_key(settings, f"{tenant}-b", ["writer", "reviewer", "admin"])
        keys["reader"] = await make_key(settings, tenant, [])
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        ctx: ServiceContext = app.state.api.ctx
        if mode == "production" and worker:
            deps = await stack.enter_async_context(open_worker_deps(ctx))
            queue = ctx.queue
            assert isinstance(queue, ProcrastinateQueue)
            task = asyncio.create_task(run_worker_in(ctx, queue, deps))
            stack.push_async_callback(_stop, task)
        transport = httpx.ASGITransport(app=app)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=60)
        )
        headers = {"Authorization": f"Bearer {keys['a']}"} if keys else {}
        yield Api(mode, app, client, settings, double, tenant, headers, keys)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
