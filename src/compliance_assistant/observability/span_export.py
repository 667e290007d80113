"""OTLP span export from a child process, off the API's event loop and out of its GIL.

With the SDK's ``BatchSpanProcessor`` the export thread builds protobuf messages in Python
(``encode_spans``) inside the API process. It competes for the GIL with the event loop: each
time the loop makes a syscall the exporter may keep the GIL for a whole switch interval
(5 ms), which took p99 from 7 ms to ~47 ms at 500 req/s. :class:`ChildProcessSpanProcessor`
keeps only cheap work in the API process:

* ``on_end`` (request path) copies the span into a tuple of builtins and appends it to a
  bounded buffer; when the buffer is full the span is dropped and counted, never waited for;
* a daemon flusher thread pickles what is buffered (C pickler, builtins only) and writes it
  to a pipe;
* a child process (``spawn``: the parent has threads, so forking it is unsafe) rebuilds the
  spans, encodes them and sends them with the OTLP/HTTP exporter.

The child is started by the flusher with the first batch, not at construction: processes
that never record a span (CLI commands, tests) start none, startup is not delayed by an
interpreter launch, and the same path restarts a child that died or gives a forked process
its own. It exits on a stop message, and on end-of-file of the pipe, so a parent that dies
without shutting down leaves no exporter behind. If the child dies, spans are dropped and
counted (``dropped``; those already in the pipe are lost uncounted) and a new child is
started at most once per ``restart_delay_seconds``.

As with any ``spawn`` child, the child imports the parent's ``__main__`` script again: a
script that configures tracing must keep that under ``if __name__ == "__main__":`` (our
entry points, uvicorn and gunicorn do).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import multiprocessing.process
import os
import pickle
import signal
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TypeAlias

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags, TraceState
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util.types import AnyValue, Attributes

logger = logging.getLogger(__name__)

__all__ = ["ChildProcessSpanProcessor"]

# A span as builtins (pickled by the C pickler, no class lookups). Tuples, not a dataclass:
# building one is the only per-span work on the request path.
_AttributeRecord: TypeAlias = dict[str, AnyValue] | None
# trace id, span id, trace flags, is remote, trace state entries
_ContextRecord: TypeAlias = tuple[int, int, int, bool, tuple[tuple[str, str], ...]]
# name, timestamp, attributes, dropped attributes
_EventRecord: TypeAlias = tuple[str, int, _AttributeRecord, int]
# context, attributes, dropped attributes
_LinkRecord: TypeAlias = tuple[_ContextRecord, _AttributeRecord, int]
# name, version, schema url, attributes
_ScopeRecord: TypeAlias = tuple[str, str | None, str | None, _AttributeRecord]
_SpanRecord: TypeAlias = tuple[
    str,  # name
    _ContextRecord,
    _ContextRecord | None,  # parent
    int,  # kind
    _AttributeRecord,
    int,  # dropped attributes
    list[_EventRecord],
    int,  # dropped events
    list[_LinkRecord],
    int,  # dropped links
    int,  # status code
    str | None,  # status description
    int | None,  # start time
    int | None,  # end time
    _ScopeRecord | None,
]

# Messages on the pipe: (kind, body). Parent → child: spans (a list of records), flush and
# stop (a token the child acknowledges). Child → parent: ack (the token).
_SPANS, _FLUSH, _STOP, _ACK = 0, 1, 2, 3
_Export: TypeAlias = Callable[[Sequence[ReadableSpan]], object]
_WARNING_INTERVAL_SECONDS = 60.0


def _now() -> float:
    """The clock of restart and warning throttling (a module function so tests can move it)."""
    return time.monotonic()


class ChildProcessSpanProcessor(SpanProcessor):
    """Exports sampled spans over OTLP/HTTP from a child process (see the module docstring).

    ``endpoint`` is the exporter's full URL (``…/v1/traces``), or None for the standard
    ``OTEL_EXPORTER_OTLP_*`` variables (the child inherits the environment). Every exported
    span carries ``resource``, which is sent to the child once, when it starts.
    """

    def __init__(
        self,
        endpoint: str | None,
        resource: Resource,
        *,
        max_queue_size: int = 2048,
        schedule_delay_seconds: float = 0.2,
        max_batch_size: int = 512,
        restart_delay_seconds: float = 30.0,
        shutdown_timeout_seconds: float = 10.0,
    ) -> None:
        if max_queue_size <= 0 or max_batch_size <= 0 or schedule_delay_seconds <= 0:
            raise ValueError("queue size, batch size and schedule delay must be positive")
        if max_batch_size > max_queue_size:
            raise ValueError("max_batch_size must not exceed max_queue_size")
        self._endpoint = endpoint
        self._resource = (dict(resource.attributes), resource.schema_url)
        self._max_queue_size = max_queue_size
        self._schedule_delay = schedule_delay_seconds
        self._max_batch_size = max_batch_size
        self._restart_delay = restart_delay_seconds
        self._shutdown_timeout = shutdown_timeout_seconds
        self._tokens = itertools.count(1)
        self._stopping = False
        #: Spans lost: buffer full, child down, or a batch that could not be sent.
        self.dropped = 0
        self._reset()
        # Like the BatchSpanProcessor it replaces: a forked process gets its own flusher
        # (threads do not survive fork) and, on its first batch, its own child.
        weak_reinit = weakref.WeakMethod(self._after_fork)

        def after_fork_in_child() -> None:
            reinit = weak_reinit()
            if reinit is not None:
                reinit()

        os.register_at_fork(after_in_child=after_fork_in_child)

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._buffer: list[_SpanRecord] = []
        self._requests: list[_FlushRequest] = []
        self._child: _Child | None = None
        self._last_start: float | None = None
        self._last_warning: float | None = None
        self._flusher = threading.Thread(target=self._run, name="span-export", daemon=True)
        if not self._stopping:
            self._flusher.start()

    @property
    def child_pid(self) -> int | None:
        """The exporting child's process id, while one is running."""
        child = self._child
        return None if child is None else child.pid

    # -- request path ---------------------------------------------------------------------

    def on_end(self, span: ReadableSpan) -> None:
        context = span.get_span_context()
        if context is None or not context.trace_flags.sampled:
            return
        try:
            record = _span_record(span, context)
        except Exception:  # a span we cannot copy must not fail the request
            logger.exception("span export: could not copy span %r", span.name)
            self._drop(1)
            return
        with self._cond:
            if self._stopping:
                return
            if len(self._buffer) < self._max_queue_size:
                self._buffer.append(record)
                if len(self._buffer) == self._max_batch_size:
                    self._cond.notify()
                return
            self.dropped += 1
            warn = self._warning_due()
        if warn:  # logged outside the lock: handlers may do I/O
            self._warn_dropped()

    # -- flush and shutdown ---------------------------------------------------------------

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Send what is buffered and wait until the child has exported it; False when that
        did not happen within the timeout or spans were dropped on the way."""
        timeout = timeout_millis / 1000
        request = _FlushRequest(deadline=time.monotonic() + timeout)
        with self._cond:
            if self._stopping:
                return True  # shutdown flushed what there was; nothing is accepted since
            self._requests.append(request)
            self._cond.notify()
        return request.done.wait(timeout) and request.ok

    def shutdown(self) -> None:
        """Flush, stop the child (terminated when it does not stop in time); idempotent."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._cond.notify()
        self._flusher.join(self._shutdown_timeout + 1)
        if self._flusher.is_alive():
            # Blocked writing to a child that stopped reading: killing it breaks the pipe.
            child = self._child
            if child is not None:
                with contextlib.suppress(ValueError):  # the flusher closed it meanwhile
                    child.process.kill()
            self._flusher.join(1.0)

    # -- flusher thread -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch, requests, stopping = self._wait_for_work()
            try:
                self._flush(batch, requests, stopping)
            except Exception:  # keep exporting: one bad cycle must not end the thread
                logger.exception("span export: flush failed")
                for request in requests:
                    request.finish(ok=False)
            if stopping:
                return

    def _wait_for_work(self) -> tuple[list[_SpanRecord], list[_FlushRequest], bool]:
        with self._cond:
            self._cond.wait_for(self._work_ready, timeout=self._schedule_delay)
            batch, self._buffer = self._buffer, []
            requests, self._requests = self._requests, []
            return batch, requests, self._stopping

    def _work_ready(self) -> bool:
        return len(self._buffer) >= self._max_batch_size or bool(self._requests) or self._stopping

    def _flush(
        self, batch: list[_SpanRecord], requests: list[_FlushRequest], stopping: bool
    ) -> None:
        delivered = self._deliver(batch)
        if requests:
            deadline = max(request.deadline for request in requests)
            synced = self._sync(_FLUSH, deadline)
            for request in requests:
                request.finish(ok=delivered and synced)
        if stopping:
            self._stop_child(time.monotonic() + self._shutdown_timeout)

    def _deliver(self, batch: list[_SpanRecord]) -> bool:
        """Send the batch in chunks of at most max_batch_size; False if spans were dropped."""
        if not batch:
            return True
        child = self._running_child()
        if child is None:
            self._drop(len(batch))
            return False
        for start in range(0, len(batch), self._max_batch_size):
            chunk = batch[start : start + self._max_batch_size]
            payload, unpicklable = _pickle_spans(chunk)
            self._drop(unpicklable)
            try:
                child.conn.send_bytes(payload)
            except (OSError, ValueError):  # the child died (broken pipe) or was closed
                self._child_lost(child)
                self._drop(len(batch) - start - unpicklable)
                return False
        return True

    def _sync(self, kind: int, deadline: float) -> bool:
        """Ask the child to acknowledge ``kind`` once all spans sent before are exported."""
        child = self._child
        if child is None:
            return True  # nothing was sent that could still be pending
        token = next(self._tokens)
        try:
            child.conn.send_bytes(pickle.dumps((kind, token)))
            return self._await_ack(child, token, deadline)
        except (EOFError, OSError, ValueError):
            self._child_lost(child)
            return False

    @staticmethod
    def _await_ack(child: _Child, token: int, deadline: float) -> bool:
        while (remaining := deadline - time.monotonic()) > 0:
            if not child.conn.poll(remaining):
                return False
            kind, body = pickle.loads(child.conn.recv_bytes())
            if kind == _ACK and body == token:
                return True
            # else: the ack of an earlier flush that timed out; skip it
        return False

    # -- the child ------------------------------------------------------------------------

    def _running_child(self) -> _Child | None:
        """The live child, a new one when none runs and a start is allowed, else None."""
        child = self._child
        if child is not None:
            if child.process.is_alive():
                return child
            self._child_lost(child)
        now = _now()
        if self._last_start is not None:
            if now - self._last_start < self._restart_delay:
                return None
            logger.warning("span export: restarting the export child")
        self._last_start = now
        try:
            self._child = _Child.start(self._endpoint, self._resource)
        except Exception:
            logger.exception("span export: could not start the export child")
        return self._child

    def _child_lost(self, child: _Child) -> None:
        if self._child is not child:
            return
        self._child = None
        exitcode = child.close(timeout=0.5)
        logger.warning(
            "span export: the export child exited (code %s); spans are dropped until it is "
            "restarted (at most once every %.0f s)",
            exitcode,
            self._restart_delay,
        )

    def _stop_child(self, deadline: float) -> None:
        child = self._child
        if child is None:
            return
        if not self._sync(_STOP, deadline):
            logger.warning("span export: the export child did not confirm its last flush")
        if self._child is not child:
            return  # it died meanwhile and is already reaped
        self._child = None
        child.close(timeout=max(deadline - time.monotonic(), 0.0))

    # -- drops and forks ------------------------------------------------------------------

    def _drop(self, count: int) -> None:
        if count <= 0:
            return
        with self._cond:
            self.dropped += count
            warn = self._warning_due()
        if warn:
            self._warn_dropped()

    def _warning_due(self) -> bool:
        """At most one drop warning a minute (called with the lock held)."""
        now = _now()
        if self._last_warning is not None and now - self._last_warning < _WARNING_INTERVAL_SECONDS:
            return False
        self._last_warning = now
        return True

    def _warn_dropped(self) -> None:
        logger.warning(
            "span export: spans dropped so far: %d (buffer full or export child down)",
            self.dropped,
        )

    def _after_fork(self) -> None:
        child = self._child
        if child is not None:
            child.forget()
        self._reset()


