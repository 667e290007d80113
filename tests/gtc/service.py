"""The API in embedded mode with API keys required, so tests act as several tenants and roles
(the job path and the GTC endpoints)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.api.harness import TERMINAL, Api, make_key, running_api, settings_for
from tests.doubles.llm_server import LlmDouble
from tests.gtc.harness import API_KEY, RunningServer

GTC_SET = """id: gtc-check
version: 1
title: GTC consistency
guidelines:
  - id: gtc-consistency
    title: Claims agree with the product's GTC
    kind: gtc
    severity: error
"""


def smart_search(server: RunningServer) -> dict[str, Any]:
    """GTC settings pointing at the reference server; one attempt, so outages answer fast."""
    return {
        "smart_search_url": server.url,
        "smart_search_api_key": API_KEY,
        "retry_attempts": 1,
    }


@dataclass
class Caller:
    """One API key: its tenant and its Authorization header."""

    api: Api
    tenant: str
    headers: dict[str, str]

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.api.client.get(path, headers=headers, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.api.client.post(path, headers=headers, **kwargs)

    async def check(self, text: str, **body: Any) -> dict[str, Any]:
        """Submit through the job service and wait for the stored result."""
        submitted = await self.post(
            "/api/v1/compliance/check",
            json={"article_text": text, "format": "markdown", **body},
        )
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["job_id"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            status = (await self.get(f"/api/v1/jobs/{job_id}/status")).json()
            if status["status"] in TERMINAL:
                break
            assert loop.time() < deadline, f"job {job_id} still {status['status']}"
            await asyncio.sleep(0.05)
        assert status["status"] == "completed", status
        result = await self.get(f"/api/v1/jobs/{job_id}/result")
        assert result.status_code == 200, result.text
        data: dict[str, Any] = result.json()
        return data


@contextlib.asynccontextmanager
async def keyed_api(
    tmp_path: Path, double: LlmDouble, gtc: dict[str, Any], **overrides: Any
) -> AsyncIterator[Api]:
    """Embedded mode, API keys required, the given GTC settings and no LLM (``llm`` may be
    overridden)."""
    settings = settings_for(
        "embedded",
        tmp_path,
        double,
        gtc=gtc,
        api={"require_api_keys": True},
        **({"llm": {"provider": "none"}} | overrides),
    )
    async with running_api("embedded", settings, double) as api:
        yield api


async def caller(api: Api, tenant: str, roles: list[str]) -> Caller:
    key = await make_key(api.settings, tenant, roles)
    return Caller(api, tenant, {"Authorization": f"Bearer {key}"})
