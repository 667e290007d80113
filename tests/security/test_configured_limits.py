"""Limits that come from configuration (``limits.*``) reach the code that enforces them:
the guideline-set size and count limits of ``POST /guideline-sets`` and the cap on what an
uploaded .docx may unpack to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from compliance_assistant.checks.article import ingest_limits, load_document
from compliance_assistant.config import LimitsSettings
from compliance_assistant.errors import TooLargeError
from tests.api.harness import Api, running_api, settings_for, unique
from tests.doubles.llm_server import LlmDouble
from tests.ingest.builders import DocxBuilder, rezip

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SMALL_SET_LIMITS = {
    "max_guideline_set_bytes": 2048,
    "max_guidelines_per_set": 2,
    "max_rules_per_set": 3,
}


@pytest.fixture
async def api(tmp_path: Path, llm_double: LlmDouble) -> AsyncIterator[Api]:
    settings = settings_for("embedded", tmp_path, llm_double, limits=SMALL_SET_LIMITS)
    async with running_api("embedded", settings, llm_double) as running:
        yield running


def set_yaml(set_id: str, *, guidelines: int, rules_each: int = 1, padding: int = 0) -> str:
    rule_names = ["Guarantees", "Superlatives", "Urgency", "Guarantees"][:rules_each]
    rules = ", ".join(f"MarketingEU.{name}" for name in rule_names)
    body = "".join(
        f"  - id: g{i}\n    title: G{i}\n    kind: rule\n    rules: [{rules}]\n"
        for i in range(guidelines)
    )
    comments = "".join(f"# {'x' * 60}\n" for _ in range(padding))
    return f"id: {set_id}\nversion: 1\ntitle: Limits\n{comments}guidelines:\n{body}"


async def post_set(api: Api, yaml_text: str) -> tuple[int, dict[str, object]]:
    response = await api.post(
        "/api/v1/guideline-sets",
        content=yaml_text.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    body: dict[str, object] = response.json()
    return response.status_code, body


@pytest.mark.anyio
async def test_configured_guideline_set_limits_apply_to_the_api(api: Api) -> None:
    # Within the configured limits: stored.
    status, body = await post_set(api, set_yaml(unique("ok"), guidelines=2))
    assert status == 201, body

    # All three are far below the defaults (256 KB, 200 guidelines, 500 rules).
    status, body = await post_set(api, set_yaml(unique("big"), guidelines=1, padding=40))
    assert status == 413, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert "more than the limit of 2,048" in error["message"]
    assert error["details"]["limit_bytes"] == 2048

    status, body = await post_set(api, set_yaml(unique("many"), guidelines=3))
    assert status == 422, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "INVALID_DEFINITION"
    assert "has 3 guidelines, more than the limit of 2" in error["message"]
    assert error["details"] == {"guidelines": 3, "limit": 2}

    status, body = await post_set(api, set_yaml(unique("rules"), guidelines=2, rules_each=2))
    assert status == 422, body
    error = body["error"]
    assert isinstance(error, dict)
    assert "has 4 rules, more than the limit of 3" in error["message"]


def padded_docx(padding_bytes: int) -> bytes:
    """A one-paragraph .docx with an extra part of ``padding_bytes`` (below the size where the
    compression-ratio check starts, so only the unpacked-size cap can refuse it)."""
    return rezip(
        DocxBuilder().paragraph("Returns may vary.").bytes(),
        add={"word/media/padding.bin": bytes(padding_bytes)},
    )


def test_docx_unpacked_size_cap_is_a_setting() -> None:
    assert LimitsSettings().max_docx_unpacked_bytes == 200 * 1024 * 1024
    limits = LimitsSettings(max_docx_unpacked_bytes=300_000)
    assert ingest_limits(limits).max_unpacked_bytes == 300_000
    data = padded_docx(400_000)
    meta = {"filename": "padded.docx"}

    with pytest.raises(TooLargeError, match=r"more than the limit of 300,000 bytes"):
        load_document(data, content_type=DOCX, blob_metadata=meta, limits=limits)

    # The same file under the default cap is read normally.
    document = load_document(data, content_type=DOCX, blob_metadata=meta, limits=LimitsSettings())
    assert "Returns may vary." in document.text


def test_docx_unpacked_size_cap_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from compliance_assistant.config import Settings

    monkeypatch.setenv("COMPLIANCE_LIMITS__MAX_DOCX_UNPACKED_BYTES", "123456")
    settings = Settings(data_dir=tmp_path)
    assert settings.limits.max_docx_unpacked_bytes == 123_456
    assert ingest_limits(settings.limits).max_unpacked_bytes == 123_456