@dataclass
class _FlushRequest:
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False

    def finish(self, *, ok: bool) -> None:
        self.ok = ok
        self.done.set()


@dataclass
class _Child:
    process: BaseProcess
    conn: Connection
    pid: int  # kept apart: the process object refuses every question once closed

    @classmethod
    def start(cls, endpoint: str | None, resource: tuple[dict[str, AnyValue], str]) -> _Child:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=_child_main,
            args=(theirs, endpoint, *resource),
            name="span-export",
            daemon=True,
        )
        try:
            process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            # Only the child may hold its end: a copy here would hide the EOF that tells it
            # we are gone.
            theirs.close()
        pid = process.pid
        assert pid is not None  # set by start()
        logger.info("span export: export child started (pid %s)", pid)
        return cls(process, ours, pid)

    def close(self, timeout: float) -> int | None:
        """Close the pipe and reap the process (terminated, then killed, if it lingers);
        returns its exit code."""
        self.conn.close()
        self.process.join(timeout)
        if self.process.is_alive():
            logger.warning("span export: terminating the export child (pid %s)", self.process.pid)
            self.process.terminate()
            self.process.join(1.0)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(1.0)
        exitcode = self.process.exitcode
        with contextlib.suppress(ValueError):  # still running after kill: keep its handle
            self.process.close()
        return exitcode

    def forget(self) -> None:
        """In a forked copy of the parent: drop the copy of the pipe (so the child still sees
        EOF when the parent goes) and the handle, so multiprocessing's exit handler of this
        process does not terminate the parent's child."""
        self.conn.close()
        children = getattr(multiprocessing.process, "_children", None)
        if isinstance(children, set):
            children.discard(self.process)


