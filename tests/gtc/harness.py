"""Test harness: the reference Smart Search server on a real socket, fault hooks, a fake clock,
a recording sleep, and contract validation of real HTTP traffic against the OpenAPI file.

Fault injection lives here, in tests/, and reaches the server only through the explicit
``hooks`` parameter of ``create_app``.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from starlette.requests import Request
from starlette.responses import Response
from werkzeug.datastructures import Headers, ImmutableMultiDict

from compliance_assistant.gtc.library import GtcLibrary
from compliance_assistant.gtc.reference_server import create_app, error_response

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "smart-search-openapi.yaml"
SPEC_SERVER = "https://smart-search.example.com"
API_KEY = "test-key-0123456789"


class FakeClock:
    """Wall and monotonic time that only moves when told to."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self.wall = start
        self.mono = 1000.0

    def now(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@dataclass
class RecordingSleep:
    """An injectable sleep: records each wait and moves the fake clock instead of waiting."""

    clock: FakeClock | None = None
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


@dataclass(frozen=True)
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Faults:
    """A server hook: counts requests and answers with scripted faults.

    ``script`` faults are used one per request, in order; ``down`` answers every request but
    health with 503. Requests are counted at the server, so a cache hit shows as no request.
    """

    script: list[Fault] = field(default_factory=list)
    down: bool = False
    seen: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, request: Request) -> Response | None:
        self.seen.append((request.method, request.url.path))
        if self.down and request.url.path != "/v1/health":
            return error_response(
                503, "UNAVAILABLE", "down for the test", headers={"Retry-After": "1"}
            )
        if self.script:
            fault = self.script.pop(0)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            code = "RATE_LIMITED" if fault.status == 429 else "INJECTED"
            return error_response(fault.status, code, "injected by the test", headers=fault.headers)
        return None

    def count(self, path_prefix: str = "/v1/") -> int:
        return sum(
            1 for _, path in self.seen if path.startswith(path_prefix) and path != "/v1/health"
        )


class RunningServer:
    """uvicorn in a thread on a socket bound before start, so the port is known at once."""

    def __init__(self, library: GtcLibrary, faults: Faults, api_key: str = API_KEY) -> None:
        self.faults = faults
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(library, api_key=api_key, hooks=[faults]),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> RunningServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


@contextmanager
def running(library: GtcLibrary, faults: Faults | None = None) -> Iterator[RunningServer]:
    server = RunningServer(library, faults or Faults()).start()
    try:
        yield server
    finally:
        server.stop()


# -- contract validation ------------------------------------------------------------------------


class _OpenAPIRequest:
    """An httpx request as openapi-core sees it, addressed to the spec's server URL."""

    def __init__(self, request: httpx.Request) -> None:
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.host_url = SPEC_SERVER
        self.path = request.url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "")


class _OpenAPIResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.headers.get("content-type", "")
        self.data = response.content


@functools.cache
def load_spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC))


@dataclass
class Contract:
    """Validates requests and responses against docs/smart-search-openapi.yaml."""

    openapi: OpenAPI = field(default_factory=load_spec)
    checked: int = 0
    errors: list[str] = field(default_factory=list)

    def check(self, response: httpx.Response, *, valid_request: bool = True) -> None:
        """Validate the response, and the request unless it was sent invalid on purpose (to
        see the server's error answer) or without credentials (a 401)."""
        request = _OpenAPIRequest(response.request)
        where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
        try:
            if valid_request and response.status_code != 401:
                self.openapi.validate_request(request)
            self.openapi.validate_response(request, _OpenAPIResponse(response))
        except Exception as exc:  # every validation failure is collected and reported
            self.errors.append(f"{where}: {type(exc).__name__}: {_details(exc)}")
        self.checked += 1

    async def hook(self, response: httpx.Response) -> None:
        """An httpx response event hook validating what a real client sent and received."""
        await response.aread()
        self.check(response)


def _details(exc: BaseException) -> str:
    parts = [str(exc)]
    for attribute in ("schema_errors", "__cause__"):
        value: Any = getattr(exc, attribute, None)
        if value:
            parts.append(str(value))
    return " | ".join(part[:400] for part in parts)
