"""Shared fixtures (see tests/doubles/fixtures.py)."""

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.doubles.fixtures import (  # noqa: F401 - fixtures are found by name
    anyio_backend,
    double,
    llm_server,
    postgres_checkpoint_url,
    redis_url,
)
from tests.services import postgres_url  # noqa: F401 - fixtures are found by name


class OtlpReceiver:
    """A real OTLP/HTTP trace receiver on 127.0.0.1 that keeps each request, decoded."""

    def __init__(self) -> None:
        self._requests: list[Any] = []  # ExportTraceServiceRequest
        self.posts: list[tuple[str, str]] = []  # (path, content type) of each request
        self._lock = threading.Lock()
        self._server = http.server.HTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{self.base_url}/v1/traces"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.posts.append((self.path, self.headers["Content-Type"]))
                    receiver._requests.append(ExportTraceServiceRequest.FromString(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                del args  # keep the test output quiet

        return Handler

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def requests(self) -> list[Any]:
        with self._lock:
            return list(self._requests)

    def spans(self) -> list[tuple[Any, Any, Any]]:
        """``(resource, scope, span)`` of every span received, in arrival order."""
        return [
            (resource_spans.resource, scope_spans.scope, span)
            for request in self.requests
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def names(self) -> list[str]:
        return [span.name for _, _, span in self.spans()]


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.close()
