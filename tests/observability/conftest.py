"""Shared fixtures (see tests/doubles/fixtures.py)."""

from tests.doubles.fixtures import (  # noqa: F401 - fixtures are found by name
    anyio_backend,
    double,
    llm_server,
    postgres_checkpoint_url,
    redis_url,
)
from tests.services import postgres_url  # noqa: F401 - fixtures are found by name
