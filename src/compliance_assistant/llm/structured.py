"""Structured output, per provider: how an answer schema (the guideline verdict, the GTC
claim verdict) is requested and read back.

| provider family | json_schema                      | function_calling          | json_mode       |
|-----------------|----------------------------------|---------------------------|-----------------|
| OpenAI / Azure  | ``response_format`` json_schema, | one forced tool, strict   | ``json_object`` |
|                 | strict                           |                           |                 |
| compatible      | ``response_format`` json_schema  | one forced tool           | ``json_object`` |
| Anthropic       | ``output_config`` json_schema    | one forced tool (tool_use)| —               |

The model is bound with the request options directly and its raw message is read here, rather
than through langchain's ``with_structured_output`` chain: the chain adds several runnable
layers (and thread hand-offs) to every call, and raises on some bad answers before their token
usage can be counted. Reading the answer ourselves treats every provider alike.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel

from compliance_assistant.config import LlmProvider, StructuredOutput
from compliance_assistant.llm.models import ChatModelHandle
from compliance_assistant.llm.schema import ModelVerdict

VERDICT_SCHEMA: dict[str, Any] = ModelVerdict.model_json_schema()
VERDICT_NAME = str(VERDICT_SCHEMA["title"])
# Providers known to enforce a strict JSON schema (OpenAI-compatible servers vary).
STRICT_PROVIDERS = frozenset({LlmProvider.OPENAI, LlmProvider.AZURE_OPENAI})
_CUT_OFF = {"length", "max_tokens"}
AnswerModel = TypeVar("AnswerModel", bound=BaseModel)


class UnusableAnswer(Exception):
    """The model answered, but not with a usable answer; the message says why (for the re-ask)."""


def bind_structured(handle: ChatModelHandle) -> Runnable[LanguageModelInput, BaseMessage]:
    """The chat model with the provider's structured-output options for the verdict."""
    return bind_json_answer(handle, VERDICT_SCHEMA)


def read_verdict(message: BaseMessage) -> ModelVerdict:
    """The verdict in the model's message, or :class:`UnusableAnswer` saying what is wrong."""
    return read_json_answer(message, ModelVerdict)


def bind_json_answer(
    handle: ChatModelHandle, schema: dict[str, Any]
) -> Runnable[LanguageModelInput, BaseMessage]:
    """The chat model with the provider's options for answers in ``schema`` (a pydantic
    model's JSON schema; its ``title`` names the tool or the response format)."""
    model = handle.model
    name = str(schema["title"])
    strict = handle.provider in STRICT_PROVIDERS or None
    method = handle.method
    if method is StructuredOutput.FUNCTION_CALLING:
        tool = convert_to_openai_tool(schema, strict=strict)
        if handle.provider is LlmProvider.ANTHROPIC:
            return model.bind_tools([tool], tool_choice=name)
        return model.bind_tools([tool], tool_choice=name, strict=strict)
    if method is StructuredOutput.JSON_MODE:
        return model.bind(response_format={"type": "json_object"})
    if handle.provider is LlmProvider.ANTHROPIC:
        return model.bind(output_config={"format": {"type": "json_schema", "schema": schema}})
    json_schema: dict[str, Any] = {"name": name, "schema": schema}
    if strict:
        json_schema["strict"] = True
    return model.bind(response_format={"type": "json_schema", "json_schema": json_schema})


def read_json_answer(message: BaseMessage, answer_type: type[AnswerModel]) -> AnswerModel:
    """The ``answer_type`` in the model's message (tool call or JSON text), or
    :class:`UnusableAnswer` saying what is wrong."""
    if not isinstance(message, AIMessage):
        raise UnusableAnswer("it was not an assistant message")
    finish = message.response_metadata.get("finish_reason") or message.response_metadata.get(
        "stop_reason"
    )
    if finish in _CUT_OFF:
        raise UnusableAnswer("it was cut off at the output token limit")
    if message.tool_calls:
        data: Any = message.tool_calls[0]["args"]
    elif message.invalid_tool_calls:
        raise UnusableAnswer("its tool call arguments were not valid JSON")
    else:
        data = _json_of(message.text)
    try:
        return answer_type.model_validate(data)
    except ValueError as exc:
        raise UnusableAnswer(f"it did not match the expected JSON ({shorten(str(exc))})") from None


def shorten(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut to ``limit`` characters (for messages quoting model output)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _json_of(text: str) -> Any:
    body = text.strip()
    if body.startswith("```"):
        # JSON mode answers sometimes come fenced as a Markdown code block.
        body = body.strip("`").removeprefix("json").strip()
    if not body:
        raise UnusableAnswer("it contained no answer")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise UnusableAnswer(f"it was not valid JSON ({exc.msg} at character {exc.pos})") from None
