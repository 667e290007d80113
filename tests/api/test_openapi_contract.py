"""The OpenAPI contract the fuzzing run (scripts/fuzz_api.py) holds the API to: documented
error responses, links between operations, ``Allow`` on 405 and strict date-time queries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from compliance_assistant.api.errors import ErrorBody, error_responses
from compliance_assistant.api.openapi_links import LINKS
from compliance_assistant.api.params import IsoDate
from tests.api.harness import Api, running_api, settings_for
from tests.doubles.llm_server import LlmDouble

pytestmark = pytest.mark.anyio

_ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture
async def embedded(tmp_path: Path, llm_double: LlmDouble) -> AsyncIterator[Api]:
    settings = settings_for("embedded", tmp_path, llm_double)
    async with running_api("embedded", settings, llm_double, worker=False) as running:
        yield running


@pytest.fixture
async def schema(embedded: Api) -> dict[str, Any]:
    answer = await embedded.client.get("/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def test_error_responses_use_the_error_shape_and_retry_after() -> None:
    responses = error_responses(401, 429)
    # 503 always: every route needs the database or storage (503 + Retry-After meanwhile).
    assert set(responses) == {401, 429, 503}
    assert all(entry["model"] is ErrorBody for entry in responses.values())
    assert "headers" not in responses[401]
    assert set(responses[429]["headers"]) == {"Retry-After"}
    assert set(responses[503]["headers"]) == {"Retry-After"}


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/api/v1/compliance/check", {"400", "401", "403", "413", "415", "422", "429"}),
        ("get", "/api/v1/jobs/{job_id}/status", {"401", "404"}),
        ("get", "/api/v1/jobs/{job_id}/result", {"401", "404", "409"}),
        ("delete", "/api/v1/jobs/{job_id}", {"401", "403", "404", "409"}),
        ("get", "/api/v1/jobs", {"400", "401", "422"}),
        ("post", "/api/v1/guideline-sets", {"400", "401", "403", "409", "413", "415", "422"}),
        ("delete", "/api/v1/admin/cache/jobs/{job_id}", {"401", "403", "404"}),
        ("get", "/api/v1/health/ready", {"503"}),
    ],
)
async def test_routes_document_their_error_statuses(
    schema: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    responses = schema["paths"][path][method]["responses"]
    errors = {status for status in responses if status.startswith(("4", "5"))}
    assert statuses <= errors, (path, errors)
    for status in errors:
        body = responses[status]["content"]["application/json"]["schema"]
        assert body == {"$ref": _ERROR_REF}, (path, status)


async def test_validation_errors_are_documented_in_the_error_shape(
    schema: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            response = operation["responses"].get("422")
            if response is not None:
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": _ERROR_REF}, (method, path)


async def test_status_reads_document_no_body_errors(schema: dict[str, Any]) -> None:
    # A GET without a body cannot answer 413 or 415.
    responses = schema["paths"]["/api/v1/jobs/{job_id}/status"]["get"]["responses"]
    assert not {"413", "415"} & set(responses)


async def test_submit_links_the_job_id_to_its_follow_ups(schema: dict[str, Any]) -> None:
    operation_ids = {
        (method, path): operation["operationId"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    for status in ("202", "200"):
        links = schema["paths"]["/api/v1/compliance/check"]["post"]["responses"][status]["links"]
        targets = {(link["operationId"], link["parameters"]["job_id"]) for link in links.values()}
        for method, path in (
            ("get", "/api/v1/jobs/{job_id}/status"),
            ("get", "/api/v1/jobs/{job_id}/result"),
            ("get", "/api/v1/jobs/{job_id}/events"),
            ("delete", "/api/v1/jobs/{job_id}"),
        ):
            assert (operation_ids[(method, path)], "$response.body#/job_id") in targets


async def test_every_link_resolves_to_a_mounted_operation(schema: dict[str, Any]) -> None:
    for link in LINKS:
        source = schema["paths"][link.source[1]][link.source[0]]
        target = schema["paths"][link.target[1]][link.target[0]]
        named = [
            source["responses"][status]["links"][link.name]
            for status in link.statuses
            if status in source["responses"]
        ]
        assert named, link.name
        assert all(entry["operationId"] == target["operationId"] for entry in named)
        assert f"{{{link.parameter}}}" in link.target[1]


async def test_a_405_allows_every_method_of_the_path(embedded: Api) -> None:
    answer = await embedded.client.request("OPTIONS", "/api/v1/guideline-sets")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, POST"
    assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    put = await embedded.client.put("/api/v1/jobs/some-job")
    assert put.status_code == 405
    assert put.headers["Allow"] == "DELETE"


@pytest.mark.parametrize("value", ["0.5", "1700000000", "2026-01-31", "yesterday"])
async def test_job_list_dates_must_be_iso_date_times(embedded: Api, value: str) -> None:
    answer = await embedded.get("/api/v1/jobs", params={"created_to": value})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["loc"] == ["query", "created_to"]


async def test_job_list_accepts_iso_date_times(embedded: Api) -> None:
    answer = await embedded.get(
        "/api/v1/jobs",
        params={"created_from": "2026-01-01T00:00:00Z", "created_to": "2026-02-01 12:30"},
    )
    assert answer.status_code == 200
    assert answer.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-01-31T00:00:00", "31/01/2026"])
def test_iso_date_rejects_anything_but_a_date(value: str) -> None:
    with pytest.raises(ValidationError, match="ISO 8601 date"):
        TypeAdapter(IsoDate).validate_python(value)


def test_iso_date_reads_a_calendar_date() -> None:
    assert TypeAdapter(IsoDate).validate_python("2026-01-31") == date(2026, 1, 31)