def _pickle_spans(chunk: list[_SpanRecord]) -> tuple[bytes, int]:
    """The spans message, and how many spans had to be left out (unpicklable attributes)."""
    try:
        return pickle.dumps((_SPANS, chunk), protocol=pickle.HIGHEST_PROTOCOL), 0
    except Exception:
        logger.exception(
            "span export: a batch could not be pickled; leaving out the spans that cannot be"
        )
    kept: list[_SpanRecord] = []
    for record in chunk:
        with contextlib.suppress(Exception):
            pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
            kept.append(record)
    return pickle.dumps((_SPANS, kept), protocol=pickle.HIGHEST_PROTOCOL), len(chunk) - len(kept)


# -- parent side: span → builtins ---------------------------------------------------------


def _attribute_record(attributes: Attributes) -> _AttributeRecord:
    return dict(attributes) if attributes else None


def _context_record(context: SpanContext) -> _ContextRecord:
    state = context.trace_state
    entries = tuple(state.items()) if state else ()
    return (context.trace_id, context.span_id, int(context.trace_flags), context.is_remote, entries)


def _span_record(span: ReadableSpan, context: SpanContext) -> _SpanRecord:
    parent = span.parent
    status = span.status
    scope = span.instrumentation_scope
    return (
        span.name,
        _context_record(context),
        None if parent is None else _context_record(parent),
        span.kind.value,
        _attribute_record(span.attributes),
        span.dropped_attributes,
        [
            (
                event.name,
                event.timestamp,
                _attribute_record(event.attributes),
                event.dropped_attributes,
            )
            for event in span.events
        ],
        span.dropped_events,
        [
            (
                _context_record(link.context),
                _attribute_record(link.attributes),
                link.dropped_attributes,
            )
            for link in span.links
        ],
        span.dropped_links,
        status.status_code.value,
        status.description,
        span.start_time,
        span.end_time,
        None
        if scope is None
        else (scope.name, scope.version, scope.schema_url, _attribute_record(scope.attributes)),
    )


