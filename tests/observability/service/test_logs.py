"""Log lines of a real request and its job, as JSON: one correlation id from the API line to
the worker's lines (and the job's span), ids present, no article text anywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from compliance_assistant.config import Settings
from compliance_assistant.observability.logging import configure_logging
from tests.api.harness import Api, unique
from tests.observability.tracing_capture import Collector

pytestmark = pytest.mark.anyio


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def json_logs(tmp_path: Any) -> Iterator[Captured]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging(
        Settings(data_dir=tmp_path, log={"format": "json"}, log_level="INFO"), stream=stream
    )
    yield Captured(stream)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    structlog.reset_defaults()


async def test_one_correlation_id_from_request_to_worker(
    spans: Collector, json_logs: Captured, api: Api
) -> None:
    correlation_id = unique("corr")
    secret_marker = unique("ArticleSecretWording")
    response = await api.submit(
        f"Guaranteed returns! {secret_marker} Open an account today.",
        title="Logged",
        headers={"X-Correlation-ID": correlation_id},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert (await api.wait_for(job_id))["status"] == "completed"
    await api.wait_idle(job_id)

    lines = json_logs.lines()
    accepted = [line for line in lines if line["event"] == "job accepted"]
    assert len(accepted) == 1
    assert accepted[0]["correlation_id"] == correlation_id
    assert accepted[0]["job_id"] == job_id
    assert accepted[0]["tenant_id"] == api.tenant
    assert accepted[0]["logger"] == "compliance_assistant.checks.service"
    assert accepted[0]["level"] == "info"
    assert "timestamp" in accepted[0]

    worker = [line for line in lines if line.get("job_id") == job_id and line is not accepted[0]]
    events = {line["event"] for line in worker}
    assert {"job started", "job ended"} <= events
    for line in worker:
        assert line["correlation_id"] == correlation_id, line
        assert line["tenant_id"] == api.tenant, line
    ended = next(line for line in worker if line["event"] == "job ended")
    assert ended["outcome"] == "completed"
    assert ended["duration_seconds"] > 0

    # The same id is on the job's span, and the lines carry its trace id.
    job_span = next(s for s in spans.spans if (s.attributes or {}).get("job.id") == job_id)
    assert (job_span.attributes or {})["correlation_id"] == correlation_id
    assert job_span.context is not None
    assert ended["trace_id"] == format(job_span.context.trace_id, "032x")

    # No article text in any line.
    assert secret_marker not in json_logs.text
