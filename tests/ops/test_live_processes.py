"""Issue #9's "Done when" proofs against real processes.

One private production topology (tests/scale/cluster.py: PostgreSQL, Redis and Azurite of the
test's own, one ``compliance api`` and one ``compliance worker`` process) with JSON logs and
OTLP trace export to the OTLP/HTTP receiver double (tests/doubles), the reference Smart Search
server and the LLM double. One job runs through it (an llm, a gtc and a rule guideline);
around it both processes' ``/metrics`` are scraped. Then:

* the scrapes move by exactly the job's share (jobs completed, duration count, LLM tokens as
  the double reported them);
* every PromQL expression of the dashboards and alert rules parses (promtool) and reads only
  metric names the live API and worker scrapes expose;
* one correlation id is on the API's log line, the worker's log lines and the job's trace
  (spans exported by both processes, decoded with opentelemetry-proto).
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from prometheus_client.parser import text_string_to_metric_families

from compliance_assistant.gtc.library import GtcLibrary
from tests.api.conftest import llm_double
from tests.api.harness import llm_set_yaml
from tests.doubles.llm_server import LlmDouble, Reply
from tests.doubles.otlp_receiver import OtlpReceiver
from tests.gtc.harness import API_KEY, Faults, RunningServer
from tests.observability.scrape import Scrape
from tests.ops.promql import (
    DEPLOY,
    PROMETHEUS_SYNTHETIC,
    check_expressions_parse,
    grafana_to_promql,
    metric_names,
    rule_expressions,
)
from tests.scale.cluster import Cluster, ServiceProcess

__all__ = ["llm_double"]
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = ("completed", "failed", "cancelled")
# The scripted answer of the llm guideline: token counts no default reply has.
JUDGE_REPLY = Reply(input_tokens=321, output_tokens=47)
# Series names a family of each type exposes (prometheus-client's text format).
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "stateset": ("",),
    "untyped": ("",),
    "unknown": ("",),
}


@dataclass(frozen=True)
class ExportedSpan:
    service: str
    name: str
    trace_id: str
    attributes: dict[str, Any]


def _attributes(values: list[KeyValue]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in values:
        kind = item.value.WhichOneof("value")
        found[item.key] = getattr(item.value, kind) if kind else None
    return found


def exported_spans(receiver: OtlpReceiver) -> list[ExportedSpan]:
    return [
        ExportedSpan(
            str(_attributes(list(resource.attributes))["service.name"]),
            span.name,
            span.trace_id.hex(),
            _attributes(list(span.attributes)),
        )
        for resource, _scope, span in receiver.spans()
    ]


def live_names(text: str) -> set[str]:
    """Series names a scrape exposes: those with samples, and for families declared without
    samples yet (a labelled metric nothing has incremented) the names their type exposes."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        if family.samples:
            names.update(sample.name for sample in family.samples)
        else:
            names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
    return names


def sampled_names(text: str) -> set[str]:
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def json_lines(process: ServiceProcess) -> list[dict[str, Any]]:
    lines = []
    for line in process.log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _poll(what: str, seconds: float, found: Callable[[], bool]) -> None:
    """Bounded polling for something real processes do in their own time."""
    deadline = time.monotonic() + seconds
    while not found():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen within {seconds} s")
        time.sleep(0.1)


@dataclass
class LiveRun:
    api: ServiceProcess
    worker: ServiceProcess
    job_id: str
    correlation_id: str
    api_before: Scrape
    api_after: Scrape
    worker_before: Scrape
    worker_after: Scrape
    # LLM answers the double gave during the job: (input tokens, output tokens) each.
    answers: list[tuple[int, int]]
    spans: list[ExportedSpan]


def _scrape(url: str) -> Scrape:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return Scrape(response.text)


