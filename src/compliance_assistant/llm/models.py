"""Chat models for the judge, built from ``LlmSettings`` with the langchain provider classes.

``langchain`` itself (and so ``init_chat_model``) is not a dependency: the three provider
classes cover Azure OpenAI, OpenAI, Anthropic and any OpenAI-compatible server by base URL
(Ollama, vLLM, LiteLLM). Every model is built with the SDK's own retries switched off — the
judge retries, so attempts are counted once — and with an HTTP client the handle owns, so
``aclose`` releases the connections on the event loop that opened them.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from compliance_assistant.config import LlmProvider, LlmSettings, StructuredOutput
from compliance_assistant.errors import InputError

AzureTokenProvider = Callable[[], Awaitable[str]]
AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
# OpenAI-compatible servers usually need no key, but the SDK insists on one.
_NO_KEY = "not-needed"


@dataclass
class ChatModelHandle:
    """A chat model plus what the judge needs to know about it, and its resources."""

    model: BaseChatModel
    provider: LlmProvider
    model_name: str
    method: StructuredOutput
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def aclose(self) -> None:
        for close in self._closers:
            await close()
        self._closers.clear()


def structured_method(settings: LlmSettings) -> StructuredOutput:
    """The structured-output method: the setting, or the provider's most reliable one."""
    method = settings.structured_output
    if settings.provider is LlmProvider.ANTHROPIC:
        if method is StructuredOutput.JSON_MODE:
            raise InputError(
                "llm.structured_output 'json_mode' is not available for Anthropic; "
                "use 'function_calling' (tool use) or 'json_schema'"
            )
        return StructuredOutput.FUNCTION_CALLING if method is StructuredOutput.AUTO else method
    return StructuredOutput.JSON_SCHEMA if method is StructuredOutput.AUTO else method


def create_chat_model(
    settings: LlmSettings, *, azure_token_provider: AzureTokenProvider | None = None
) -> ChatModelHandle:
    """Build the configured provider's chat model. Raises InputError for an unusable config."""
    provider = settings.provider
    if provider is LlmProvider.NONE:
        raise InputError("no LLM provider is configured (set COMPLIANCE_LLM__PROVIDER)")
    method = structured_method(settings)
    if provider is LlmProvider.ANTHROPIC:
        return _anthropic(settings, method)
    if provider is LlmProvider.AZURE_OPENAI:
        return _azure(settings, method, azure_token_provider)
    return _openai(settings, method)


def _common(settings: LlmSettings) -> dict[str, Any]:
    return {
        "timeout": settings.timeout_seconds,
        "max_retries": 0,
        "temperature": settings.temperature,
        "max_tokens": settings.max_output_tokens,
    }


def _pool_limits(sdk: Any, settings: LlmSettings) -> Any:
    """Connection-pool limits sized to the judge's concurrency.

    The SDKs default to 1000 connections of which only 100 stay alive, so a busy worker
    would keep opening and closing connections, and idle ones slow every request's pool scan.
    Built with the SDK's own Limits class: its HTTP library is the SDK's business.
    """
    size = settings.max_concurrency
    return type(sdk.DEFAULT_CONNECTION_LIMITS)(
        max_connections=size, max_keepalive_connections=size, keepalive_expiry=30.0
    )


def _secret(settings: LlmSettings) -> str | None:
    return settings.api_key.get_secret_value() if settings.api_key else None


def _openai(settings: LlmSettings, method: StructuredOutput) -> ChatModelHandle:
    import openai
    from langchain_openai import ChatOpenAI

    client = openai.DefaultAsyncHttpxClient(limits=_pool_limits(openai, settings))
    params: dict[str, Any] = {
        **_common(settings),
        "model": settings.model,
        "http_async_client": client,
        # Chat Completions is what every OpenAI-compatible server speaks.
        "use_responses_api": False,
    }
    key = _secret(settings)
    if settings.provider is LlmProvider.OPENAI_COMPATIBLE:
        key = key or _NO_KEY
    if key is not None:
        params["api_key"] = key
    if settings.base_url is not None:
        params["base_url"] = str(settings.base_url).rstrip("/")
    model = ChatOpenAI(**params)
    return ChatModelHandle(model, settings.provider, str(settings.model), method, [client.aclose])


