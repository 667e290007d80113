"""ChildProcessSpanProcessor: spans cross a pipe to a spawned child that exports them to a real
OTLP/HTTP receiver (``otlp_receiver`` in conftest); the child's life follows the parent's."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    Tracer,
    TraceState,
    set_span_in_context,
)
from opentelemetry.trace.status import Status, StatusCode

from compliance_assistant.observability import span_export
from compliance_assistant.observability.span_export import ChildProcessSpanProcessor

if TYPE_CHECKING:
    from tests.doubles.otlp_receiver import OtlpReceiver

RESOURCE = Resource.create(
    {"service.name": "compliance-assistant-api", "deployment.environment.name": "test"}
)
# A processor that only force_flush or shutdown sends from: what arrives is what we pushed.
NEVER = 3600.0

# The parent of a child exporter exits without shutting anything down.
EXITING = """
import os
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from compliance_assistant.observability.span_export import ChildProcessSpanProcessor

processor = ChildProcessSpanProcessor(sys.argv[1], Resource.create({}))
provider = TracerProvider(shutdown_on_exit=False)
provider.add_span_processor(processor)
with provider.get_tracer("exiting").start_as_current_span("before-exit"):
    pass
assert processor.force_flush(30_000)
print(processor.child_pid, flush=True)
os._exit(0)
"""


@contextmanager
def exporting(
    receiver: OtlpReceiver, **tunables: Any
) -> Iterator[tuple[ChildProcessSpanProcessor, Tracer]]:
    processor = ChildProcessSpanProcessor(
        receiver.url, RESOURCE, **{"schedule_delay_seconds": NEVER, **tunables}
    )
    provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_span_processor(processor)
    try:
        yield processor, provider.get_tracer("tests.span_export")
    finally:
        processor.shutdown()


def end_spans(tracer: Tracer, *names: str) -> None:
    for name in names:
        tracer.start_span(name).end()


def gone(pid: int) -> bool:
    """The process has exited (a zombie counts: it runs no code and holds no pipe)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.05)
    return gone(pid)