@pytest.fixture(scope="module")
def smart_search(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # A copy: opening a library writes its index next to the documents.
    library = tmp_path_factory.mktemp("smart-search") / "library"
    shutil.copytree(ROOT / "samples" / "gtc", library, ignore=shutil.ignore_patterns(".gtc-*"))
    server = RunningServer(GtcLibrary.open(library), Faults()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    llm_double: LlmDouble,
    smart_search: RunningServer,
) -> Iterator[LiveRun]:
    with OtlpReceiver() as collector:
        cluster = Cluster(
            tmp_path_factory.mktemp("live"),
            llm_double.openai_base_url,
            extra_env={
                "COMPLIANCE_LOG__FORMAT": "json",
                "COMPLIANCE_OBSERVABILITY__OTLP_ENDPOINT": collector.base_url,
                "COMPLIANCE_GTC__SMART_SEARCH_URL": smart_search.url,
                "COMPLIANCE_GTC__SMART_SEARCH_API_KEY": API_KEY,
                # Only the llm guideline calls the model, so its tokens are the job's tokens.
                "COMPLIANCE_GTC__LLM_JUDGING": "false",
            },
        )
        try:
            yield _run_one_job(cluster, collector, llm_double)
        finally:
            cluster.close()


def _new_key(cluster: Cluster, role: str) -> str:
    printed = cluster.cli("apikey", "create", "--tenant", "live", "--name", role, "--role", role)
    return printed.strip().splitlines()[-1]


def _run_one_job(cluster: Cluster, collector: OtlpReceiver, double: LlmDouble) -> LiveRun:
    cluster.start_services()
    key = _new_key(cluster, "writer")
    api = cluster.add_api()
    worker = cluster.add_worker()
    cluster.wait_ready(api)
    cluster.wait_worker_started(worker)
    base = f"http://127.0.0.1:{api.port}"
    worker_metrics = f"http://127.0.0.1:{worker.env['COMPLIANCE_WORKER__METRICS_PORT']}/metrics"

    set_id = f"live-{uuid.uuid4().hex[:8]}"
    marker = f"{set_id}-judged"
    double.script(f"{marker}-marker", JUDGE_REPLY)
    gtc = (
        "  - id: gtc-consistency\n    title: Claims agree with the product's GTC\n"
        "    kind: gtc\n    severity: error\n"
    )
    correlation_id = f"live-corr-{uuid.uuid4().hex[:12]}"
    article = (ROOT / "samples" / "articles" / "gtc-easy-saver.md").read_text()
    with httpx.Client(base_url=base, timeout=30) as client:
        admin_key = _new_key(cluster, "admin")
        created = client.post(
            "/api/v1/guideline-sets",
            content=(llm_set_yaml(set_id, marker) + gtc).encode(),
            headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/yaml"},
        )
        assert created.status_code == 201, created.text
        headers = {"Authorization": f"Bearer {key}"}
        api_before = _scrape(f"{base}/metrics")
        worker_before = _scrape(worker_metrics)
        double.clear_requests()
        submitted = client.post(
            "/api/v1/compliance/check",
            json={"article_text": article, "guideline_set": set_id},
            headers={**headers, "X-Correlation-ID": correlation_id},
        )
        assert submitted.status_code == 202, submitted.text
        job_id: str = submitted.json()["job_id"]

        def finished() -> bool:
            assert worker.alive(), worker.tail()
            status = client.get(f"/api/v1/jobs/{job_id}/status", headers=headers)
            return status.status_code == 200 and status.json()["status"] in TERMINAL

        _poll(f"job {job_id} finished", 120, finished)
        # The worker's last word on the job (after its duration is observed).
        _poll(
            "the worker's 'job ended' line",
            30,
            lambda: any(
                line.get("job_id") == job_id and line["event"] == "job ended"
                for line in json_lines(worker)
            ),
        )
        status = client.get(f"/api/v1/jobs/{job_id}/status", headers=headers).json()
        assert status["status"] == "completed", status
        api_after = _scrape(f"{base}/metrics")
        worker_after = _scrape(worker_metrics)
    answers = [
        (JUDGE_REPLY.input_tokens, JUDGE_REPLY.output_tokens)
        if request.matched == f"{marker}-marker"
        else (Reply().input_tokens, Reply().output_tokens)
        for request in double.requests
    ]
    assert double.answered() == len(answers)  # no fault: every request was answered

    def traced() -> bool:
        services = {
            span.service
            for span in exported_spans(collector)
            if span.attributes.get("correlation_id") == correlation_id
        }
        return {"compliance-assistant-api", "compliance-assistant-worker"} <= services

    _poll("the job's spans from both processes", 30, traced)
    return LiveRun(
        api,
        worker,
        job_id,
        correlation_id,
        api_before,
        api_after,
        worker_before,
        worker_after,
        answers,
        exported_spans(collector),
    )


def test_one_job_moves_the_live_counters_by_exactly_its_share(live: LiveRun) -> None:
    def api_delta(name: str, **labels: str) -> float:
        return live.api_after.value(name, **labels) - live.api_before.value(name, **labels)

    def worker_delta(name: str, **labels: str) -> float:
        return live.worker_after.value(name, **labels) - live.worker_before.value(name, **labels)

    # The API accepted it, the worker ran it: each process counts its own part.
    assert api_delta("compliance_jobs_submitted_total") == 1
    assert worker_delta("compliance_checks_total", outcome="completed") == 1
    assert worker_delta("compliance_job_duration_seconds_count", outcome="completed") == 1
    assert worker_delta("compliance_job_duration_seconds_sum", outcome="completed") > 0
    for outcome in ("failed", "cancelled"):
        assert worker_delta("compliance_checks_total", outcome=outcome) == 0
    # Tokens exactly as the double reported them in its answers' usage.
    assert live.answers == [(JUDGE_REPLY.input_tokens, JUDGE_REPLY.output_tokens)]
    tokens_in = sum(answer[0] for answer in live.answers)
    tokens_out = sum(answer[1] for answer in live.answers)
    assert worker_delta("compliance_llm_tokens_total", provider="openai", direction="input") == (
        tokens_in
    )
    assert worker_delta("compliance_llm_tokens_total", provider="openai", direction="output") == (
        tokens_out
    )
    assert worker_delta("compliance_llm_requests_total", provider="openai", outcome="ok") == len(
        live.answers
    )
    # The API process ran no job: none of the worker's counters moved there.
    assert api_delta("compliance_checks_total", outcome="completed") == 0
    assert api_delta("compliance_llm_tokens_total", provider="openai", direction="input") == 0
    # One branch per guideline of the set, all in the worker.
    for kind in ("llm", "gtc", "rule"):
        assert _total(live.worker_after, kind) - _total(live.worker_before, kind) == 1, kind
        assert _total(live.api_after, kind) == 0, kind


def _total(scrape: Scrape, kind: str) -> float:
    """compliance_guideline_checks_total of one kind, over every status."""
    return sum(
        value
        for (name, labels), value in scrape.samples.items()
        if name == "compliance_guideline_checks_total" and ("kind", kind) in labels
    )


def _dashboard_expressions() -> list[tuple[str, str]]:
    found = []
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                if "expr" in target:
                    found.append((f"{path.name}: {panel['title']}", target["expr"]))
    return found


def _all_expressions() -> list[tuple[str, str]]:
    rules = [
        (f"alerts.yml: {name}", expr)
        for name, expr in rule_expressions(DEPLOY / "prometheus" / "alerts.yml").items()
    ]
    return [(where, grafana_to_promql(expr)) for where, expr in _dashboard_expressions()] + rules


def test_dashboards_and_alerts_read_only_metrics_of_a_live_scrape(
    live: LiveRun, tmp_path: Path
) -> None:
    expressions = _all_expressions()
    assert len(expressions) > 40
    check_expressions_parse(expressions, tmp_path)
    api_text, worker_text = live.api_after.text, live.worker_after.text
    exposed = live_names(api_text) | live_names(worker_text) | PROMETHEUS_SYNTHETIC
    sampled = sampled_names(api_text) | sampled_names(worker_text) | PROMETHEUS_SYNTHETIC
    read = set()
    for where, expr in expressions:
        names = metric_names(expr)
        assert names, f"{where}: no metric found in {expr!r}"
        unknown = names - exposed
        assert not unknown, f"{where} reads metrics neither live scrape exposes: {sorted(unknown)}"
        read |= names
    # After one job most of what the dashboards read already has samples; what has none yet
    # is a labelled series of an event this job did not cause (a 429, a failover …).
    without_samples = read - sampled
    print(f"\nread by dashboards and alerts, no sample after one job: {sorted(without_samples)}")
    assert len(without_samples) < len(read) / 3, sorted(without_samples)


def test_one_correlation_id_in_the_api_log_the_worker_log_and_the_trace(live: LiveRun) -> None:
    accepted = [line for line in json_lines(live.api) if line["event"] == "job accepted"]
    assert len(accepted) == 1
    assert accepted[0]["correlation_id"] == live.correlation_id
    assert accepted[0]["job_id"] == live.job_id
    worker_lines = [line for line in json_lines(live.worker) if line.get("job_id") == live.job_id]
    assert {"job started", "job ended"} <= {line["event"] for line in worker_lines}
    for line in worker_lines:
        assert line["correlation_id"] == live.correlation_id, line

    # The trace: the API's request span and the worker's job span, one trace id.
    request = [
        span
        for span in live.spans
        if span.service == "compliance-assistant-api"
        and span.name == "POST /api/v1/compliance/check"
        and span.attributes.get("correlation_id") == live.correlation_id
    ]
    job = [
        span
        for span in live.spans
        if span.service == "compliance-assistant-worker"
        and span.name == "job checks.run"
        and span.attributes.get("job.id") == live.job_id
    ]
    assert len(request) == 1, [s.name for s in live.spans]
    assert len(job) == 1, [s.name for s in live.spans]
    assert job[0].attributes["correlation_id"] == live.correlation_id
    assert job[0].trace_id == request[0].trace_id
    # The log lines of both processes name that trace too.
    assert accepted[0]["trace_id"] == request[0].trace_id
    ended = next(line for line in worker_lines if line["event"] == "job ended")
    assert ended["trace_id"] == job[0].trace_id
    branches = [
        span
        for span in live.spans
        if span.trace_id == job[0].trace_id and span.name in ("guideline", "llm.call")
    ]
    assert {span.service for span in branches} == {"compliance-assistant-worker"}
    assert any(span.name == "llm.call" for span in branches)
