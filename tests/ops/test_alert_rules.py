"""The Prometheus alert rules: syntax, unit tests (firing and quiet) and metric names."""

from __future__ import annotations

import subprocess

import yaml

from tests.ops.promql import (
    DEPLOY,
    PROMETHEUS_SYNTHETIC,
    exposed_names,
    metric_names,
    promtool,
    rule_expressions,
)

PROMETHEUS_DIR = DEPLOY / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts_test.yml"
# The issue's alerts, each with the rule that implements it.
REQUIRED_ALERTS = {
    "error rate > 5 % for 5 min": "ComplianceHighErrorRate",
    "p99 latency > 5 s for 10 min": "ComplianceHighLatencyP99",
    "cache hit rate < 50 %": "ComplianceLowCacheHitRate",
    "Smart Search error rate > 5 %": "SmartSearchHighErrorRate",
    "breaker open > 5 min": "ComplianceCircuitBreakerOpen",
    "queue age": "ComplianceQueueBacklog",
    "worker down": "ComplianceWorkerDown",
}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rules() -> list[dict[str, object]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_rules() -> None:
    completed = _promtool("check", "rules", RULES.name)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in completed.stdout


def test_rule_unit_tests_pass() -> None:
    completed = _promtool("test", "rules", RULE_TESTS.name)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS" in completed.stdout


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    document = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in document["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    alerts = {str(rule["alert"]) for rule in _rules()}
    assert alerts - firing == set(), "alerts never tested firing"
    assert alerts - quiet == set(), "alerts never tested staying quiet"


def test_the_issue_alerts_exist_with_their_thresholds() -> None:
    rules = {str(rule["alert"]): rule for rule in _rules()}
    assert set(REQUIRED_ALERTS.values()) <= rules.keys()
    assert rules["ComplianceHighErrorRate"]["for"] == "5m"
    assert "> 0.05" in str(rules["ComplianceHighErrorRate"]["expr"])
    assert rules["ComplianceHighLatencyP99"]["for"] == "10m"
    assert "histogram_quantile(0.99" in str(rules["ComplianceHighLatencyP99"]["expr"])
    assert "> 5" in str(rules["ComplianceHighLatencyP99"]["expr"])
    assert "< 0.5" in str(rules["ComplianceLowCacheHitRate"]["expr"])
    assert "> 0.05" in str(rules["SmartSearchHighErrorRate"]["expr"])
    assert rules["ComplianceCircuitBreakerOpen"]["for"] == "5m"
    assert 'up{job="compliance-worker"}' in str(rules["ComplianceWorkerDown"]["expr"])


def test_every_alert_links_its_runbook_section() -> None:
    runbook = (DEPLOY.parent / "docs" / "operations.md").read_text(encoding="utf-8").lower()
    for rule in _rules():
        # Rules come from YAML (untyped); the runbook annotation is a URL with an anchor.
        anchor = str(rule["annotations"]["runbook"]).split("#", 1)[1]  # type: ignore[index]
        assert f"### {anchor}" in runbook, f"docs/operations.md lacks a section for {anchor}"


def test_rules_read_only_metrics_the_code_exposes(postgres_url: str) -> None:
    known = exposed_names(postgres_url) | PROMETHEUS_SYNTHETIC
    for alert, expr in rule_expressions(RULES).items():
        unknown = metric_names(expr) - known
        assert not unknown, f"{alert} reads metrics no code registers: {sorted(unknown)}"


def test_scrape_config_has_the_job_names_the_rules_select() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"compliance-api", "compliance-worker"} <= jobs
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    completed = _promtool("check", "config", "--syntax-only", "prometheus.yml")
    assert completed.returncode == 0, completed.stdout + completed.stderr
