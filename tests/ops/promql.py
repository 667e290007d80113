"""Helpers for the ops tests: PromQL metric names, the code's metric registry, promtool.

Syntax is promtool's job (``promtool check rules`` parses every expression); this module
only needs the metric names an expression reads, which is a lexical question once strings,
label matchers, durations and grouping clauses are removed.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"

# Series Prometheus makes itself for every target.
PROMETHEUS_SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "inf",
    "nan",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def grafana_to_promql(expr: str) -> str:
    """Replace Grafana's interval variables by concrete durations promtool accepts."""
    for variable, value in (
        ("$__rate_interval", "5m"),
        ("$__interval", "1m"),
        ("$__range", "1h"),
    ):
        expr = expr.replace(variable, value)
    return expr


def metric_names(expr: str) -> set[str]:
    """Metric names read by a PromQL expression (functions and keywords excluded)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("("):  # a function call
            continue
        word = match.group(0)
        if word.lower() in _KEYWORDS:
            continue
        names.add(word)
    return names


def exposed_names(database_url: str) -> set[str]:
    """Every series name the code exposes on /metrics.

    Imports the metric modules (observability package, GTC metrics) so their metrics are
    registered and reads the names the registry holds (counters as ``*_total``, histograms
    as ``*_bucket/_sum/_count``, gauges as is); adds the scrape-time collectors (queue and
    DB pool gauges), which exist per process with a database, by running them against the
    real (PostgreSQL) database at ``database_url``.
    """
    from prometheus_client import REGISTRY

    from compliance_assistant import observability
    from compliance_assistant.gtc.metrics import default_metrics

    for module in pkgutil.iter_modules(observability.__path__, observability.__name__ + "."):
        importlib.import_module(module.name)
    default_metrics()
    # The registry's own index of names; public API would need a scrape with samples.
    return set(REGISTRY._names_to_collectors) | asyncio.run(_scrape_time_names(database_url))


async def _scrape_time_names(database_url: str) -> set[str]:
    from compliance_assistant.config import load_settings
    from compliance_assistant.observability.collectors import ScrapeSources
    from compliance_assistant.storage.db import Database
    from compliance_assistant.storage.db.migrate import migrate

    await migrate(database_url)
    database = Database.from_settings(load_settings(database={"url": database_url}))
    try:
        sources = ScrapeSources(database)
        await sources.refresh()
        return {
            sample.name
            for collector in sources.collectors
            for family in collector.collect()
            for sample in family.samples
        }
    finally:
        await database.dispose()


def rule_expressions(rules_file: Path) -> dict[str, str]:
    """Alert or record name → expression of a Prometheus rules file."""
    document = yaml.safe_load(rules_file.read_text(encoding="utf-8"))
    found = {}
    for group in document["groups"]:
        for rule in group["rules"]:
            found[rule.get("alert") or rule["record"]] = rule["expr"]
    return found


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not installed: `make ops-check` installs Debian's prometheus package",
            pytrace=False,
        )
    return path


def check_expressions_parse(expressions: Iterable[tuple[str, str]], tmp_path: Path) -> None:
    """Run ``promtool check rules`` over the expressions as recording rules (it parses each)."""
    rules = [
        {"record": f"check:{index}", "expr": expr} for index, (_, expr) in enumerate(expressions)
    ]
    path = tmp_path / "expressions.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "check", "rules": rules}]}))
    completed = subprocess.run(
        [promtool(), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
