"""Trace export configuration: off by default, on with ``observability.otlp_endpoint`` or the
standard ``OTEL_EXPORTER_OTLP_ENDPOINT``; spans reach a real OTLP/HTTP receiver."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compliance_assistant.config import Settings
from compliance_assistant.observability.tracing import (
    ENDPOINT_ENV,
    TRACES_ENDPOINT_ENV,
    otlp_endpoint,
)
from tests.doubles.otlp_receiver import OtlpReceiver

# A fresh interpreter: the tracer provider can be installed once per process.
EXPORTING = """
import sys
from opentelemetry import trace
from compliance_assistant.config import Settings
from compliance_assistant.observability.tracing import configure_tracing, span

settings = Settings(data_dir=sys.argv[2], observability={"otlp_endpoint": sys.argv[1]})
assert configure_tracing(settings, component="worker")
with span("exported-span", attributes={"job.id": "j-1"}):
    pass
trace.get_tracer_provider().shutdown()  # flushes the batch processor
"""


def test_the_endpoint_comes_from_settings_then_the_standard_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENDPOINT_ENV, raising=False)
    monkeypatch.delenv(TRACES_ENDPOINT_ENV, raising=False)
    assert otlp_endpoint(Settings(data_dir=tmp_path)) is None
    monkeypatch.setenv(ENDPOINT_ENV, "http://collector:4318")
    assert otlp_endpoint(Settings(data_dir=tmp_path)) == "http://collector:4318"
    configured = Settings(data_dir=tmp_path, observability={"otlp_endpoint": "http://x:4318"})
    assert otlp_endpoint(configured) == "http://x:4318"


def test_spans_are_exported_over_otlp_http(tmp_path: Path, otlp_receiver: OtlpReceiver) -> None:
    subprocess.run(
        [sys.executable, "-c", EXPORTING, otlp_receiver.base_url, str(tmp_path)],
        check=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert otlp_receiver.posts == [("/v1/traces", "application/x-protobuf")]
    resource = otlp_receiver.requests[0].resource_spans[0]
    names = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert names["service.name"] == "compliance-assistant-worker"
    spans = [s for scope in resource.scope_spans for s in scope.spans]
    assert [s.name for s in spans] == ["exported-span"]
