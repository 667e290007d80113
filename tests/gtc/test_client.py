"""The Smart Search client against the reference server over real HTTP: retries with backoff,
Retry-After, failover, the circuit breaker on a fake clock, timeouts, the rate limit."""

from __future__ import annotations

import httpx
import pytest
from tests.gtc.conftest import Env, make_client
from tests.gtc.harness import API_KEY, FakeClock, Fault, RecordingSleep
from tests.services import free_port

from compliance_assistant.gtc.client import SmartSearchClient, SmartSearchTimeouts
from compliance_assistant.gtc.errors import (
    GtcNotFound,
    GtcSourceUnavailable,
    SmartSearchContractError,
    SmartSearchRateLimited,
)
from compliance_assistant.gtc.metrics import GtcMetrics
from compliance_assistant.gtc.models import SearchRequest
from compliance_assistant.resilience.breaker import BreakerState
from compliance_assistant.resilience.token_bucket import MemoryTokenBucket

pytestmark = pytest.mark.anyio
QUERY = SearchRequest(query="Easy Saver Northbank")


def sample(metrics: GtcMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return float(value or 0.0)


async def test_transient_errors_are_retried_with_exponential_backoff_and_jitter(env: Env) -> None:
    env.faults.script += [Fault(503), Fault(500)]
    client = make_client(env.http, [env.server.url], env.clock, env.sleep, env.metrics)
    response = await client.search(QUERY)
    assert response.results[0].gtc_id == "northbank-easy-saver-v3"
    assert env.faults.count() == 3
    first, second = env.sleep.waits
    assert 1.0 <= first <= 2.0  # 1 s, plus up to 1 s of jitter
    assert 2.0 <= second <= 3.0  # doubled
    assert (
        sample(
            env.metrics,
            "smart_search_requests_total",
            endpoint="primary",
            operation="search",
            status="503",
        )
        == 1
    )
    assert (
        sample(env.metrics, "smart_search_errors_total", endpoint="primary", kind="transient") == 2
    )


async def test_backoff_is_capped_at_30_seconds(env: Env) -> None:
    from compliance_assistant.resilience.breaker import BreakerPolicy, BreakerRegistry
    from compliance_assistant.resilience.retry import RetryPolicy

    env.faults.script += [Fault(502)] * 6
    client = make_client(
        env.http,
        [env.server.url],
        env.clock,
        env.sleep,
        env.metrics,
        retry=RetryPolicy(attempts=7, initial_wait=1.0, max_wait=30.0, jitter=1.0),
        breakers=BreakerRegistry(env.clock, BreakerPolicy(failure_threshold=10)),
    )
    await client.search(QUERY)
    assert len(env.sleep.waits) == 6
    assert max(env.sleep.waits) <= 30.0
    assert env.sleep.waits[-1] == pytest.approx(30.0, abs=1.0)


async def test_429_waits_as_long_as_retry_after_says(env: Env) -> None:
    env.faults.script.append(Fault(429, {"Retry-After": "7"}))
    client = make_client(env.http, [env.server.url], env.clock, env.sleep, env.metrics)
    await client.search(QUERY)
    assert env.sleep.waits == [7.0]
    assert env.faults.count() == 2


async def test_a_retry_after_beyond_the_cap_fails_over_at_once(env: Env) -> None:
    env.faults.script.append(Fault(429, {"Retry-After": "120"}))
    client = make_client(
        env.http, [env.server.url, env.secondary.url], env.clock, env.sleep, env.metrics
    )
    await client.search(QUERY)
    assert env.sleep.waits == []
    assert (env.faults.count(), env.secondary_faults.count()) == (1, 1)
    assert sample(env.metrics, "smart_search_failovers_total", endpoint="primary") == 1


async def test_fails_over_to_the_secondary_when_the_primary_is_unreachable(env: Env) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    client = make_client(env.http, [dead, env.secondary.url], env.clock, env.sleep, env.metrics)
    file = await client.download("northbank-flexiloan-v2.1")
    assert file.source == env.secondary.url
    assert len(env.sleep.waits) == 2  # three attempts on the primary first
    assert env.secondary_faults.count() == 1
    assert (
        sample(
            env.metrics,
            "smart_search_requests_total",
            endpoint="primary",
            operation="download",
            status="smart_search_unreachable",
        )
        == 3
    )


async def test_every_endpoint_down_is_unavailable(env: Env) -> None:
    env.faults.down = env.secondary_faults.down = True
    client = make_client(
        env.http, [env.server.url, env.secondary.url], env.clock, env.sleep, env.metrics
    )
    with pytest.raises(GtcSourceUnavailable, match=r"primary.*secondary"):
        await client.search(QUERY)
    assert (env.faults.count(), env.secondary_faults.count()) == (3, 3)


async def test_the_breaker_opens_after_5_failures_and_recovers_after_2_probes(env: Env) -> None:
    env.sleep = RecordingSleep()  # backoff waits must not move the breaker's clock here
    env.faults.down = True
    client = make_client(env.http, [env.server.url], env.clock, env.sleep, env.metrics)
    breaker = client.breaker(client.endpoints[0])
    with pytest.raises(GtcSourceUnavailable):
        await client.search(QUERY)  # 3 failures
    with pytest.raises(GtcSourceUnavailable, match="circuit breaker is open"):
        await client.search(QUERY)  # 2 more open it; the third attempt is not made
    assert env.faults.count() == 5
    assert breaker.state is BreakerState.OPEN
    gauge = env.metrics.breaker_state.labels("primary")._value.get()  # type: ignore[attr-defined]
    assert gauge == 2
    with pytest.raises(GtcSourceUnavailable):
        await client.search(QUERY)
    assert env.faults.count() == 5  # open: nothing sent
    env.faults.down = False
    env.clock.advance(59)
    assert breaker.state is BreakerState.OPEN
    env.clock.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN
    await client.search(QUERY)
    assert breaker.state is BreakerState.HALF_OPEN
    await client.search(QUERY)
    assert breaker.state is BreakerState.CLOSED
    assert env.faults.count() == 7


async def test_a_failed_probe_opens_the_breaker_again(env: Env) -> None:
    env.sleep = RecordingSleep()  # backoff waits must not move the breaker's clock here
    env.faults.down = True
    client = make_client(env.http, [env.server.url], env.clock, env.sleep, env.metrics)
    breaker = client.breaker(client.endpoints[0])
    for _ in range(2):
        with pytest.raises(GtcSourceUnavailable):
            await client.search(QUERY)
    env.clock.advance(60)
    with pytest.raises(GtcSourceUnavailable):
        await client.search(QUERY)
    assert breaker.state is BreakerState.OPEN


async def test_a_slow_answer_times_out_and_counts_as_transient(env: Env) -> None:
    env.faults.script.append(Fault(503, delay=1.0))
    client = make_client(
        env.http,
        [env.server.url],
        env.clock,
        env.sleep,
        env.metrics,
        timeouts=SmartSearchTimeouts(search=0.05, download=0.05, connect=0.05),
    )
    response = await client.search(QUERY)
    assert response.results
    assert (
        sample(
            env.metrics,
            "smart_search_requests_total",
            endpoint="primary",
            operation="search",
            status="smart_search_timeout",
        )
        == 1
    )


async def test_not_found_is_permanent(env: Env) -> None:
    client = make_client(env.http, [env.server.url], env.clock, env.sleep, env.metrics)
    with pytest.raises(GtcNotFound):
        await client.download("no-such-document")
    assert env.faults.count() == 1
    assert client.breaker(client.endpoints[0]).state is BreakerState.CLOSED


async def test_an_answer_that_breaks_the_contract_is_a_permanent_error(
    clock: FakeClock, sleep: RecordingSleep, metrics: GtcMetrics
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": "not a list"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = SmartSearchClient(
            http,
            endpoints=["http://smart-search.invalid"],
            api_key=API_KEY,
            clock=clock,
            sleep=sleep,
            metrics=metrics,
        )
        with pytest.raises(SmartSearchContractError):
            await client.search(QUERY)
    assert sleep.waits == []


async def test_the_token_bucket_spaces_out_requests_beyond_the_burst(env: Env) -> None:
    bucket = MemoryTokenBucket(rate=100, burst=2, clock=env.clock)
    client = make_client(
        env.http, [env.server.url], env.clock, env.sleep, env.metrics, bucket=bucket
    )
    for _ in range(3):
        await client.get_document("northbank-easy-saver-v3")
    assert env.sleep.waits == [pytest.approx(0.01)]
    assert env.faults.count() == 3


async def test_a_rate_limit_wait_beyond_the_maximum_is_refused(env: Env) -> None:
    bucket = MemoryTokenBucket(rate=0.01, burst=1, clock=env.clock)
    client = make_client(
        env.http,
        [env.server.url],
        env.clock,
        env.sleep,
        env.metrics,
        bucket=bucket,
        max_rate_wait=5.0,
    )
    await client.get_document("northbank-easy-saver-v3")
    with pytest.raises(SmartSearchRateLimited):
        await client.get_document("northbank-easy-saver-v3")
    assert env.faults.count() == 1
