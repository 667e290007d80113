"""Input limits through the API: bodies, text length, files per upload, guideline-set size,
zip and XML bombs, and catastrophic rule patterns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.harness import TEST_LIMITS, Api, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble
from tests.ingest.builders import DocxBuilder, rezip
from tests.ingest.test_bombs import billion_laughs, ratio_bomb

pytestmark = pytest.mark.anyio

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
async def api(tmp_path: Path, llm_double: LlmDouble) -> AsyncIterator[Api]:
    settings = settings_for(
        "embedded",
        tmp_path,
        llm_double,
        limits={
            "max_upload_bytes": 2_000_000,
        },
    )
    async with running_api("embedded", settings, llm_double) as running:
        yield running


async def upload(api: Api, data: bytes, name: str = "article.docx") -> dict[str, object]:
    response = await api.post("/api/v1/compliance/check", files={"file": (name, data, DOCX)})
    assert response.status_code == 400, response.text
    error: dict[str, object] = response.json()["error"]
    return error


async def test_zip_bomb_upload_is_400(api: Api) -> None:
    error = await upload(api, ratio_bomb())
    assert error["code"] == "INPUT_REJECTED"
    assert "zip bomb" in str(error["message"])


async def test_xml_bomb_upload_is_400(api: Api) -> None:
    data = rezip(
        DocxBuilder().paragraph("x").bytes(), replace={"word/document.xml": billion_laughs()}
    )
    error = await upload(api, data)
    assert error["code"] == "INPUT_REJECTED"
    assert "<!DOCTYPE" in str(error["message"])


async def test_more_than_one_file_is_400(api: Api) -> None:
    docx = DocxBuilder().paragraph("One.").bytes()
    response = await api.post(
        "/api/v1/compliance/check",
        files=[("file", ("a.docx", docx, DOCX)), ("file", ("b.docx", docx, DOCX))],
    )
    assert response.status_code == 400
    assert "Maximum number of files is 1" in response.json()["error"]["message"]


async def test_oversized_body_and_text_are_413(api: Api) -> None:
    too_big = await api.post(
        "/api/v1/compliance/check",
        content=b"x" * (TEST_LIMITS["max_json_bytes"] + 1),
        headers={"Content-Type": "application/json"},
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    long_text = await api.submit("word " * (TEST_LIMITS["max_text_chars"] // 5 + 10))
    assert long_text.status_code == 413
    assert "characters" in long_text.json()["error"]["message"]
    # The extracted text of an upload is held to the same limit when its job reads it.
    long_doc = DocxBuilder().paragraph("word " * (TEST_LIMITS["max_text_chars"] // 5 + 10))
    response = await api.post(
        "/api/v1/compliance/check", files={"file": ("long.docx", long_doc.bytes(), DOCX)}
    )
    assert response.status_code == 202
    status = await api.wait_for(response.json()["job_id"])
    assert status["status"] == "failed"
    assert "PAYLOAD_TOO_LARGE" in str(status), status


async def test_catastrophic_rule_pattern_is_rejected_with_its_line(api: Api) -> None:
    set_id = unique("unsafe")
    yaml_text = (
        f"id: {set_id}\nversion: 1\ntitle: Unsafe\nguidelines:\n"
        "  - id: g\n    title: G\n    kind: rule\n    rules:\n"
        "      - name: Slow\n        extends: existence\n        message: \"'%s'\"\n"
        "        nonword: true\n        raw: ['(\\w+\\s?)*$']\n"
    )
    response = await api.post(
        "/api/v1/guideline-sets",
        content=yaml_text.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_DEFINITION"
    assert error["details"]["line"] == 9
    assert error["message"].startswith("guideline-set.yaml:9: ")
    assert "catastrophic backtracking" in error["message"]


async def test_guideline_set_size_limits(api: Api) -> None:
    from datetime import UTC, datetime

    from compliance_assistant.config import LimitsSettings
    from compliance_assistant.errors import DefinitionInputError, TooLargeError
    from compliance_assistant.guidelines.service import guideline_set_service

    limits = LimitsSettings(max_guideline_set_bytes=4096, max_guidelines_per_set=2)
    padding = "".join(f"# {'x' * 70}\n" for _ in range(80))
    big = f"id: {unique('big')}\nversion: 1\ntitle: Big\n{padding}guidelines: []\n"
    guideline = (
        "  - id: g{0}\n    title: G{0}\n    kind: rule\n    rules: [MarketingEU.Guarantees]\n"
    )
    many = f"id: {unique('many')}\nversion: 1\ntitle: Many\nguidelines:\n" + "".join(
        guideline.format(i) for i in range(3)
    )
    async with api.ctx.database.session() as session:
        with pytest.raises(TooLargeError, match="more than the limit of 4,096"):
            await guideline_set_service.create_version(
                session,
                api.ctx.catalog,
                api.tenant,
                yaml_text=big,
                created_by="t",
                now=datetime.now(UTC),
                limits=limits,
            )
        with pytest.raises(
            DefinitionInputError, match="has 3 guidelines, more than the limit of 2"
        ):
            await guideline_set_service.create_version(
                session,
                api.ctx.catalog,
                api.tenant,
                yaml_text=many,
                created_by="t",
                now=datetime.now(UTC),
                limits=limits,
            )
