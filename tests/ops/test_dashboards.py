"""Grafana dashboards as code: generated, parseable, and reading only what the code exposes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from tests.ops.promql import (
    DEPLOY,
    PROMETHEUS_SYNTHETIC,
    check_expressions_parse,
    exposed_names,
    grafana_to_promql,
    metric_names,
)

GRAFANA = DEPLOY / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_dashboards", GRAFANA / "generate_dashboards.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _panels(path: Path) -> list[dict[str, Any]]:
    board = json.loads(path.read_text(encoding="utf-8"))
    return [panel for panel in board["panels"] if panel["type"] != "row"]


def _prometheus_expressions() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in _panels(path):
            for target in panel["targets"]:
                if "expr" in target:
                    found.append((f"{path.name}: {panel['title']}", target["expr"]))
    return found


def test_committed_dashboards_are_what_the_generator_writes() -> None:
    rendered = _generator().render()
    assert sorted(rendered) == [path.name for path in DASHBOARDS]
    for path in DASHBOARDS:
        assert path.read_text(encoding="utf-8") == rendered[path.name], (
            f"{path.name} is stale: run python deploy/grafana/generate_dashboards.py"
        )


def test_operations_dashboard_covers_the_issue() -> None:
    titles = " | ".join(panel["title"] for panel in _panels(GRAFANA / "dashboards/operations.json"))
    for topic in (
        "Requests per second",
        "Error rate",
        "p50 / p95 / p99",
        "Queued jobs",
        "Oldest queued job",
        "Workers up",
        "Job duration",
        "Guideline duration",
        "Cache hit ratio",
        "Tokens",
        "cost",
        "Smart Search",
        "Circuit breakers",
        "DB pool",
    ):
        assert topic in titles, f"no panel about {topic!r}"


def test_every_prometheus_expression_parses(tmp_path: Path) -> None:
    expressions = [(where, grafana_to_promql(expr)) for where, expr in _prometheus_expressions()]
    assert len(expressions) > 30
    check_expressions_parse(expressions, tmp_path)


def test_every_prometheus_expression_reads_metrics_the_code_exposes(postgres_url: str) -> None:
    known = exposed_names(postgres_url) | PROMETHEUS_SYNTHETIC
    for where, expr in _prometheus_expressions():
        names = metric_names(grafana_to_promql(expr))
        assert names, f"{where}: no metric found in {expr!r}"
        unknown = names - known
        assert not unknown, f"{where} reads metrics no code registers: {sorted(unknown)}"


def test_panels_use_the_provisioned_datasources() -> None:
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning/datasources/datasources.yml").read_text(encoding="utf-8")
    )
    uids = {source["uid"]: source["type"] for source in provisioned["datasources"]}
    for path in DASHBOARDS:
        for panel in _panels(path):
            source = panel["datasource"]
            assert uids.get(source["uid"]) == source["type"], f"{path.name}: {panel['title']}"
    provider = yaml.safe_load(
        (GRAFANA / "provisioning/dashboards/dashboards.yml").read_text(encoding="utf-8")
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_panel_ids_are_unique_and_panels_do_not_overlap() -> None:
    for path in DASHBOARDS:
        board = json.loads(path.read_text(encoding="utf-8"))
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids))
        cells: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24
            area = {
                (x, y)
                for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])
            }
            assert not cells & area, f"{path.name}: {panel['title']} overlaps another panel"
            cells |= area
