"""docs/smart-search-openapi.yaml against the reference server and the real client, over HTTP.

Every response of these tests passes through ``Contract.check`` (openapi-core): the request as
sent and the response as received must both match the spec, so neither side can drift.
"""

from __future__ import annotations

import httpx
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from tests.gtc.conftest import Env, make_client
from tests.gtc.harness import API_KEY, SPEC, Contract

from compliance_assistant.gtc.errors import GtcNotFound, SmartSearchAuthError
from compliance_assistant.gtc.models import SearchFilters, SearchRequest

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def test_the_contract_is_a_valid_openapi_3_1_document() -> None:
    spec, _ = read_from_filename(str(SPEC))
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/v1/search",
        "/v1/documents/{gtc_id}",
        "/v1/documents/{gtc_id}/download",
        "/v1/health",
    }
    search = spec["components"]["schemas"]["SearchRequest"]["properties"]
    assert search["query"]["minLength"] == 3
    assert search["limit"]["default"] == 5


async def test_reference_server_answers_match_the_contract(env: Env, contract: Contract) -> None:
    base = env.server.url
    body = {
        "query": "Easy Saver savings account",
        "filters": {
            "document_type": "GTC",
            "language": "en",
            "region": ["IE"],
            "status": "active",
            "effective_after": "2020-01-01",
        },
        "limit": 2,
        "offset": 0,
    }
    found = await env.http.post(f"{base}/v1/search", json=body, headers=AUTH)
    assert found.status_code == 200
    first = found.json()["results"][0]
    assert first["gtc_id"] == "northbank-easy-saver-v3"
    assert first["relevance_score"] == 1.0
    meta = await env.http.get(f"{base}/v1/documents/{first['gtc_id']}", headers=AUTH)
    assert meta.json()["content_type"] == "application/pdf"
    pdf = await env.http.get(f"{base}/v1/documents/{first['gtc_id']}/download", headers=AUTH)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["etag"] == f'"{meta.json()["sha256"]}"'
    health = await env.http.get(f"{base}/v1/health")
    assert health.json()["status"] == "ok"
    assert contract.checked == 4


async def test_error_answers_match_the_contract(env: Env, contract: Contract) -> None:
    base = env.server.url
    unauthorised = await env.http.post(f"{base}/v1/search", json={"query": "saver"})
    assert unauthorised.status_code == 401
    assert unauthorised.headers["www-authenticate"] == "Bearer"
    wrong_key = await env.http.get(f"{base}/v1/documents/x", headers={"Authorization": "Bearer no"})
    assert wrong_key.status_code == 401
    missing = await env.http.get(f"{base}/v1/documents/no-such-gtc", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    missing_file = await env.http.get(f"{base}/v1/documents/no-such-gtc/download", headers=AUTH)
    assert missing_file.status_code == 404
    # Requests that break the contract on purpose: only the answers are validated.
    async with httpx.AsyncClient(base_url=base, headers=AUTH) as raw:
        short = await raw.post("/v1/search", json={"query": "ab"})
        unknown = await raw.post("/v1/search", json={"query": "saver", "sort": "x"})
        not_json = await raw.post(
            "/v1/search", content=b"{", headers={"Content-Type": "application/json"}
        )
    assert (short.status_code, unknown.status_code, not_json.status_code) == (422, 422, 400)
    assert short.json()["error"]["code"] == "VALIDATION_FAILED"
    for answer in (short, unknown, not_json):
        contract.check(answer, valid_request=False)
    assert contract.checked == 7


def test_invalid_requests_are_rejected_by_the_contract_too() -> None:
    """The spec itself refuses what the server refuses (so the 422s above are contract-true)."""
    contract = Contract()
    request = httpx.Request(
        "POST", "https://smart-search.example.com/v1/search", json={"query": "ab"}, headers=AUTH
    )
    response = httpx.Response(
        422, json={"error": {"code": "VALIDATION_FAILED", "message": "x"}}, request=request
    )
    contract.check(response)
    assert contract.errors
    assert "Request" in contract.errors[0]


async def test_the_client_speaks_the_contract(env: Env, contract: Contract) -> None:
    client = make_client(env.http, [env.server.url], env.clock, env.sleep, env.metrics)  # type: ignore[arg-type]
    response = await client.search(
        SearchRequest(
            query="FlexiLoan personal loan",
            filters=SearchFilters(
                product="FlexiLoan",
                company="Northbank",
                language="en",
                region=("IE",),
                status="active",
            ),
        )
    )
    assert [r.gtc_id for r in response.results] == ["northbank-flexiloan-v2.1"]
    meta = await client.get_document("northbank-flexiloan-v2.1")
    assert meta.version == "2.1"
    file = await client.download("northbank-flexiloan-v2.1")
    assert file.content_type == "application/pdf"
    assert file.source == env.server.url
    health = await client.health()
    assert health["primary"].status == "ok"  # type: ignore[union-attr]
    with pytest.raises(GtcNotFound):
        await client.get_document("unknown-gtc")
    assert contract.checked == 5


async def test_a_wrong_api_key_is_a_permanent_error(env: Env, contract: Contract) -> None:
    from compliance_assistant.gtc.client import SmartSearchClient

    client = SmartSearchClient(
        env.http,
        endpoints=[env.server.url],
        api_key="wrong-key-123",
        clock=env.clock,
        sleep=env.sleep,
        metrics=env.metrics,
    )
    with pytest.raises(SmartSearchAuthError):
        await client.search(SearchRequest(query="saver"))
    assert env.server.faults.count() == 1  # not retried
    assert env.sleep.waits == []
