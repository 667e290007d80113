"""The SSE stream of a job, and cancelling a running job."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.api.harness import Api, llm_set_yaml, unique
from tests.doubles.llm_server import Reply

pytestmark = pytest.mark.anyio


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in chunk.splitlines():
            if line.startswith("event:"):
                name = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data.append(line.partition(":")[2].strip())
        if name and data:
            events.append((name, json.loads("\n".join(data))))
    return events


async def test_events_stream_snapshot_progress_guidelines_and_result(api: Api) -> None:
    set_id, slow, fast = unique("sse-set"), unique("slow"), unique("fast")
    api.double.script(f"{slow}-marker", Reply(latency=1.0))
    api.double.script(f"{fast}-marker", Reply(latency=0.0))
    await api.create_set(llm_set_yaml(set_id, slow, fast))
    response = await api.submit(f"Guaranteed {unique('t')}", guideline_set=set_id)
    job_id = response.json()["job_id"]
    stream = await api.get(f"/api/v1/jobs/{job_id}/events")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["x-correlation-id"]
    events = parse_sse(stream.text)
    names = [name for name, _ in events]
    assert names[0] == "status"
    assert events[0][1]["job_id"] == job_id
    assert names[-1] == "status"
    assert events[-1][1]["status"] == "completed"
    finished = [data["guideline_id"] for name, data in events if name == "guideline"]
    # Every guideline that finished after the client connected, each once.
    assert slow in finished
    assert len(finished) == len(set(finished))
    guideline_event = next(data for name, data in events if name == "guideline")
    assert {"status", "findings", "done", "total", "percent"} <= set(guideline_event)
    result_event = next(data for name, data in events if name == "result")
    assert result_event["result_url"] == f"/api/v1/jobs/{job_id}/result"
    assert names.index("result") < len(names) - 1


async def test_events_of_a_finished_job_give_the_snapshot_and_end(api: Api) -> None:
    response = await api.submit(f"Risk-free {unique('t')}", guidelines=["no-guarantees"])
    job_id = response.json()["job_id"]
    await api.wait_for(job_id)
    events = parse_sse((await api.get(f"/api/v1/jobs/{job_id}/events")).text)
    assert [name for name, _ in events] == ["status", "result"]
    assert events[0][1]["status"] == "completed"


async def test_cancel_a_processing_job(api: Api) -> None:
    set_id, slow, fast = unique("cancel-set"), unique("slow"), unique("fast")
    api.double.script(f"{slow}-marker", Reply(latency=20.0))
    api.double.script(f"{fast}-marker", Reply(latency=0.0))
    await api.create_set(llm_set_yaml(set_id, slow, fast))
    response = await api.submit(f"Text {unique('t')}", guideline_set=set_id)
    job_id = response.json()["job_id"]
    await api.wait_for(job_id, ("processing",))
    # Wait until the slow branch is in flight (the fast ones are done).
    for _ in range(200):
        if api.double.count(f"{slow}-marker") == 1:
            break
        await asyncio.sleep(0.05)
    cancelled = await api.delete(f"/api/v1/jobs/{job_id}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    # The worker stops (long before the slow answer's 20 s): the status stays cancelled,
    # there is no result, and a second cancel is a conflict.
    await api.wait_idle(job_id)
    status = await api.status(job_id)
    assert status["status"] == "cancelled"
    result = await api.get(f"/api/v1/jobs/{job_id}/result")
    assert result.status_code == 409
    assert result.json()["error"]["code"] == "JOB_NOT_COMPLETED"
    assert result.json()["error"]["details"]["status"] == "cancelled"
    again = await api.delete(f"/api/v1/jobs/{job_id}")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "JOB_ALREADY_FINISHED"
    # The slow model call was abandoned, not awaited for its 20 s.
    assert api.double.answered(f"{slow}-marker") == 0


async def test_cancel_a_queued_job_and_unknown_job(api: Api) -> None:
    missing = await api.delete(f"/api/v1/jobs/{unique('nope')}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "JOB_NOT_FOUND"


async def test_result_before_completion_is_409_with_status(api: Api) -> None:
    set_id, slow = unique("wait-set"), unique("slow")
    api.double.script(f"{slow}-marker", Reply(latency=1.0))
    await api.create_set(llm_set_yaml(set_id, slow, rule=False))
    job_id = (await api.submit(f"Text {unique('t')}", guideline_set=set_id)).json()["job_id"]
    early = await api.get(f"/api/v1/jobs/{job_id}/result")
    assert early.status_code == 409
    error = early.json()["error"]
    assert error["code"] == "JOB_NOT_COMPLETED"
    assert error["details"]["status"] in ("queued", "processing")
    await api.wait_for(job_id)