def test_spans_arrive_as_they_were(otlp_receiver: OtlpReceiver) -> None:
    processor = ChildProcessSpanProcessor(otlp_receiver.url, RESOURCE, schedule_delay_seconds=NEVER)
    originals = InMemorySpanExporter()
    provider = TracerProvider(
        resource=RESOURCE,
        span_limits=SpanLimits(max_span_attributes=8),
        shutdown_on_exit=False,
    )
    provider.add_span_processor(SimpleSpanProcessor(originals))
    provider.add_span_processor(processor)
    tracer = provider.get_tracer(
        "tests.span_export", "1.2.3", schema_url="https://opentelemetry.io/schemas/1.21.0"
    )
    caller = SpanContext(
        0x0AF7651916CD43DD8448EB211C80319C,
        0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "opaque")]),
    )
    other = SpanContext(0x1234, 0x5678, is_remote=False, trace_flags=TraceFlags(0))
    try:
        with tracer.start_as_current_span(
            "POST /api/v1/compliance/check",
            context=set_span_in_context(NonRecordingSpan(caller)),
            kind=SpanKind.SERVER,
            attributes={
                "http.route": "/api/v1/compliance/check",
                "http.status_code": 202,
                "score": 0.75,
                "cached": False,
                "guidelines": ["g-1", "g-2"],
                "weights": [0.5, 1.5],
            },
            links=[Link(other, {"link.reason": "retry of"})],
        ) as request:
            request.add_event("queued", {"queue.depth": 3}, timestamp=1_700_000_000_000_000_001)
            with tracer.start_as_current_span("llm call", kind=SpanKind.CLIENT) as call:
                call.set_attributes({f"attribute.{n}": n for n in range(10)})  # 2 dropped
                call.set_status(Status(StatusCode.ERROR, "upstream failed"))
            tracer.start_span("enqueue", kind=SpanKind.PRODUCER).end()
        tracer.start_span("job", kind=SpanKind.CONSUMER).end()
        unsampled = SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(0))
        tracer.start_span(
            "not sampled", context=set_span_in_context(NonRecordingSpan(unsampled), Context())
        ).end()

        assert processor.force_flush(30_000)
    finally:
        processor.shutdown()

    expected = encode_spans(originals.get_finished_spans())
    assert otlp_receiver.spans() == [
        (resource_spans.resource, scope_spans.scope, span)
        for resource_spans in expected.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    # The same, spelled out for the parts that matter most.
    resource, scope, _ = otlp_receiver.spans()[0]
    names = {a.key: a.value.string_value for a in resource.attributes}
    assert names["service.name"] == "compliance-assistant-api"
    assert (scope.name, scope.version) == ("tests.span_export", "1.2.3")
    spans = {span.name: span for _, _, span in otlp_receiver.spans()}
    assert set(spans) == {"POST /api/v1/compliance/check", "llm call", "enqueue", "job"}
    request_span, call_span = spans["POST /api/v1/compliance/check"], spans["llm call"]
    assert request_span.trace_id == caller.trace_id.to_bytes(16, "big")
    assert request_span.parent_span_id == caller.span_id.to_bytes(8, "big")
    assert request_span.trace_state == "vendor=opaque"
    assert call_span.parent_span_id == request_span.span_id
    assert request_span.start_time_unix_nano <= call_span.start_time_unix_nano
    assert call_span.end_time_unix_nano <= request_span.end_time_unix_nano
    attributes = {a.key: a.value for a in request_span.attributes}
    assert attributes["http.status_code"].int_value == 202
    assert attributes["score"].double_value == 0.75
    assert attributes["cached"].HasField("bool_value")
    assert [v.string_value for v in attributes["guidelines"].array_value.values] == [
        "g-1",
        "g-2",
    ]
    assert request_span.events[0].time_unix_nano == 1_700_000_000_000_000_001
    assert request_span.links[0].span_id == other.span_id.to_bytes(8, "big")
    assert call_span.status.code == call_span.status.STATUS_CODE_ERROR
    assert call_span.status.message == "upstream failed"
    assert call_span.dropped_attributes_count == 2
    assert spans["job"].kind == spans["job"].SPAN_KIND_CONSUMER


def test_force_flush_delivers_what_is_buffered_and_shutdown_stops_the_child(
    otlp_receiver: OtlpReceiver,
) -> None:
    with exporting(otlp_receiver) as (processor, tracer):
        end_spans(tracer, "a", "b", "c")
        assert processor.child_pid is None  # started with the first batch
        assert processor.force_flush(30_000)
        assert otlp_receiver.names() == ["a", "b", "c"]

        end_spans(tracer, "d", "e")
        child = processor.child_pid
        assert child is not None
        processor.shutdown()
        assert otlp_receiver.names() == ["a", "b", "c", "d", "e"]
        assert processor.child_pid is None
        assert gone(child)

        processor.shutdown()  # idempotent
        end_spans(tracer, "after shutdown")
        assert processor.force_flush(1_000)
        assert processor.dropped == 0
    assert otlp_receiver.names() == ["a", "b", "c", "d", "e"]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_killed_child_costs_spans_not_requests_and_is_restarted_after_the_delay(
    otlp_receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    monkeypatch.setattr(span_export, "_now", clock)
    caplog.set_level(logging.INFO, logger=span_export.__name__)
    with exporting(otlp_receiver) as (processor, tracer):
        end_spans(tracer, "first")
        assert processor.force_flush(30_000)
        first = processor.child_pid
        assert first is not None

        os.kill(first, signal.SIGKILL)
        assert wait_gone(first, 5.0)
        end_spans(tracer, "lost-1", "lost-2", "lost-3")  # does not raise
        assert not processor.force_flush(10_000)
        assert processor.dropped == 3
        assert processor.child_pid is None

        clock.now += 29.0  # less than 30 s since the child started: no restart yet
        end_spans(tracer, "lost-4")
        assert not processor.force_flush(10_000)
        assert processor.dropped == 4

        clock.now += 2.0
        end_spans(tracer, "after-restart-1", "after-restart-2")
        assert processor.force_flush(30_000)
        second = processor.child_pid
        assert second is not None
        assert second != first
        assert processor.dropped == 4
    assert otlp_receiver.names() == ["first", "after-restart-1", "after-restart-2"]
    messages = [record.getMessage() for record in caplog.records]
    assert any("export child exited (code -9)" in message for message in messages)
    assert sum("restarting the export child" in message for message in messages) == 1
    # One drop warning a minute, however many spans are lost.
    assert sum("spans dropped so far" in message for message in messages) == 1


def test_a_full_buffer_drops_and_counts_instead_of_blocking(
    otlp_receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Hold the flusher before it takes anything, so nothing empties the buffer.
    gate = threading.Event()
    take = ChildProcessSpanProcessor._wait_for_work

    def held(self: ChildProcessSpanProcessor) -> Any:
        gate.wait(30)
        return take(self)

    monkeypatch.setattr(ChildProcessSpanProcessor, "_wait_for_work", held)
    caplog.set_level(logging.WARNING, logger=span_export.__name__)
    with exporting(otlp_receiver, max_queue_size=4, max_batch_size=2) as (processor, tracer):
        started = time.monotonic()
        end_spans(tracer, *(f"span-{n}" for n in range(10)))
        assert time.monotonic() - started < 2.0
        assert processor.dropped == 6
        # Logged once, at the first drop: at most one drop warning a minute.
        assert [r.getMessage() for r in caplog.records] == [
            "span export: spans dropped so far: 1 (buffer full or export child down)"
        ]

        gate.set()
        assert processor.force_flush(30_000)
        assert otlp_receiver.names() == ["span-0", "span-1", "span-2", "span-3"]


def test_a_parent_that_exits_without_shutdown_leaves_no_child(
    otlp_receiver: OtlpReceiver, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", EXITING, otlp_receiver.url],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    child = int(result.stdout.strip())
    assert wait_gone(child, 5.0), f"export child {child} outlived its parent"
    assert otlp_receiver.names() == ["before-exit"]


def test_shutdown_terminates_a_child_stuck_in_an_export(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A collector that accepts connections and never answers: the export hangs.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1/traces"
        processor = ChildProcessSpanProcessor(
            url, RESOURCE, schedule_delay_seconds=NEVER, shutdown_timeout_seconds=1.0
        )
        provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
        provider.add_span_processor(processor)
        end_spans(provider.get_tracer("tests.span_export"), "never answered")
        assert not processor.force_flush(2_000)
        child = processor.child_pid
        assert child is not None

        started = time.monotonic()
        processor.shutdown()
        assert time.monotonic() - started < 5.0
        assert gone(child)
    assert any("terminating the export child" in r.getMessage() for r in caplog.records)
