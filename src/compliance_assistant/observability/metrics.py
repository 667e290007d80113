"""Prometheus metrics of the service, the check pipeline and the judge (default registry,
served on ``/metrics`` by :mod:`.exposition`; docs/observability.md lists them all).

Labels are bounded: provider names, guideline kinds, statuses, outcomes, route templates and
cache layers — never guideline ids, job ids, raw paths or text. Gauges that describe the
database (queue depth, pool usage) are not here: :mod:`.collectors` computes them at scrape
time. Works in prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

GUIDELINE_CHECKS = Counter(
    "compliance_guideline_checks_total",
    "Guideline branches finished, by kind and status.",
    ["kind", "status"],
)
GUIDELINE_DURATION = Histogram(
    "compliance_guideline_duration_seconds",
    "Time one guideline branch took, by kind.",
    ["kind"],
    buckets=(0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
CHECKS = Counter(
    "compliance_checks_total",
    "Checks finished by the pipeline, by outcome (completed, cancelled, failed).",
    ["outcome"],
)
CHECKS_RESUMED = Counter(
    "compliance_checks_resumed_total",
    "Checks resumed from a checkpoint after an interruption.",
)
LLM_REQUESTS = Counter(
    "compliance_llm_requests_total",
    "Model calls, by provider and outcome (ok, unusable, transient_error, error, breaker_open).",
    ["provider", "outcome"],
)
LLM_TOKENS = Counter(
    "compliance_llm_tokens_total",
    "Tokens reported by the provider, by direction (input, output).",
    ["provider", "direction"],
)
LLM_COST = Counter(
    "compliance_llm_cost_total",
    "Cost of model calls in the configured currency (from the configured prices).",
    ["provider"],
)
LLM_VERDICT_CACHE = Counter(
    "compliance_llm_verdict_cache_total",
    "Verdict cache lookups, by result (hit, miss, error).",
    ["result"],
)
QUOTES_DROPPED = Counter(
    "compliance_llm_quotes_dropped_total",
    "Quotes returned by the model that were not found in the document (finding dropped).",
    ["provider"],
)
PROMPT_INJECTIONS = Counter(
    "compliance_prompt_injection_detected_total",
    "Passages addressed to AI reviewers found in checked articles.",
)
BREAKER_STATE = Gauge(
    "compliance_circuit_breaker_open",
    "1 while a circuit breaker is open or half-open, 0 when closed.",
    ["name"],
    # Several processes: a breaker counts as open while any live process has it open.
    multiprocess_mode="livemax",
)
TRACKING_FAILURES = Counter(
    "compliance_mlflow_failures_total",
    "MLflow logging attempts that failed (the job itself is unaffected).",
)


# -- the service (HTTP API, job lifecycle, caches) ------------------------------------------

HTTP_REQUESTS = Counter(
    "compliance_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "compliance_http_request_duration_seconds",
    "Time to answer an HTTP request (to the end of the body), by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS_SUBMITTED = Counter(
    "compliance_jobs_submitted_total",
    "New jobs accepted by the API (duplicates and idempotent replays are not counted).",
)
JOB_DURATION = Histogram(
    "compliance_job_duration_seconds",
    "Time from submission to the job's end in a worker, by outcome (completed, failed, cancelled).",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600),
)
CACHE_REQUESTS = Counter(
    "compliance_cache_requests_total",
    "Cache lookups by layer (status, result, verdict, gtc_metadata, gtc_location, gtc_pdf) "
    "and result (hit, miss).",
    ["layer", "result"],
)
RATE_LIMITED = Counter(
    "compliance_rate_limited_total",
    "Requests refused with 429 by a rate limit, by limit group.",
    ["group"],
)


def record_cache(layer: str, *, hit: bool) -> None:
    CACHE_REQUESTS.labels(layer, "hit" if hit else "miss").inc()


def record_rate_limited(group: str) -> None:
    """Count one request refused by the rate limit of ``group`` (e.g. ``submit``)."""
    RATE_LIMITED.labels(group).inc()


def breaker_listener(name: str, state: str) -> None:
    """``CircuitBreaker.on_change`` hook that mirrors the state into :data:`BREAKER_STATE`."""
    BREAKER_STATE.labels(name=name).set(0 if state == "closed" else 1)
