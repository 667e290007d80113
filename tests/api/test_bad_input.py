"""Bad input is a 4xx with the error shape — never a 500 — in both modes."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import pytest

from tests.api.harness import TEST_LIMITS, Api, unique

pytestmark = pytest.mark.anyio


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    assert response.headers["x-correlation-id"]
    return error


async def upload(api: Api, name: str, data: bytes, content_type: str) -> httpx.Response:
    return await api.post("/api/v1/compliance/check", files={"file": (name, data, content_type)})


async def test_empty_text(api: Api) -> None:
    assert_error(await api.submit(""), 422, "EMPTY_DOCUMENT")
    assert_error(await api.submit(" \n\t "), 422, "EMPTY_DOCUMENT")
    blocks = [{"index": 0, "text": "  "}]
    assert_error(await api.submit(format="word-blocks", blocks=blocks), 422, "EMPTY_DOCUMENT")


async def test_text_over_the_character_limit_is_413(api: Api) -> None:
    text = "word " * (TEST_LIMITS["max_text_chars"] // 5 + 10)
    error = assert_error(await api.submit(text), 413, "PAYLOAD_TOO_LARGE")
    assert f"{TEST_LIMITS['max_text_chars']:,}" in error["message"]


async def test_body_over_the_json_limit_is_413(api: Api) -> None:
    body = b'{"article_text": "' + b"x" * (TEST_LIMITS["max_json_bytes"] + 10) + b'"}'
    response = await api.post(
        "/api/v1/compliance/check", content=body, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")

    async def chunks() -> Any:  # no Content-Length: counted while streamed
        for _ in range(40):
            yield b"x" * 10_000

    streamed = await api.post(
        "/api/v1/findings/f1/feedback",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert_error(streamed, 413, "PAYLOAD_TOO_LARGE")


async def test_upload_over_the_limit_is_413(api: Api) -> None:
    data = b"a" * (TEST_LIMITS["max_upload_bytes"] + 1)
    assert_error(await upload(api, "big.txt", data, "text/plain"), 413, "PAYLOAD_TOO_LARGE")


async def test_corrupt_and_protected_docx(api: Api) -> None:
    assert_error(
        await upload(
            api, "broken.docx", b"PK\x03\x04 truncated garbage", "application/octet-stream"
        ),
        400,
        "CORRUPT_FILE",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("hello.txt", "not a word document")
    assert_error(
        await upload(api, "fake.docx", buffer.getvalue(), "application/zip"), 400, "CORRUPT_FILE"
    )
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    assert_error(
        await upload(api, "secret.docx", ole, "application/octet-stream"), 400, "PROTECTED_FILE"
    )
    assert_error(
        await upload(api, "fake.pdf", b"hello, not a pdf", "application/pdf"), 400, "CORRUPT_FILE"
    )


async def test_unsupported_file_and_content_types_are_415(api: Api) -> None:
    assert_error(await upload(api, "tool.exe", b"MZ\x90\x00", "application/octet-stream"), 415)
    assert_error(await upload(api, "old.doc", b"\xd0\xcf\x11\xe0", "application/msword"), 415)
    response = await api.post(
        "/api/v1/compliance/check",
        content=b"<article>hi</article>",
        headers={"Content-Type": "application/xml"},
    )
    assert_error(response, 415, "UNSUPPORTED_FORMAT")
    missing = await api.post("/api/v1/compliance/check", content=b"plain")
    assert_error(missing, 415)
    no_file = await api.post(
        "/api/v1/compliance/check", data={"title": "x"}, files={"other": ("a.txt", b"x")}
    )
    assert_error(no_file, 400, "INVALID_INPUT")


async def test_malformed_json_and_wrong_shapes(api: Api) -> None:
    response = await api.post(
        "/api/v1/compliance/check",
        content=b'{"article_text": "unterminated',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "MALFORMED_JSON")
    assert_error(await api.submit(format="word-blocks"), 422, "VALIDATION_ERROR")
    assert_error(await api.submit("text", format="pdf"), 422, "VALIDATION_ERROR")
    assert_error(await api.submit("text", unknown_field=1), 422, "VALIDATION_ERROR")
    bad_blocks = [{"index": 2, "text": "b"}, {"index": 1, "text": "a"}]
    assert_error(await api.submit(format="word-blocks", blocks=bad_blocks), 400)
    bad_metadata = await api.post(
        "/api/v1/compliance/check",
        files={"file": ("a.txt", b"Some text", "text/plain")},
        data={"metadata": "[1, 2"},
    )
    assert_error(bad_metadata, 400, "INVALID_INPUT")


async def test_unknown_ids_routes_and_methods(api: Api) -> None:
    job = unique("nope")
    for path in (
        f"/api/v1/jobs/{job}/status",
        f"/api/v1/jobs/{job}/result",
        f"/api/v1/jobs/{job}/events",
    ):
        assert_error(await api.get(path), 404, "JOB_NOT_FOUND")
    assert_error(await api.get("/api/v1/no-such-route"), 404, "NOT_FOUND")
    assert_error(
        await api.client.put("/api/v1/jobs", headers=api.headers), 405, "METHOD_NOT_ALLOWED"
    )
    assert_error(await api.get("/api/v1/jobs", params={"cursor": "not-a-cursor"}), 400)
    assert_error(await api.get("/api/v1/jobs", params={"limit": 0}), 422, "VALIDATION_ERROR")
    assert_error(await api.get("/api/v1/jobs", params={"status": "nonsense"}), 422)


async def test_unknown_guideline_set_or_guideline(api: Api) -> None:
    assert_error(
        await api.submit("Some text", guideline_set=unique("set")), 404, "GUIDELINE_SET_NOT_FOUND"
    )
    assert_error(await api.submit("Some text", guideline_set="marketing-eu@x"), 400)
    error = assert_error(
        await api.submit("Some text", guidelines=["no-such-guideline"]), 422, "INVALID_DEFINITION"
    )
    assert "no-such-guideline" in error["message"]
