"""The API in both run modes (tests/api's fixtures) and the session's PostgreSQL."""

from __future__ import annotations

from tests.api.conftest import (  # noqa: F401 - fixtures are found by name
    anyio_backend,
    api,
    llm_double,
    mode,
    production_services,
    services,
)
from tests.services import (  # noqa: F401 - fixtures are found by name
    azurite_connection_string,
    postgres_url,
    redis_key_prefix,
    redis_url,
)
