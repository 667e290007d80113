"""Shared fixtures (see tests/doubles/fixtures.py)."""

from collections.abc import Iterator

import pytest

from tests.doubles.fixtures import (  # noqa: F401 - fixtures are found by name
    anyio_backend,
    double,
    llm_server,
    postgres_checkpoint_url,
    redis_url,
)
from tests.doubles.otlp_receiver import OtlpReceiver
from tests.services import postgres_url  # noqa: F401 - fixtures are found by name


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver
