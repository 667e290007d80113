"""The worker's metrics endpoint: a minimal HTTP/1.1 server on ``worker.metrics_port``
answering ``GET /metrics`` (Prometheus job ``compliance-worker``).

It runs on the worker's event loop (asyncio streams), so the queue gauges are refreshed
with the worker's own database pool; prometheus-client's threaded server could not await
them. Anything but ``GET /metrics`` gets a 404; one request per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from compliance_assistant.observability.collectors import ScrapeSources
from compliance_assistant.observability.exposition import CONTENT_TYPE, render

logger = logging.getLogger(__name__)

_READ_TIMEOUT_SECONDS = 5.0
_MAX_HEADER_BYTES = 16 * 1024
_TEXT = "text/plain; charset=utf-8"


class MetricsServer:
    def __init__(self, sources: ScrapeSources | None) -> None:
        self.sources = sources
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        assert self.server is not None, "not started"
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._handle, host, port)

    async def aclose(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT_SECONDS)
            if len(head) > _MAX_HEADER_BYTES:
                raise ValueError("request header too large")
            method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0]
            if method in ("GET", "HEAD") and path == "/metrics":
                if self.sources is not None:
                    await self.sources.refresh()
                extra = self.sources.collectors if self.sources is not None else ()
                body = render(extra)
                await _respond(writer, 200, CONTENT_TYPE, body, head_only=method == "HEAD")
            else:
                await _respond(writer, 404, _TEXT, b"not found: try /metrics\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            with contextlib.suppress(ConnectionError):
                await _respond(writer, 400, _TEXT, b"bad request\n")
        except ConnectionError:
            pass
        except Exception:
            logger.exception("metrics request failed")
            with contextlib.suppress(ConnectionError):
                await _respond(writer, 500, _TEXT, b"metrics failed\n")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    content_type: str,
    body: bytes,
    *,
    head_only: bool = False,
) -> None:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}
    header = (
        f"HTTP/1.1 {status} {reason[status]}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    writer.write(header if head_only else header + body)
    await writer.drain()


@contextlib.asynccontextmanager
async def serve_metrics(
    sources: ScrapeSources | None, *, host: str, port: int
) -> AsyncIterator[MetricsServer]:
    """Serve ``/metrics`` on ``host:port`` for the duration of the block."""
    server = MetricsServer(sources)
    await server.start(host, port)
    logger.info("worker metrics on http://%s:%d/metrics", host, server.port)
    try:
        yield server
    finally:
        await server.aclose()