# -- child side: builtins → span, export ----------------------------------------------------


def _child_main(
    conn: Connection,
    endpoint: str | None,
    resource_attributes: dict[str, AnyValue],
    schema_url: str,
) -> None:
    """The export child: export span batches until told to stop or the parent is gone."""
    # Ctrl-C reaches the whole process group; the parent decides when we stop, after its
    # last flush.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=endpoint)
    resource = Resource(resource_attributes, schema_url)
    try:
        _serve(conn, exporter.export, resource)
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]  # unannotated in the SDK
        conn.close()


def _serve(conn: Connection, export: _Export, resource: Resource) -> None:
    while True:
        try:
            kind, body = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the parent exited or closed the pipe
        if kind == _SPANS:
            _export(export, body, resource)
            continue
        # Batches are exported in order, so everything sent before this is done.
        try:
            conn.send_bytes(pickle.dumps((_ACK, body)))
        except OSError:
            return
        if kind == _STOP:
            return


def _export(export: _Export, records: list[_SpanRecord], resource: Resource) -> None:
    try:
        export([_ExportedSpan(record, resource) for record in records])
    except Exception:  # the exporter logs failed requests itself; this is anything else
        logger.exception("span export: exporting a batch failed")


def _attributes(record: _AttributeRecord, dropped: int) -> Attributes:
    if not dropped:
        return record
    # The OTLP encoder reads dropped counts from BoundedAttributes.
    attributes = BoundedAttributes(attributes=record)
    attributes.dropped = dropped
    return attributes


