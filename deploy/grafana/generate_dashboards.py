"""Writes the Grafana dashboards in deploy/grafana/dashboards/ (dashboards as code).

Edit the panels here and run ``python deploy/grafana/generate_dashboards.py``; tests/ops checks
that the committed JSON is what this script produces, that every PromQL expression parses
(promtool) and names only metrics the code registers, and that every SQL query of the business
dashboard runs on the real schema.

* operations.json — Prometheus datasource (uid ``prometheus``): traffic, errors, latency,
  queue, workers, jobs, guidelines, caches, LLM, Smart Search, breakers, DB pool.
* business.json — PostgreSQL datasource (uid ``compliance-postgres``, point it at the read
  replica): articles checked per day, average score, pass rate, most triggered and most
  dismissed guidelines, by tenant. Same definitions as ``GET /api/v1/analytics/summary``:
  an article passes when its result is complete and has no error-severity finding.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboards"
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
POSTGRES = {"type": "grafana-postgresql-datasource", "uid": "compliance-postgres"}
# The SSE stream stays open for a whole job; its duration is not request latency.
NOT_SSE = 'route!="/api/v1/jobs/{job_id}/events"'
RATE = "$__rate_interval"

Panel = dict[str, Any]


class Layout:
    """Places panels left to right in rows of 24 grid units."""

    def __init__(self) -> None:
        self.panels: list[Panel] = []
        self._x = 0
        self._y = 0
        self._row_height = 0
        self._next_id = 1

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def row(self, title: str) -> None:
        self._y += self._row_height
        self._x, self._row_height = 0, 0
        self.panels.append(
            {
                "type": "row",
                "id": self._id(),
                "title": title,
                "collapsed": False,
                "gridPos": {"x": 0, "y": self._y, "w": 24, "h": 1},
                "panels": [],
            }
        )
        self._y += 1

    def add(self, panel: Panel, width: int = 8, height: int = 8) -> None:
        if self._x + width > 24:
            self._y += self._row_height
            self._x, self._row_height = 0, 0
        panel["id"] = self._id()
        panel["gridPos"] = {"x": self._x, "y": self._y, "w": width, "h": height}
        self.panels.append(panel)
        self._x += width
        self._row_height = max(self._row_height, height)


def prom_panel(
    title: str,
    targets: list[tuple[str, str]],
    unit: str = "short",
    kind: str = "timeseries",
    description: str = "",
) -> Panel:
    """A Prometheus panel; ``targets`` are (PromQL, legend) pairs."""
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}}
        if kind == "timeseries"
        else {"reduceOptions": {"calcs": ["lastNotNull"]}},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": PROMETHEUS,
                "expr": expr,
                "legendFormat": legend,
            }
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def quantiles(metric: str, by: str, selector: str = "") -> list[tuple[str, str]]:
    return [
        (
            f"histogram_quantile({q}, sum by (le, {by}) "
            f"(rate({metric}_bucket{{{selector}}}[{RATE}])))",
            f"p{int(q * 100)} {{{{{by}}}}}",
        )
        for q in (0.5, 0.95, 0.99)
    ]


def ratio(numerator: str, denominator: str) -> str:
    return f"{numerator}\n  /\n{denominator}"


def operations() -> dict[str, Any]:
    layout = Layout()
    api = 'job="compliance-api"'

    layout.row("Traffic and errors")
    layout.add(
        prom_panel(
            "Requests per second by route",
            [
                (
                    f"sum by (route) (rate(compliance_http_requests_total{{{api}}}[{RATE}]))",
                    "{{route}}",
                )
            ],
            "reqps",
        )
    )
    layout.add(
        prom_panel(
            "Responses by status",
            [
                (
                    f"sum by (status) (rate(compliance_http_requests_total{{{api}}}[{RATE}]))",
                    "{{status}}",
                )
            ],
            "reqps",
        )
    )
    layout.add(
        prom_panel(
            "Error rate (5xx share; alert above 5 %)",
            [
                (
                    ratio(
                        "sum(rate(compliance_http_requests_total"
                        f'{{{api}, status=~"5.."}}[{RATE}]))',
                        f"sum(rate(compliance_http_requests_total{{{api}}}[{RATE}]))",
                    ),
                    "5xx share",
                )
            ],
            "percentunit",
        )
    )
    layout.add(
        prom_panel(
            "Rate-limited requests by group",
            [(f"sum by (group) (rate(compliance_rate_limited_total[{RATE}]))", "{{group}}")],
            "reqps",
        ),
        width=12,
    )
    layout.add(
        prom_panel(
            "Replicas up",
            [
                ('sum(up{job="compliance-api"})', "API"),
                ('sum(up{job="compliance-worker"})', "workers"),
            ],
        ),
        width=12,
    )

    layout.row("Latency")
    layout.add(
        prom_panel(
            "API latency p50 / p95 / p99 by route (alert: p99 > 5 s)",
            quantiles("compliance_http_request_duration_seconds", "route", f"{api}, {NOT_SSE}"),
            "s",
        ),
        width=24,
        height=9,
    )

    layout.row("Queue and workers")
    layout.add(
        prom_panel(
            "Queued jobs",
            [
                ("max(compliance_queue_depth)", "queued"),
                ("max(compliance_jobs_processing)", "processing"),
            ],
        )
    )
    layout.add(
        prom_panel(
            "Oldest queued job age (alert above 5 min)",
            [("max(compliance_queue_oldest_age_seconds)", "oldest")],
            "s",
        )
    )
    layout.add(
        prom_panel(
            "Workers up",
            [('up{job="compliance-worker"}', "{{instance}}")],
        )
    )
    layout.add(
        prom_panel(
            "Jobs submitted and finished per minute",
            [
                (f"sum(rate(compliance_jobs_submitted_total[{RATE}])) * 60", "submitted"),
                (f"sum by (outcome) (rate(compliance_checks_total[{RATE}])) * 60", "{{outcome}}"),
                (f"sum(rate(compliance_checks_resumed_total[{RATE}])) * 60", "resumed"),
            ],
        ),
        width=12,
    )
    layout.add(
        prom_panel(
            "Job duration, submit to end",
            quantiles("compliance_job_duration_seconds", "outcome"),
            "s",
        ),
        width=12,
    )

    layout.row("Guidelines")
    layout.add(
        prom_panel(
            "Guideline duration p95 by kind",
            [
                (
                    "histogram_quantile(0.95, sum by (le, kind) "
                    f"(rate(compliance_guideline_duration_seconds_bucket[{RATE}])))",
                    "{{kind}}",
                )
            ],
            "s",
        ),
        width=12,
    )
    layout.add(
        prom_panel(
            "Guideline branches by kind and status",
            [
                (
                    f"sum by (kind, status) (rate(compliance_guideline_checks_total[{RATE}]))",
                    "{{kind}} {{status}}",
                )
            ],
            "ops",
        ),
        width=12,
    )

    layout.row("Caches")
    layout.add(
        prom_panel(
            "Cache hit ratio by layer (alert below 50 %)",
            [
                (
                    ratio(
                        'sum by (layer) (rate(compliance_cache_requests_total{result="hit"}'
                        f"[{RATE}]))",
                        f"sum by (layer) (rate(compliance_cache_requests_total[{RATE}]))",
                    ),
                    "{{layer}}",
                )
            ],
            "percentunit",
        ),
        width=12,
    )
    layout.add(
        prom_panel(
            "LLM verdict cache lookups",
            [(f"sum by (result) (rate(compliance_llm_verdict_cache_total[{RATE}]))", "{{result}}")],
            "ops",
        ),
        width=12,
    )

    layout.row("LLM")
    layout.add(
        prom_panel(
            "Model calls by provider and outcome",
            [
                (
                    f"sum by (provider, outcome) (rate(compliance_llm_requests_total[{RATE}]))",
                    "{{provider}} {{outcome}}",
                )
            ],
            "ops",
        )
    )
    layout.add(
        prom_panel(
            "Tokens per minute",
            [
                (
                    "sum by (provider, direction) "
                    f"(rate(compliance_llm_tokens_total[{RATE}])) * 60",
                    "{{provider}} {{direction}}",
                )
            ],
        )
    )
    layout.add(
        prom_panel(
            "Model cost per hour",
            [
                (
                    f"sum by (provider) (rate(compliance_llm_cost_total[{RATE}])) * 3600",
                    "{{provider}}",
                )
            ],
            "currencyEUR",
        )
    )
    layout.add(
        prom_panel(
            "Prompt injections detected, MLflow failures",
            [
                (
                    f"sum(increase(compliance_prompt_injection_detected_total[{RATE}]))",
                    "injections",
                ),
                (f"sum(increase(compliance_mlflow_failures_total[{RATE}]))", "MLflow failures"),
            ],
        ),
        width=24,
    )

    layout.row("Smart Search")
    layout.add(
        prom_panel(
            "Requests by endpoint and status",
            [
                (
                    f"sum by (endpoint, status) (rate(smart_search_requests_total[{RATE}]))",
                    "{{endpoint}} {{status}}",
                )
            ],
            "reqps",
        )
    )
    layout.add(
        prom_panel(
            "Error rate (alert above 5 %)",
            [
                (
                    ratio(
                        f"sum(rate(smart_search_errors_total[{RATE}]))",
                        f"sum(rate(smart_search_requests_total[{RATE}]))",
                    ),
                    "errors",
                )
            ],
            "percentunit",
        )
    )
    layout.add(
        prom_panel(
            "Latency p95 by operation",
            [
                (
                    "histogram_quantile(0.95, sum by (le, operation) "
                    f"(rate(smart_search_latency_seconds_bucket[{RATE}])))",
                    "{{operation}}",
                )
            ],
            "s",
        )
    )
    layout.add(
        prom_panel(
            "GTC cache hit ratio by layer",
            [
                (
                    ratio(
                        f"sum by (layer) (rate(smart_search_cache_hits_total[{RATE}]))",
                        f"(sum by (layer) (rate(smart_search_cache_hits_total[{RATE}])) + "
                        f"sum by (layer) (rate(smart_search_cache_misses_total[{RATE}])))",
                    ),
                    "{{layer}}",
                )
            ],
            "percentunit",
        )
    )
    layout.add(
        prom_panel(
            "Failovers to the next endpoint",
            [
                (
                    f"sum by (endpoint) (increase(smart_search_failovers_total[{RATE}]))",
                    "from {{endpoint}}",
                )
            ],
        )
    )
    layout.add(
        prom_panel(
            "GTC blob cache size",
            [("max(gtc_cache_size_bytes)", "bytes")],
            "bytes",
        )
    )

    layout.row("Circuit breakers and database")
    layout.add(
        prom_panel(
            "Circuit breakers open (1 = open or half-open)",
            [("max by (name) (compliance_circuit_breaker_open)", "{{name}}")],
        )
    )
    layout.add(
        prom_panel(
            "Smart Search breakers (0 closed, 1 half-open, 2 open)",
            [("max by (endpoint) (smart_search_circuit_breaker_state)", "{{endpoint}}")],
        )
    )
    layout.add(
        prom_panel(
            "DB pool connections per replica",
            [
                (
                    "sum by (instance, state) (compliance_db_pool_connections)",
                    "{{instance}} {{state}}",
                ),
                ("max by (instance) (compliance_db_pool_size)", "{{instance}} pool size"),
            ],
        )
    )

    return dashboard(
        uid="compliance-operations",
        title="Compliance Assistant — operations",
        panels=layout.panels,
        tags=["compliance", "operations"],
    )


def sql_panel(title: str, sql: str, kind: str = "timeseries", unit: str = "short") -> Panel:
    return {
        "type": kind,
        "title": title,
        "datasource": POSTGRES,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": [
            {
                "refId": "A",
                "datasource": POSTGRES,
                "editorMode": "code",
                "format": "table" if kind in ("table", "stat") else "time_series",
                "rawQuery": True,
                "rawSql": sql,
            }
        ],
    }


# Grafana macros: $__timeFilter(col) limits to the dashboard's range; $tenant is the tenant
# variable (multi-value, quoted by Grafana).
RESULTS_IN_RANGE = "FROM results\nWHERE $__timeFilter(created_at) AND tenant_id IN ($tenant)"
PASSED = "CASE WHEN complete AND errors = 0 THEN 1.0 ELSE 0.0 END"


def business() -> dict[str, Any]:
    layout = Layout()
    layout.row("Articles")
    layout.add(
        sql_panel(
            "Articles checked",
            f"SELECT count(*) AS articles\n{RESULTS_IN_RANGE}",
            kind="stat",
        ),
        width=8,
        height=5,
    )
    layout.add(
        sql_panel(
            "Average score",
            f"SELECT round(avg(score)::numeric, 1) AS average_score\n{RESULTS_IN_RANGE}",
            kind="stat",
        ),
        width=8,
        height=5,
    )
    layout.add(
        sql_panel(
            "Pass rate",
            f"SELECT avg({PASSED}) AS pass_rate\n{RESULTS_IN_RANGE}",
            kind="stat",
            unit="percentunit",
        ),
        width=8,
        height=5,
    )
    layout.add(
        sql_panel(
            "Articles checked per day",
            "SELECT $__timeGroupAlias(created_at, '1d'), count(*) AS articles\n"
            f"{RESULTS_IN_RANGE}\nGROUP BY 1\nORDER BY 1",
        ),
        width=12,
    )
    layout.add(
        sql_panel(
            "Average score and pass rate per day",
            "SELECT $__timeGroupAlias(created_at, '1d'), avg(score) AS average_score, "
            f"100 * avg({PASSED}) AS pass_rate_percent\n{RESULTS_IN_RANGE}\nGROUP BY 1\nORDER BY 1",
        ),
        width=12,
    )

    layout.row("Guidelines")
    layout.add(
        sql_panel(
            "Most triggered guidelines",
            "SELECT r.guideline_id AS guideline, count(*) AS triggered\n"
            "FROM job_results r JOIN jobs j ON j.id = r.job_id\n"
            "WHERE $__timeFilter(j.created_at) AND r.tenant_id IN ($tenant)\n"
            "  AND r.status IN ('fail', 'warning')\n"
            "GROUP BY r.guideline_id\nORDER BY triggered DESC, guideline\nLIMIT 10",
            kind="table",
        ),
        width=12,
    )
    layout.add(
        sql_panel(
            "Most dismissed guidelines (a rule that may be wrong)",
            "SELECT guideline_id AS guideline, count(*) AS dismissed\nFROM feedback\n"
            "WHERE $__timeFilter(created_at) AND tenant_id IN ($tenant) AND action = 'dismiss'\n"
            "GROUP BY guideline_id\nORDER BY dismissed DESC, guideline\nLIMIT 10",
            kind="table",
        ),
        width=12,
    )

    layout.row("Tenants")
    layout.add(
        sql_panel(
            "By tenant",
            "SELECT tenant_id AS tenant, count(*) AS articles, "
            "round(avg(score)::numeric, 1) AS average_score, "
            f"round(100 * avg({PASSED})::numeric, 1) AS pass_rate_percent\n"
            f"{RESULTS_IN_RANGE}\nGROUP BY tenant_id\nORDER BY articles DESC",
            kind="table",
        ),
        width=24,
    )

    tenant_variable = {
        "name": "tenant",
        "label": "Tenant",
        "type": "query",
        "datasource": POSTGRES,
        "query": "SELECT DISTINCT tenant_id FROM results ORDER BY 1",
        "definition": "SELECT DISTINCT tenant_id FROM results ORDER BY 1",
        "multi": True,
        "includeAll": True,
        "refresh": 2,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    }
    return dashboard(
        uid="compliance-business",
        title="Compliance Assistant — business",
        panels=layout.panels,
        tags=["compliance", "business"],
        variables=[tenant_variable],
        time_from="now-30d",
    )


def dashboard(
    *,
    uid: str,
    title: str,
    panels: list[Panel],
    tags: list[str],
    variables: list[dict[str, Any]] | None = None,
    time_from: str = "now-6h",
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": tags,
        "editable": False,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": time_from, "to": "now"},
        "timezone": "utc",
        "templating": {"list": variables or []},
        "annotations": {"list": []},
        "panels": panels,
    }


def render() -> dict[str, str]:
    """File name → JSON text of every dashboard."""
    return {
        name: json.dumps(board, indent=2, ensure_ascii=False) + "\n"
        for name, board in (("operations.json", operations()), ("business.json", business()))
    }


def main() -> int:
    DASHBOARD_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (DASHBOARD_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote {DASHBOARD_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
