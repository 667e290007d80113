"""Scale and failure fixtures: the LLM double of the API tests (the rest is per test)."""

from __future__ import annotations

from tests.api.conftest import anyio_backend, llm_double

__all__ = ["anyio_backend", "llm_double"]
