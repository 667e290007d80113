"""Collecting finished spans in tests with the OpenTelemetry SDK.

The tracer provider is process-wide and can be installed once: the first test that needs
spans installs an SDK provider (or reuses one already installed) and adds a processor that
keeps spans only while a test is collecting them. The provider it installs records spans
only while collecting, too, so later tests in the same process pay for no-op spans only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult


class Collector(SpanProcessor):
    def __init__(self) -> None:
        self.active = False
        self._spans: list[ReadableSpan] = []
        self._lock = threading.Lock()

    def on_end(self, span: ReadableSpan) -> None:
        if self.active:
            with self._lock:
                self._spans.append(span)

    def start(self) -> None:
        with self._lock:
            self._spans.clear()
        self.active = True

    def stop(self) -> None:
        self.active = False
        with self._lock:
            self._spans.clear()

    @property
    def spans(self) -> list[ReadableSpan]:
        with self._lock:
            return list(self._spans)


class _WhileCollecting(Sampler):
    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def should_sample(  # noqa: PLR0917 - the SDK's signature
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Sequence[Any] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        del parent_context, trace_id, name, kind, links, trace_state
        decision = Decision.RECORD_AND_SAMPLE if self.collector.active else Decision.DROP
        return SamplingResult(decision, attributes if self.collector.active else None)

    def get_description(self) -> str:
        return "WhileCollecting"


_collector: Collector | None = None


def span_collector() -> Collector:
    global _collector  # noqa: PLW0603 - one per process, like the provider
    if _collector is None:
        collector = Collector()
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(sampler=_WhileCollecting(collector))
            trace.set_tracer_provider(provider)
        provider.add_span_processor(collector)
        _collector = collector
    return _collector
