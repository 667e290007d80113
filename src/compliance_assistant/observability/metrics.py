"""Prometheus metrics of the check pipeline and the judge (default registry, ``/metrics``).

Labels are bounded: provider names, guideline kinds, statuses and outcomes — never guideline
ids, job ids or text.
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
)
TRACKING_FAILURES = Counter(
    "compliance_mlflow_failures_total",
    "MLflow logging attempts that failed (the job itself is unaffected).",
)


def breaker_listener(name: str, state: str) -> None:
    """``CircuitBreaker.on_change`` hook that mirrors the state into :data:`BREAKER_STATE`."""
    BREAKER_STATE.labels(name=name).set(0 if state == "closed" else 1)
