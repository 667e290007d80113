"""Fixtures of the GTC tests: the sample library (copied, so its index is written in tmp),
the reference server, clients wired for contract validation, fake time."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from tests.doubles.fixtures import double, llm_server
from tests.gtc.harness import (
    API_KEY,
    ROOT,
    Contract,
    FakeClock,
    Faults,
    RecordingSleep,
    RunningServer,
    running,
)
from tests.services import redis_key_prefix, redis_url

from compliance_assistant.gtc.client import SmartSearchClient
from compliance_assistant.gtc.library import GtcLibrary
from compliance_assistant.gtc.metrics import GtcMetrics

__all__ = ["double", "llm_server", "redis_key_prefix", "redis_url"]

SAMPLES = ROOT / "samples" / "gtc"
ARTICLES = ROOT / "samples" / "articles"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sample_library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("gtc") / "library"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns(".gtc-index"))
    return target


@pytest.fixture(scope="session")
def library(sample_library_dir: Path) -> GtcLibrary:
    return GtcLibrary.open(sample_library_dir)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> RecordingSleep:
    return RecordingSleep(clock)


@pytest.fixture
def metrics() -> GtcMetrics:
    return GtcMetrics(CollectorRegistry())


@pytest.fixture
def contract() -> Iterator[Contract]:
    checked = Contract()
    yield checked
    assert checked.errors == [], "\n".join(checked.errors)


@pytest.fixture(scope="session")
def _primary(library: GtcLibrary) -> Iterator[RunningServer]:
    with running(library, Faults()) as running_server:
        yield running_server


@pytest.fixture(scope="session")
def _secondary(library: GtcLibrary) -> Iterator[RunningServer]:
    with running(library, Faults()) as running_server:
        yield running_server


def _reset(faults: Faults) -> Faults:
    faults.script.clear()
    faults.seen.clear()
    faults.down = False
    return faults


@pytest.fixture
def server(_primary: RunningServer) -> RunningServer:
    """The reference server (shared by the session), its faults reset for this test."""
    _reset(_primary.faults)
    return _primary


@pytest.fixture
def faults(server: RunningServer) -> Faults:
    return server.faults


@pytest.fixture
def secondary(_secondary: RunningServer) -> RunningServer:
    _reset(_secondary.faults)
    return _secondary


@pytest.fixture
def secondary_faults(secondary: RunningServer) -> Faults:
    return secondary.faults


@pytest.fixture
async def http(contract: Contract) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(event_hooks={"response": [contract.hook]}) as client:
        yield client


def make_client(
    http: httpx.AsyncClient,
    urls: list[str],
    clock: FakeClock,
    sleep: RecordingSleep,
    metrics: GtcMetrics,
    **options: object,
) -> SmartSearchClient:
    return SmartSearchClient(
        http, endpoints=urls, api_key=API_KEY, clock=clock, sleep=sleep, metrics=metrics, **options
    )  # type: ignore[arg-type]


@dataclass
class Env:
    """What a test against the reference servers needs, as one fixture."""

    server: RunningServer
    secondary: RunningServer
    http: httpx.AsyncClient
    clock: FakeClock
    sleep: RecordingSleep
    metrics: GtcMetrics

    @property
    def faults(self) -> Faults:
        return self.server.faults

    @property
    def secondary_faults(self) -> Faults:
        return self.secondary.faults


@pytest.fixture
def env(  # noqa: PLR0917 - pytest passes fixtures by position
    server: RunningServer,
    secondary: RunningServer,
    http: httpx.AsyncClient,
    clock: FakeClock,
    sleep: RecordingSleep,
    metrics: GtcMetrics,
) -> Env:
    return Env(server, secondary, http, clock, sleep, metrics)
