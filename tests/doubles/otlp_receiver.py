"""A real OTLP/HTTP trace receiver on 127.0.0.1, the double of an OpenTelemetry collector.

``POST /v1/traces`` bodies (protobuf) are decoded and kept; any other path is answered 404
and only recorded in :attr:`OtlpReceiver.posts`. Several exporting processes may post at
once (one thread per request).
"""

from __future__ import annotations

import http.server
import threading
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

TRACES_PATH = "/v1/traces"


class OtlpReceiver:
    def __init__(self) -> None:
        self._requests: list[ExportTraceServiceRequest] = []
        self._posts: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # The collector's base URL (what observability.otlp_endpoint takes) and the full one.
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{self.base_url}{TRACES_PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                traces = self.path == TRACES_PATH
                with receiver._lock:
                    receiver._posts.append((self.path, self.headers["Content-Type"]))
                    if traces:
                        receiver._requests.append(ExportTraceServiceRequest.FromString(body))
                self.send_response(200 if traces else 404)
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

    def __enter__(self) -> OtlpReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def posts(self) -> list[tuple[str, str]]:
        """``(path, content type)`` of every request, in arrival order."""
        with self._lock:
            return list(self._posts)

    @property
    def requests(self) -> list[ExportTraceServiceRequest]:
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
