"""Each provider's real SDK talks real HTTP to the double, in each structured-output mode."""

from __future__ import annotations

from typing import Any

import pytest

from compliance_assistant.engine.scoring import GuidelineStatus
from compliance_assistant.llm.judge import Pricing
from compliance_assistant.llm.prompt import PROMPT_VERSION
from tests.doubles.fixtures import guideline_set, judge_for, marker
from tests.doubles.llm_server import LlmDouble, RecordedRequest, Reply
from tests.llm.articles import ARTICLE, CLAIM, article, failing


def shape_json_schema(request: RecordedRequest) -> None:
    assert request.body["response_format"]["type"] == "json_schema"
    assert "tools" not in request.body


def shape_tools(request: RecordedRequest) -> None:
    tool = request.body["tools"][0]
    assert tool["function"]["name"] == "GuidelineVerdict"
    assert "findings" in tool["function"]["parameters"]["properties"]


def shape_json_mode(request: RecordedRequest) -> None:
    assert request.body["response_format"] == {"type": "json_object"}


def shape_anthropic_tool(request: RecordedRequest) -> None:
    assert request.body["tools"][0]["name"] == "GuidelineVerdict"
    assert request.body["tool_choice"]["type"] == "tool"
    assert ARTICLE.split("\n")[0] not in request.system_text


def shape_anthropic_json(request: RecordedRequest) -> None:
    assert request.body["output_config"]["format"]["type"] == "json_schema"


CASES: list[tuple[str, str, dict[str, Any], str, Any]] = [
    ("openai", "auto", {}, "/v1/chat/completions", shape_json_schema),
    ("openai", "function_calling", {}, "/v1/chat/completions", shape_tools),
    ("openai", "json_mode", {}, "/v1/chat/completions", shape_json_mode),
    ("openai_compatible", "auto", {"api_key": None}, "/v1/chat/completions", shape_json_schema),
    ("openai_compatible", "function_calling", {}, "/v1/chat/completions", shape_tools),
    (
        "azure_openai",
        "auto",
        {},
        "/openai/deployments/judge-deployment/chat/completions",
        shape_json_schema,
    ),
    (
        "azure_openai",
        "function_calling",
        {},
        "/openai/deployments/judge-deployment/chat/completions",
        shape_tools,
    ),
    ("anthropic", "auto", {}, "/v1/messages", shape_anthropic_tool),
    ("anthropic", "json_schema", {}, "/v1/messages", shape_anthropic_json),
]


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_provider_judges_through_its_sdk(
    double: LlmDouble, case: tuple[str, str, dict[str, Any], str, Any]
) -> None:
    provider, method, overrides, path, check_shape = case
    gset = guideline_set("balanced")
    guideline = gset.guidelines[0]
    double.script(marker("balanced"), Reply(verdict=failing(), input_tokens=1200, output_tokens=80))
    async with judge_for(
        double,
        provider,
        structured_output=method,
        pricing=Pricing(input_per_1k=0.5, output_per_1k=1.5),
        **overrides,
    ) as judge:
        document = article()
        verdict = await judge.assess(document, guideline)
    assert verdict.result.status is GuidelineStatus.FAIL, verdict.result.reason
    [found] = verdict.result.findings
    assert found.span.quote == CLAIM
    assert found.span.block_id == "b1"
    assert document.text[found.span.start : found.span.end] == CLAIM
    assert found.source == "llm"
    assert found.suggestion is not None
    assert found.suggestion.replacement.startswith("Earn 5% AER")
    assert verdict.usage is not None
    assert (verdict.usage.input_tokens, verdict.usage.output_tokens) == (1200, 80)
    assert verdict.usage.cost == pytest.approx(1.2 * 0.5 + 0.08 * 1.5)
    assert judge.prompt_version == PROMPT_VERSION
    [request] = double.requests
    assert request.path == path
    check_shape(request)
    assert CLAIM not in request.system_text
    assert CLAIM in request.user_text


@pytest.mark.anyio
async def test_azure_sends_the_key_and_api_version(double: LlmDouble) -> None:
    async with judge_for(double, "azure_openai") as judge:
        await judge.assess(article(), guideline_set("g").guidelines[0])
    [request] = double.requests
    assert request.api == "azure"
    assert request.query["api-version"] == "2024-10-21"
    assert request.headers["api-key"] == "sk-test"
    assert judge.model_name == "judge-model"


@pytest.mark.anyio
async def test_azure_with_an_entra_id_token_provider(double: LlmDouble) -> None:
    calls = 0

    async def token() -> str:
        nonlocal calls
        calls += 1
        return "entra-token"

    async with judge_for(double, "azure_openai", api_key=None, token_provider=token) as judge:
        await judge.assess(article(), guideline_set("g").guidelines[0])
    [request] = double.requests
    assert request.headers["authorization"] == "Bearer entra-token"
    assert "api-key" not in request.headers
    assert calls >= 1


@pytest.mark.anyio
async def test_openai_compatible_server_needs_no_key(double: LlmDouble) -> None:
    async with judge_for(double, "openai_compatible", api_key=None) as judge:
        verdict = await judge.assess(article(), guideline_set("g").guidelines[0])
    assert verdict.result.status is GuidelineStatus.PASS
    [request] = double.requests
    assert request.body["model"] == "judge-model"
    assert request.body["temperature"] == 0.0
