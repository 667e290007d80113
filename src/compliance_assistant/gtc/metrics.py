"""Prometheus metrics of GTC retrieval (Smart Search calls, cache layers, breaker, failover).

One :class:`GtcMetrics` per registry: :func:`default_metrics` registers on the process-wide
default registry (what ``/metrics`` serves); tests pass their own ``CollectorRegistry``.
Labels are bounded: endpoint names (``primary``/``secondary``), operations, statuses, cache
layers — never GTC ids or queries.
"""

from __future__ import annotations

import functools

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from compliance_assistant.resilience.breaker import BreakerState

BREAKER_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class GtcMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "smart_search_requests_total",
            "HTTP requests to Smart Search, by endpoint, operation and status (HTTP code, "
            "timeout, connection_error).",
            ["endpoint", "operation", "status"],
            registry=registry,
        )
        self.cache_hits = Counter(
            "smart_search_cache_hits_total",
            "GTC cache hits, by layer (metadata, location, blob, blob_stale).",
            ["layer"],
            registry=registry,
        )
        self.cache_misses = Counter(
            "smart_search_cache_misses_total",
            "GTC cache misses, by layer.",
            ["layer"],
            registry=registry,
        )
        self.latency = Histogram(
            "smart_search_latency_seconds",
            "Smart Search request latency, by operation.",
            ["operation"],
            registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.errors = Counter(
            "smart_search_errors_total",
            "Failed Smart Search requests, by endpoint and kind (transient, permanent).",
            ["endpoint", "kind"],
            registry=registry,
        )
        self.breaker_state = Gauge(
            "smart_search_circuit_breaker_state",
            "Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open.",
            ["endpoint"],
            registry=registry,
        )
        self.failovers = Counter(
            "smart_search_failovers_total",
            "Requests that moved on to the next endpoint, by the endpoint that failed.",
            ["endpoint"],
            registry=registry,
        )
        self.cache_size = Gauge(
            "gtc_cache_size_bytes", "Bytes of GTC documents in the blob cache.", registry=registry
        )

    def breaker_changed(self, name: str, state: BreakerState) -> None:
        """A ``CircuitBreaker.on_change`` listener; breaker names are ``smart-search:ENDPOINT``."""
        self.breaker_state.labels(name.rsplit(":", 1)[-1]).set(BREAKER_VALUES[state])


@functools.cache
def default_metrics() -> GtcMetrics:
    """The metrics on the default registry, created on first use (once per process)."""
    return GtcMetrics(REGISTRY)
