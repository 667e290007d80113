"""Security tests reuse the API tests' fixtures (services, LLM double)."""

from __future__ import annotations

from tests.api.conftest import anyio_backend, llm_double, production_services
from tests.services import azurite_connection_string, postgres_url, redis_key_prefix, redis_url

__all__ = [
    "anyio_backend",
    "azurite_connection_string",
    "llm_double",
    "postgres_url",
    "production_services",
    "redis_key_prefix",
    "redis_url",
]
