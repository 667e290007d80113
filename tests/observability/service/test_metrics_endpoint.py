"""``/metrics`` on the API after real requests and jobs, in both run modes: exact deltas."""

from __future__ import annotations

import pytest

from compliance_assistant.observability.metrics import record_rate_limited
from tests.api.harness import Api, llm_set_yaml, unique
from tests.observability.scrape import scrape

pytestmark = pytest.mark.anyio
RISKY = "Guaranteed returns of 7% every year! Open the UK's best savings account today."
SUBMIT = "/api/v1/compliance/check"
STATUS = "/api/v1/jobs/{job_id}/status"


async def _run_one_job(api: Api, guideline_set: str | None = None) -> str:
    body = {"guideline_set": guideline_set} if guideline_set else {}
    response = await api.submit(RISKY, title="Metrics", **body)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    assert (await api.wait_for(job_id))["status"] == "completed"
    await api.wait_idle(job_id)  # the worker has finished its bookkeeping too
    return job_id


async def test_one_job_moves_each_counter_by_exactly_its_share(api: Api) -> None:
    set_id = unique("metrics")
    await api.create_set(llm_set_yaml(set_id, "alpha", "beta"))
    api.double.clear_requests()
    before = await scrape(api)
    job_id = await _run_one_job(api, set_id)
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta("compliance_jobs_submitted_total") == 1
    assert delta("compliance_checks_total", outcome="completed") == 1
    assert delta("compliance_job_duration_seconds_count", outcome="completed") == 1
    assert delta("compliance_job_duration_seconds_sum", outcome="completed") > 0
    # Tokens are exactly what the LLM double reported (120 in, 30 out per answer).
    answered = api.double.answered()
    assert answered == 2  # one answer per llm guideline
    assert delta("compliance_llm_tokens_total", provider="openai", direction="input") == (
        120 * answered
    )
    assert delta("compliance_llm_tokens_total", provider="openai", direction="output") == (
        30 * answered
    )
    assert delta("compliance_llm_requests_total", provider="openai", outcome="ok") == answered
    # Requests by route template, never by raw path.
    assert delta("compliance_http_requests_total", method="POST", route=SUBMIT, status="202") == 1
    assert delta("compliance_http_request_duration_seconds_count", method="POST", route=SUBMIT) == 1
    polls = delta("compliance_http_requests_total", method="GET", route=STATUS, status="200")
    assert polls >= 1
    assert delta("compliance_http_request_duration_seconds_count", method="GET", route=STATUS) == (
        polls
    )
    assert job_id not in after.text
    # The scrape before this one was counted too (the scrape being answered is not yet).
    scrapes = {"method": "GET", "route": "/metrics", "status": "200"}
    assert delta("compliance_http_requests_total", **scrapes) == 1


async def test_status_and_result_caches_count_hits_and_misses(api: Api) -> None:
    job_id = await _run_one_job(api)
    before = await scrape(api)
    assert (await api.get(f"/api/v1/jobs/{job_id}/status")).status_code == 200
    middle = await scrape(api)
    # The completion cached the status: one lookup, one hit.
    assert middle.value("compliance_cache_requests_total", layer="status", result="hit") == (
        before.value("compliance_cache_requests_total", layer="status", result="hit") + 1
    )
    assert middle.value("compliance_cache_requests_total", layer="status", result="miss") == (
        before.value("compliance_cache_requests_total", layer="status", result="miss")
    )
    unknown = await api.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000/status")
    assert unknown.status_code == 404
    assert (await api.get(f"/api/v1/jobs/{job_id}/result")).status_code == 200
    after = await scrape(api)
    assert after.value("compliance_cache_requests_total", layer="status", result="miss") == (
        middle.value("compliance_cache_requests_total", layer="status", result="miss") + 1
    )
    # The worker cached the result when it stored it.
    assert after.value("compliance_cache_requests_total", layer="result", result="hit") == (
        middle.value("compliance_cache_requests_total", layer="result", result="hit") + 1
    )


async def test_routes_are_templates_and_the_endpoint_is_not_in_the_schema(api: Api) -> None:
    before = await scrape(api)
    assert (await api.client.get("/no/such/page")).status_code == 404
    assert (await api.client.get("/addin/index.html")).status_code == 200
    schema = (await api.client.get("/openapi.json")).json()
    after = await scrape(api)
    assert "/metrics" not in schema["paths"]
    for route, status in (("unmatched", "404"), ("/addin/*", "200")):
        labels = {"method": "GET", "route": route, "status": status}
        assert after.value("compliance_http_requests_total", **labels) == (
            before.value("compliance_http_requests_total", **labels) + 1
        )
    assert "/no/such/page" not in after.text


async def test_queue_pool_and_rate_limit_series(api: Api) -> None:
    before = await scrape(api)
    record_rate_limited("submit")
    after = await scrape(api)
    assert after.value("compliance_rate_limited_total", group="submit") == (
        before.value("compliance_rate_limited_total", group="submit") + 1
    )
    for name in (
        "compliance_queue_depth",
        "compliance_queue_oldest_age_seconds",
        "compliance_jobs_processing",
    ):
        assert after.has(name), name
    if api.mode == "production":
        # PostgreSQL's pool (database.pool_size 10 + max_overflow 10); SQLite files use none.
        assert after.value("compliance_db_pool_size", pool="primary") == 20
        in_use = after.value("compliance_db_pool_connections", pool="primary", state="in_use")
        idle = after.value("compliance_db_pool_connections", pool="primary", state="idle")
        assert in_use >= 0
        assert in_use + idle >= 1
    else:
        assert "compliance_db_pool_size" not in after.names()