def _azure(
    settings: LlmSettings, method: StructuredOutput, token_provider: AzureTokenProvider | None
) -> ChatModelHandle:
    import openai
    from langchain_openai import AzureChatOpenAI

    if not settings.azure_deployment or not settings.azure_api_version:
        raise InputError(
            "Azure OpenAI needs llm.azure_deployment and llm.azure_api_version "
            "(COMPLIANCE_LLM__AZURE_DEPLOYMENT, COMPLIANCE_LLM__AZURE_API_VERSION)"
        )
    client = openai.DefaultAsyncHttpxClient(limits=_pool_limits(openai, settings))
    closers: list[Callable[[], Awaitable[None]]] = [client.aclose]
    params: dict[str, Any] = {
        **_common(settings),
        "azure_endpoint": str(settings.base_url).rstrip("/"),
        "azure_deployment": settings.azure_deployment,
        "api_version": settings.azure_api_version,
        "http_async_client": client,
        "use_responses_api": False,
    }
    if settings.model:
        params["model"] = settings.model
    if token_provider is None and settings.azure_entra_id:
        token_provider, close = _default_credential_provider()
        closers.append(close)
    if token_provider is not None:
        params["azure_ad_async_token_provider"] = token_provider
    elif settings.azure_ad_token is not None:
        params["azure_ad_token"] = settings.azure_ad_token.get_secret_value()
    elif settings.api_key is not None:
        params["api_key"] = settings.api_key.get_secret_value()
    else:
        raise InputError(
            "Azure OpenAI needs llm.api_key, llm.azure_ad_token or llm.azure_entra_id=true"
        )
    model = AzureChatOpenAI(**params)
    name = settings.model or settings.azure_deployment
    return ChatModelHandle(model, settings.provider, name, method, closers)


def _default_credential_provider() -> tuple[AzureTokenProvider, Callable[[], Awaitable[None]]]:
    """An Entra ID token provider from azure-identity's DefaultAzureCredential (optional)."""
    try:
        identity = importlib.import_module("azure.identity.aio")
    except ImportError:
        raise InputError(
            "llm.azure_entra_id needs the azure-identity package "
            "(pip install 'compliance-assistant[azure]')"
        ) from None
    credential = identity.DefaultAzureCredential()
    provider: AzureTokenProvider = identity.get_bearer_token_provider(credential, AZURE_SCOPE)
    close: Callable[[], Awaitable[None]] = credential.close
    return provider, close


def _anthropic(settings: LlmSettings, method: StructuredOutput) -> ChatModelHandle:
    import anthropic
    from langchain_anthropic import ChatAnthropic

    key = _secret(settings)
    if key is None:
        raise InputError("Anthropic needs llm.api_key (COMPLIANCE_LLM__API_KEY)")
    base_url = str(settings.base_url).rstrip("/") if settings.base_url else None
    params: dict[str, Any] = {**_common(settings), "model": settings.model, "api_key": key}
    if base_url:
        params["base_url"] = base_url
    model = ChatAnthropic(**params)
    # langchain-anthropic shares one process-wide HTTP client per base URL, bound to the loop
    # that first used it; the judge gets its own client instead, closed with the handle.
    http_client = anthropic.DefaultAsyncHttpxClient(limits=_pool_limits(anthropic, settings))
    client = anthropic.AsyncAnthropic(
        api_key=key,
        base_url=base_url,
        max_retries=0,
        timeout=settings.timeout_seconds,
        http_client=http_client,
    )
    model.__dict__["_async_client"] = client
    return ChatModelHandle(model, settings.provider, str(settings.model), method, [client.close])
