"""Trace export configuration: off by default, on with ``observability.otlp_endpoint`` or the
standard ``OTEL_EXPORTER_OTLP_ENDPOINT``; spans reach a real OTLP/HTTP receiver."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from compliance_assistant.config import Settings
from compliance_assistant.observability.tracing import (
    ENDPOINT_ENV,
    TRACES_ENDPOINT_ENV,
    otlp_endpoint,
)

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


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        del args  # keep the test output quiet


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Receiver.received
    server.shutdown()
    server.server_close()


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


def test_spans_are_exported_over_otlp_http(
    tmp_path: Path, receiver: tuple[str, list[tuple[str, str, bytes]]]
) -> None:
    url, received = receiver
    subprocess.run(
        [sys.executable, "-c", EXPORTING, url, str(tmp_path)],
        check=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert len(received) == 1
    path, content_type, body = received[0]
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest.FromString(body)
    resource = request.resource_spans[0]
    names = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert names["service.name"] == "compliance-assistant-worker"
    spans = [s for scope in resource.scope_spans for s in scope.spans]
    assert [s.name for s in spans] == ["exported-span"]
