"""OpenTelemetry traces: request → job → guideline branch → LLM / Smart Search call / DB.

Off by default: until :func:`configure_tracing` installs the SDK's tracer provider (when
``observability.otlp_endpoint`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set), every span below
is OpenTelemetry's no-op span, which costs next to nothing. The W3C trace context still
travels (request header → queue entry → worker), so a caller's trace id is kept either way.

The trace context crosses the queue as a small carrier dict (``{"traceparent": …}``) stored
with the queue entry: a Procrastinate task argument in production, the in-process queue's
item in embedded mode. A job re-queued by the recovery sweep starts a new trace; its log
lines and spans still carry the job's correlation id, which is stored on the job row.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Awaitable, Iterator, Mapping
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncEngine

from compliance_assistant.config import Settings

logger = logging.getLogger(__name__)

TRACER_NAME = "compliance_assistant"
ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACES_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
_PROPAGATOR = TraceContextTextMapPropagator()
T = TypeVar("T")

__all__ = ["SpanKind", "configure_tracing", "context_from", "span", "traced", "tracer"]


def tracer() -> Tracer:
    return trace.get_tracer(TRACER_NAME)


def tracing_enabled() -> bool:
    """True once an SDK tracer provider is installed (spans are recorded somewhere)."""
    from opentelemetry.sdk.trace import TracerProvider

    return isinstance(trace.get_tracer_provider(), TracerProvider)


def otlp_endpoint(settings: Settings) -> str | None:
    """The collector's base URL from settings, else from the standard variables."""
    configured = settings.observability.otlp_endpoint
    if configured:
        return configured
    return os.environ.get(TRACES_ENDPOINT_ENV) or os.environ.get(ENDPOINT_ENV) or None


def configure_tracing(settings: Settings, *, component: str) -> bool:
    """Install the SDK tracer provider with an OTLP/HTTP exporter when an endpoint is
    configured; returns whether traces are exported. ``component`` is ``api``, ``worker``
    or ``serve`` (the ``service.name`` suffix). Idempotent per process."""
    endpoint = otlp_endpoint(settings)
    if endpoint is None:
        return False
    if tracing_enabled():
        return True
    try:
        # Imported here only to fail early with a clear message: the export child uses it.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: F401
            OTLPSpanExporter,
        )
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "traces are configured (observability.otlp_endpoint / OTEL_EXPORTER_OTLP_ENDPOINT) "
            "but the OTLP exporter is not installed: pip install 'compliance-assistant[otel]'"
        ) from None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    from compliance_assistant.observability.span_export import ChildProcessSpanProcessor

    observability = settings.observability
    resource = Resource.create(
        {
            "service.name": f"{observability.service_name}-{component}",
            "service.namespace": observability.service_name,
            "deployment.environment.name": settings.environment.value,
        }
    )
    provider = TracerProvider(
        resource=resource,
        sampler=ParentBased(TraceIdRatioBased(observability.trace_sample_ratio)),
    )
    # Settings give a base URL (like the standard variable); the exporter wants the full one.
    explicit = observability.otlp_endpoint
    url = None if not explicit else explicit.rstrip("/").removesuffix("/v1/traces") + "/v1/traces"
    # Encoding and sending happen in a child process, off this process's GIL (span_export).
    provider.add_span_processor(ChildProcessSpanProcessor(url, resource))
    trace.set_tracer_provider(provider)
    logger.info("exporting traces to %s", url or endpoint)
    return True


@contextlib.contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
    attributes: Mapping[str, str | int | float | bool] | None = None,
) -> Iterator[Span]:
    """A current span (exceptions are recorded on it and re-raised)."""
    with tracer().start_as_current_span(
        name, context=parent, kind=kind, attributes=dict(attributes or {})
    ) as current:
        yield current


def current_carrier() -> dict[str, str]:
    """The current trace context as W3C headers (empty when there is none)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str] | None) -> Context | None:
    """The context a carrier describes, or None (start a new trace)."""
    if not carrier:
        return None
    return _PROPAGATOR.extract(dict(carrier))


@contextlib.contextmanager
def attached(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Make the carrier's trace context current for the block (no-op without one)."""
    context = context_from(carrier)
    if context is None:
        yield
        return
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the current recorded or remote span, if any."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


def instrument_engine(engine: AsyncEngine) -> None:
    """A span per SQL statement on ``engine`` (opentelemetry-instrumentation-sqlalchemy),
    when traces are on and the instrumentation is installed."""
    if not tracing_enabled():
        return
    try:
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import get_meter
    except ImportError:  # pragma: no cover - depends on the installed extras
        return
    meter = get_meter(TRACER_NAME)
    usage: Any = meter.create_up_down_counter("db.client.connections.usage")
    # The SQLAlchemy instrumentation's constructor is unannotated.
    EngineTracer(tracer(), engine.sync_engine, usage)  # type: ignore[no-untyped-call]


async def traced(
    name: str,
    awaitable: Awaitable[T],
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int | float | bool] | None = None,
) -> T:
    """Await ``awaitable`` inside a span (a one-line wrapper for call sites)."""
    with span(name, kind=kind, attributes=attributes):
        return await awaitable
