"""The GTC API: search, one document with its clauses, and the admin invalidation — the app in
embedded mode with API keys required, over the local library or the reference Smart Search
server (real HTTP)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from tests.doubles.llm_server import LlmDouble
from tests.gtc.conftest import SAMPLES
from tests.gtc.harness import RunningServer
from tests.gtc.service import Caller, caller, keyed_api, smart_search

pytestmark = pytest.mark.anyio
ADMIN = ["writer", "reviewer", "admin"]
SAVER = "northbank-easy-saver-v3"
PATHS = {
    "/api/v1/gtc/search": "get",
    "/api/v1/gtc/documents/{gtc_id}": "get",
    "/api/v1/admin/gtc/{gtc_id}/invalidate": "post",
}


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


def _downloads(server: RunningServer) -> int:
    return sum(1 for _, path in server.faults.seen if path.endswith("/download"))


async def test_search_and_read_a_document_of_the_local_library(
    tmp_path: Path, double: LlmDouble, sample_library_dir: Path
) -> None:
    async with keyed_api(tmp_path, double, {"library_path": sample_library_dir}) as api:
        reader = await caller(api, "tenant-a", ["writer"])
        found = await reader.get("/api/v1/gtc/search", params={"q": "Easy Saver", "limit": 2})
        assert found.status_code == 200, found.text
        body = found.json()
        assert (body["origin"], body["degraded"], body["limit"], body["offset"]) == (
            "library",
            False,
            2,
            0,
        )
        first = body["results"][0]
        assert first["gtc_id"] == SAVER
        assert (first["product"], first["company"], first["version"]) == (
            "Easy Saver",
            "Northbank",
            "3.0",
        )
        assert 0 < first["relevance_score"] <= 1
        assert len(body["results"]) <= 2

        narrowed = await reader.get(
            "/api/v1/gtc/search", params={"q": "terms and conditions", "product": "FlexiLoan"}
        )
        assert [r["gtc_id"] for r in narrowed.json()["results"]] == ["northbank-flexiloan-v2.1"]

        document = await reader.get(f"/api/v1/gtc/documents/{SAVER}")
        assert document.status_code == 200, document.text
        data = document.json()
        pdf = (SAMPLES / "northbank-easy-saver.pdf").read_bytes()
        assert data["title"] == "Easy Saver Account - General Terms and Conditions"
        assert (data["version"], data["effective_date"], data["region"]) == (
            "3.0",
            "2025-01-01",
            ["IE", "EU"],
        )
        assert (data["content_type"], data["size_bytes"], data["sha256"]) == (
            "application/pdf",
            len(pdf),
            hashlib.sha256(pdf).hexdigest(),
        )
        assert (data["origin"], data["stale"]) == ("library", False)
        clauses = {c["section"]: c for c in data["clauses"] if c["section"]}
        assert clauses["3.1"]["heading"] == "Interest"
        assert clauses["3.1"]["page"] == 1
        assert clauses["3.1"]["text"].startswith("The interest rate is 3.10% AER (variable).")
        assert clauses["5.1"]["page"] == 2
        assert clauses["5.1"]["kind"] == "clause"
        assert any(c["kind"] == "footnote" for c in data["clauses"])


async def test_bad_requests_get_our_error_shape(
    tmp_path: Path, double: LlmDouble, sample_library_dir: Path
) -> None:
    async with keyed_api(tmp_path, double, {"library_path": sample_library_dir}) as api:
        reader = await caller(api, "tenant-a", ["writer"])
        _error(await reader.get("/api/v1/gtc/documents/no-such-document"), 404, "GTC_NOT_FOUND")
        short = _error(
            await reader.get("/api/v1/gtc/search", params={"q": "ab"}), 422, "VALIDATION_ERROR"
        )
        assert short["error"]["details"][0]["loc"] == ["query", "q"]
        _error(await reader.get("/api/v1/gtc/search"), 422, "VALIDATION_ERROR")
        _error(
            await reader.get("/api/v1/gtc/search", params={"q": "saver", "limit": 0}),
            422,
            "VALIDATION_ERROR",
        )
        _error(await reader.get("/api/v1/gtc/documents/bad%20id%21"), 422, "VALIDATION_ERROR")
        anonymous = await api.client.get("/api/v1/gtc/search", params={"q": "saver"})
        _error(anonymous, 401, "UNAUTHORIZED")
        _error(await reader.post(f"/api/v1/admin/gtc/{SAVER}/invalidate"), 403, "FORBIDDEN")


async def test_without_a_gtc_source_reads_answer_503(tmp_path: Path, double: LlmDouble) -> None:
    async with keyed_api(tmp_path, double, {}) as api:
        admin = await caller(api, "tenant-a", ADMIN)
        body = _error(
            await admin.get("/api/v1/gtc/search", params={"q": "saver"}),
            503,
            "GTC_NOT_CONFIGURED",
        )
        assert "COMPLIANCE_GTC__LIBRARY_PATH" in body["error"]["message"]
        _error(await admin.get(f"/api/v1/gtc/documents/{SAVER}"), 503, "GTC_NOT_CONFIGURED")
        # Invalidation needs only the cache and the blob store.
        dropped = await admin.post(f"/api/v1/admin/gtc/{SAVER}/invalidate")
        assert dropped.status_code == 200, dropped.text
        assert dropped.json() == {"gtc_id": SAVER, "cache_keys": [], "blobs": []}


async def _cache_saver(who: Caller) -> None:
    found = await who.get("/api/v1/gtc/search", params={"q": "Easy Saver"})
    assert found.status_code == 200, found.text
    document = await who.get(f"/api/v1/gtc/documents/{SAVER}")
    assert document.status_code == 200, document.text
    assert document.json()["origin"] == "smart_search"


async def test_an_admin_invalidates_a_document_s_caches(
    tmp_path: Path, double: LlmDouble, server: RunningServer
) -> None:
    async with keyed_api(tmp_path, double, smart_search(server)) as api:
        admin = await caller(api, "tenant-a", ADMIN)
        writer = await caller(api, "tenant-a", ["writer"])
        await _cache_saver(admin)
        searches, downloads = server.faults.count("/v1/search"), _downloads(server)
        # Cached: repeating both asks Smart Search nothing.
        await admin.get("/api/v1/gtc/search", params={"q": "Easy Saver"})
        cached = (await admin.get(f"/api/v1/gtc/documents/{SAVER}")).json()
        assert cached["origin"] == "cache"
        assert (server.faults.count("/v1/search"), _downloads(server)) == (searches, downloads)

        _error(await writer.post(f"/api/v1/admin/gtc/{SAVER}/invalidate"), 403, "FORBIDDEN")
        dropped = await admin.post(f"/api/v1/admin/gtc/{SAVER}/invalidate")
        assert dropped.status_code == 200, dropped.text
        body = dropped.json()
        assert body["gtc_id"] == SAVER
        assert f"gtc:location:{SAVER}" in body["cache_keys"]
        assert f"gtc:refs:{SAVER}" in body["cache_keys"]
        assert any(key.startswith("gtc:metadata:") for key in body["cache_keys"])
        assert sorted(body["blobs"]) == [f"gtc/{SAVER}@3.0.json", f"gtc/{SAVER}@3.0.pdf"]

        # The next reads go back to Smart Search.
        await _cache_saver(admin)
        assert server.faults.count("/v1/search") == searches + 1
        assert _downloads(server) == downloads + 1
        # Nothing of a removed document is left to remove.
        await admin.post(f"/api/v1/admin/gtc/{SAVER}/invalidate")
        again = await admin.post(f"/api/v1/admin/gtc/{SAVER}/invalidate")
        assert again.json() == {"gtc_id": SAVER, "cache_keys": [], "blobs": []}


async def test_when_smart_search_is_down_cached_documents_are_still_served(
    tmp_path: Path, double: LlmDouble, server: RunningServer
) -> None:
    async with keyed_api(tmp_path, double, smart_search(server)) as api:
        admin = await caller(api, "tenant-a", ADMIN)
        await _cache_saver(admin)
        server.faults.down = True
        document = await admin.get(f"/api/v1/gtc/documents/{SAVER}")
        assert document.status_code == 200, document.text
        assert document.json()["origin"] == "cache"
        assert document.json()["clauses"]
        down = _error(
            await admin.get("/api/v1/gtc/search", params={"q": "FlexiLoan"}),
            503,
            "SERVICE_UNAVAILABLE",
        )
        assert "unavailable" in down["error"]["message"]
        unseen = await admin.get("/api/v1/gtc/documents/northbank-flexiloan-v2.1")
        _error(unseen, 503, "SERVICE_UNAVAILABLE")
        assert int(unseen.headers["Retry-After"]) >= 1


async def test_the_openapi_documents_every_error_answer(
    tmp_path: Path, double: LlmDouble, sample_library_dir: Path
) -> None:
    async with keyed_api(tmp_path, double, {"library_path": sample_library_dir}) as api:
        schema = (await api.client.get("/openapi.json")).json()
    for path, method in PATHS.items():
        responses = schema["paths"][path][method]["responses"]
        for status in ("401", "403", "404", "422", "503"):
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
        assert "200" in responses
    search = schema["paths"]["/api/v1/gtc/search"]["get"]["parameters"]
    q = next(p for p in search if p["name"] == "q")
    assert (q["required"], q["schema"]["minLength"]) == (True, 3)
