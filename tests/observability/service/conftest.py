"""The API in both run modes (tests/api's fixtures) and a span collector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import (  # noqa: F401 - fixtures are found by name
    anyio_backend,
    api,
    llm_double,
    mode,
    production_services,
    services,
)
from tests.observability.tracing_capture import Collector, span_collector
from tests.services import (  # noqa: F401 - fixtures are found by name
    azurite_connection_string,
    postgres_url,
    redis_key_prefix,
    redis_url,
)


@pytest.fixture
def spans() -> Iterator[Collector]:
    collector = span_collector()
    collector.start()
    yield collector
    collector.stop()
