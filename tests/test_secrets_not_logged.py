"""Secrets are never logged: the API and the worker run with known secret values configured,
serve successful and failing requests (bad key, unknown job, bad bodies, a failing model
call), and no secret value appears in any log line, traceback or response.

Two runs: in-process in production mode (PostgreSQL with a password in its URL, Redis,
Azurite, the Procrastinate worker) with every log record captured at DEBUG; and a real
``compliance serve`` process (embedded worker) whose whole stdout/stderr is read.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from compliance_assistant.storage.db import Database, api_keys
from tests.api.conftest import llm_double, production_services
from tests.api.harness import PEPPER, Services, llm_set_yaml, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble, Reply
from tests.services import (
    AZURITE_KEY,
    REPO_ROOT,
    azurite_connection_string,
    free_port,
    postgres_url,
    redis_key_prefix,
    redis_url,
    wait_for_port,
)

__all__ = [
    "azurite_connection_string",
    "llm_double",
    "postgres_url",
    "production_services",
    "redis_key_prefix",
    "redis_url",
]
LLM_KEY = "sk-known-llm-" + secrets.token_hex(12)
pytestmark = pytest.mark.anyio
SMART_SEARCH_KEY = "smart-known-" + secrets.token_hex(12)
DB_PASSWORD = "DbKnown" + secrets.token_hex(10)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def with_password(url: str, password: str) -> str:
    scheme, _, rest = url.partition("://")
    user, _, host = rest.partition("@")
    return f"{scheme}://{user}:{password}@{host}"


async def exercise(
    client: httpx.AsyncClient, double: LlmDouble, headers: dict[str, str]
) -> list[httpx.Response]:
    """Successful and failing requests, and a check whose model call fails."""
    set_id, good, failing = unique("secret-set"), unique("good"), unique("failing")
    double.script(f"{failing}-marker", Reply(fault="server_error"))
    created = await client.post(
        "/api/v1/guideline-sets",
        content=llm_set_yaml(set_id, good, failing).encode(),
        headers={**headers, "Content-Type": "application/yaml"},
    )
    assert created.status_code == 201, created.text
    responses = [created]
    submitted = await client.post(
        "/api/v1/compliance/check",
        json={"article_text": f"Guaranteed returns {unique('t')}", "guideline_set": set_id},
        headers=headers,
    )
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]
    for _ in range(600):
        status = (await client.get(f"/api/v1/jobs/{job_id}/status", headers=headers)).json()
        if status["status"] in ("completed", "failed", "cancelled"):
            break
        await asyncio.sleep(0.05)
    responses += [
        submitted,
        await client.get(f"/api/v1/jobs/{job_id}/result", headers=headers),
        await client.get("/api/v1/jobs", headers={"Authorization": "Bearer ca_wrong_key123"}),
        await client.get("/api/v1/jobs", headers={"X-API-Key": LLM_KEY}),  # a secret as key
        await client.get(f"/api/v1/jobs/{unique('nope')}/status", headers=headers),
        await client.post(
            "/api/v1/compliance/check",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        ),
        await client.post("/api/v1/compliance/check", json={"nothing": 1}, headers=headers),
    ]
    assert [r.status_code for r in responses[3:]] == [401, 401, 404, 400, 422]
    # The failing model call really happened, with the configured key.
    assert double.count(f"{failing}-marker") >= 1
    assert any(r.headers.get("authorization") == f"Bearer {LLM_KEY}" for r in double.requests)
    return responses


def assert_absent(text: str, values: list[str]) -> None:
    for value in values:
        assert value not in text, f"a secret value ({value[:6]}…) appears in the output"


async def test_in_process_api_and_worker_log_no_secret(
    tmp_path: Path,
    llm_double: LlmDouble,
    production_services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = Services(
        with_password(production_services.postgres_url, DB_PASSWORD),
        production_services.redis_url,
        production_services.redis_prefix,
        production_services.azurite,
    )
    settings = settings_for(
        "production",
        tmp_path,
        llm_double,
        services,
        llm={"api_key": LLM_KEY},
        gtc={
            "smart_search_url": f"http://127.0.0.1:{free_port()}",
            "smart_search_api_key": SMART_SEARCH_KEY,
        },
    )
    known = [LLM_KEY, SMART_SEARCH_KEY, DB_PASSWORD, PEPPER, AZURITE_KEY]
    caplog.set_level(logging.DEBUG)
    async with running_api("production", settings, llm_double) as api:
        responses = await exercise(api.client, llm_double, api.headers)
    records = caplog.records
    # The capture worked: the app and the worker logged at all (else this proves nothing).
    assert any(r.name.startswith("compliance_assistant") for r in records)
    assert len(records) > 20
    text = caplog.text + "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in records
    )
    assert_absent(text, known)
    assert_absent("\n".join(r.text + str(r.headers) for r in responses), known)
    assert_absent(repr(settings) + str(settings), known)


# -- a real `compliance serve` ---------------------------------------------------------------


def _wait_live(base_url: str, process: subprocess.Popen[bytes]) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    assert wait_for_port("127.0.0.1", port, timeout=60, process=process), "serve did not start"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/health/live", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail("compliance serve is not live")


@pytest.fixture
def served(tmp_path: Path, llm_double: LlmDouble) -> Iterator[tuple[str, Path, dict[str, str]]]:
    port = free_port()
    data = tmp_path / "data"
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "COMPLIANCE_ENVIRONMENT": "development",
        "COMPLIANCE_DATA_DIR": str(data),
        "COMPLIANCE_LOG_LEVEL": "DEBUG",
        "COMPLIANCE_TRACKING__ENABLED": "false",
        "COMPLIANCE_LLM__PROVIDER": "openai",
        "COMPLIANCE_LLM__MODEL": "judge-model",
        "COMPLIANCE_LLM__BASE_URL": llm_double.openai_base_url,
        "COMPLIANCE_LLM__API_KEY": LLM_KEY,
        "COMPLIANCE_LLM__MAX_ATTEMPTS": "1",
        "COMPLIANCE_LLM__VERDICT_CACHE_TTL_SECONDS": "0",
        "COMPLIANCE_API__API_KEY_PEPPER": PEPPER,
        "COMPLIANCE_API__REQUIRE_API_KEYS": "true",
        "COMPLIANCE_API__AUTH_CACHE_SECONDS": "0",
        "COMPLIANCE_GTC__SMART_SEARCH_URL": f"http://127.0.0.1:{free_port()}",
        "COMPLIANCE_GTC__SMART_SEARCH_API_KEY": SMART_SEARCH_KEY,
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "compliance_assistant.cli.main", "serve",
             "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_live(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}", log, {"db": str(data / "compliance.db")}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_compliance_serve_logs_no_secret(
    served: tuple[str, Path, dict[str, str]], llm_double: LlmDouble
) -> None:
    base_url, log, paths = served
    database = Database.from_url(f"sqlite+aiosqlite:///{paths['db']}")
    try:
        async with database.session() as session:
            _, key = await api_keys.create(
                session,
                "secrets-tenant",
                name="secrets test",
                roles=["writer", "reviewer", "admin"],
                pepper=PEPPER.encode(),
                now=datetime.now(UTC),
            )
    finally:
        await database.dispose()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        responses = await exercise(client, llm_double, {"Authorization": f"Bearer {key}"})
    output = log.read_text(errors="replace")
    # The log is the real thing: DEBUG lines, the failing model call with its traceback,
    # the refused keys.
    assert "[debug" in output
    assert '/v1/chat/completions "HTTP/1.1 500' in output
    assert "Traceback" in output
    assert '"GET /api/v1/jobs HTTP/1.1" 401' in output
    assert_absent(output, [LLM_KEY, SMART_SEARCH_KEY, PEPPER])
    # The API key itself (a credential too) is not logged either.
    assert_absent(output, [key])
    assert_absent("\n".join(r.text for r in responses), [LLM_KEY, SMART_SEARCH_KEY, PEPPER, key])