def _span_context(record: _ContextRecord) -> SpanContext:
    trace_id, span_id, flags, is_remote, entries = record
    state = TraceState(list(entries)) if entries else None
    return SpanContext(trace_id, span_id, is_remote, TraceFlags(flags), state)


def _scope(record: _ScopeRecord | None) -> InstrumentationScope | None:
    if record is None:
        return None
    name, version, schema_url, attributes = record
    return InstrumentationScope(name, version, schema_url, attributes)


class _ExportedSpan(ReadableSpan):
    """A span rebuilt in the child, with the dropped counts the original had."""

    def __init__(self, record: _SpanRecord, resource: Resource) -> None:
        (
            name,
            context,
            parent,
            kind,
            attributes,
            dropped_attributes,
            events,
            dropped_events,
            links,
            dropped_links,
            status_code,
            description,
            start_time,
            end_time,
            scope,
        ) = record
        super().__init__(
            name=name,
            context=_span_context(context),
            parent=None if parent is None else _span_context(parent),
            resource=resource,
            attributes=_attributes(attributes, dropped_attributes),
            events=_events(events),
            links=_links(links),
            kind=SpanKind(kind),
            status=Status(StatusCode(status_code), description),
            start_time=start_time,
            end_time=end_time,
            instrumentation_scope=_scope(scope),
        )
        self._dropped_event_count = dropped_events
        self._dropped_link_count = dropped_links

    @property
    def dropped_events(self) -> int:
        return self._dropped_event_count

    @property
    def dropped_links(self) -> int:
        return self._dropped_link_count


def _events(records: Sequence[_EventRecord]) -> list[Event]:
    return [
        Event(name, _attributes(attributes, dropped), timestamp)
        for name, timestamp, attributes, dropped in records
    ]


def _links(records: Sequence[_LinkRecord]) -> list[Link]:
    return [
        Link(_span_context(context), _attributes(attributes, dropped))
        for context, attributes, dropped in records
    ]
