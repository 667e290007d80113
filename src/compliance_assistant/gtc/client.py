"""The Smart Search client (docs/smart-search-openapi.yaml): search, metadata, download.

Every call goes through, in order: the shared token bucket (100 requests/s, burst 200 by
default), then for each endpoint (primary first, then secondary) its circuit breaker and up to
``attempts`` tries with exponential backoff and jitter (``Retry-After`` of a 429 or 503 is
honoured; one longer than the policy's maximum wait moves on at once). Only transient errors
(timeouts, connection failures, 408, 429, 5xx) are retried, count toward the breaker and fail
over; permanent ones (401, 404, 4xx, an answer that breaks the contract) are raised at once.
When every endpoint failed or is open, :class:`GtcSourceUnavailable` is raised — the cache
layer then serves what it has (see :mod:`.retrieval`).

The ``httpx.AsyncClient`` is injected (its pool limits and default timeouts come from
:func:`create_http_client`); the clock and the sleep are injected so tests never wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from compliance_assistant import __version__
from compliance_assistant.engine.ports import Clock
from compliance_assistant.gtc.errors import (
    GtcNotFound,
    GtcSourceUnavailable,
    GtcTransientError,
    SmartSearchAuthError,
    SmartSearchConnectionError,
    SmartSearchContractError,
    SmartSearchRateLimited,
    SmartSearchRequestError,
    SmartSearchServerError,
    SmartSearchTimeout,
)
from compliance_assistant.gtc.metrics import GtcMetrics, default_metrics
from compliance_assistant.gtc.models import (
    CONTENT_TYPES,
    DocumentMetadata,
    GtcFile,
    Health,
    SearchRequest,
    SearchResponse,
)
from compliance_assistant.observability.tracing import SpanKind, traced
from compliance_assistant.resilience.breaker import (
    BreakerOpenError,
    BreakerPolicy,
    BreakerRegistry,
    CircuitBreaker,
)
from compliance_assistant.resilience.retry import RetryPolicy, Sleep, retrying
from compliance_assistant.resilience.token_bucket import RateLimitExceeded, TokenBucket, acquire

Model = TypeVar("Model", bound=BaseModel)

DEFAULT_RETRY = RetryPolicy(attempts=3, initial_wait=1.0, max_wait=30.0, jitter=1.0)
DEFAULT_BREAKER = BreakerPolicy(failure_threshold=5, reset_after=60.0, success_threshold=2)
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Endpoint:
    name: str
    base_url: str


@dataclass(frozen=True)
class SmartSearchTimeouts:
    search: float = 10.0
    download: float = 30.0
    connect: float = 5.0


def create_http_client(
    *,
    timeouts: SmartSearchTimeouts = SmartSearchTimeouts(),
    max_connections: int = 20,
    max_keepalive_connections: int = 10,
) -> httpx.AsyncClient:
    """The dedicated connection pool for Smart Search (the caller closes it)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeouts.search, connect=timeouts.connect),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_keepalive_connections
        ),
        headers={"User-Agent": f"compliance-assistant/{__version__}"},
        follow_redirects=False,
    )


def endpoints_from(urls: Sequence[str]) -> tuple[Endpoint, ...]:
    names = ("primary", "secondary", "tertiary")
    return tuple(
        Endpoint(names[i] if i < len(names) else f"endpoint{i + 1}", url.rstrip("/"))
        for i, url in enumerate(urls)
    )


class SmartSearchClient:
    """A :class:`~compliance_assistant.gtc.source.GtcSource` over the Smart Search API."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        endpoints: Sequence[str],
        api_key: str,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        retry: RetryPolicy = DEFAULT_RETRY,
        breakers: BreakerRegistry | None = None,
        bucket: TokenBucket | None = None,
        max_rate_wait: float = 5.0,
        timeouts: SmartSearchTimeouts = SmartSearchTimeouts(),
        metrics: GtcMetrics | None = None,
        max_download_bytes: int = MAX_DOWNLOAD_BYTES,
    ) -> None:
        if not endpoints:
            raise ValueError("Smart Search needs at least one endpoint URL")
        self.endpoints = endpoints_from(endpoints)
        self._http = http
        self._api_key = api_key
        self._sleep = sleep
        self._retry = retry
        self._metrics = metrics or default_metrics()
        self._breakers = breakers or BreakerRegistry(
            clock, DEFAULT_BREAKER, on_change=self._metrics.breaker_changed
        )
        self._bucket = bucket
        self._max_rate_wait = max_rate_wait
        self._timeouts = timeouts
        self._max_download = max_download_bytes

    @property
    def name(self) -> str:
        return "smart_search"

    def breaker(self, endpoint: Endpoint) -> CircuitBreaker:
        return self._breakers.get(f"smart-search:{endpoint.name}")

    async def search(self, request: SearchRequest) -> SearchResponse:
        response, _ = await self._call(
            "search", "POST", "/v1/search", json=request.wire(), timeout=self._timeouts.search
        )
        return _parse(response, SearchResponse)

    async def get_document(self, gtc_id: str) -> DocumentMetadata:
        response, _ = await self._call(
            "metadata", "GET", f"/v1/documents/{gtc_id}", timeout=self._timeouts.search
        )
        return _parse(response, DocumentMetadata)

    async def download(self, gtc_id: str) -> GtcFile:
        response, endpoint = await self._call(
            "download", "GET", f"/v1/documents/{gtc_id}/download", timeout=self._timeouts.download
        )
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in CONTENT_TYPES:
            raise SmartSearchContractError(
                f"Smart Search sent GTC {gtc_id} as '{media or 'no content type'}', not a PDF"
            )
        return GtcFile(
            gtc_id=gtc_id, content=response.content, content_type=media, source=endpoint.base_url
        )

    async def health(self) -> dict[str, Health | str]:
        """Each endpoint's own health answer, or the reason it gave none (no retries)."""
        answers: dict[str, Health | str] = {}
        for endpoint in self.endpoints:
            try:
                response = await self._http.get(
                    f"{endpoint.base_url}/v1/health", timeout=self._timeouts.connect
                )
                answers[endpoint.name] = Health.model_validate(response.json())
            except (httpx.HTTPError, ValueError, ValidationError) as exc:
                answers[endpoint.name] = f"{type(exc).__name__}: {exc}"
        return answers

    # -- the resilient call -----------------------------------------------------------------

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        timeout: float,
    ) -> tuple[httpx.Response, Endpoint]:
        if self._bucket is not None:
            try:
                await acquire(
                    self._bucket,
                    sleep=self._sleep,
                    max_wait=self._max_rate_wait,
                    name="smart-search",
                )
            except RateLimitExceeded as exc:
                raise SmartSearchRateLimited(str(exc), retry_after=exc.wait) from None
        failures: list[str] = []
        for index, endpoint in enumerate(self.endpoints):
            breaker = self.breaker(endpoint)
            try:
                async for attempt in retrying(
                    self._retry, is_transient=_retryable, sleep=self._sleep
                ):
                    with attempt:
                        response = await self._attempt(
                            endpoint,
                            breaker,
                            operation=operation,
                            method=method,
                            path=path,
                            json=json,
                            timeout=timeout,
                        )
                return response, endpoint
            except (GtcTransientError, BreakerOpenError) as exc:
                failures.append(f"{endpoint.name}: {exc}")
                if index + 1 < len(self.endpoints):
                    self._metrics.failovers.labels(endpoint.name).inc()
        raise GtcSourceUnavailable("Smart Search is unavailable (" + "; ".join(failures) + ")")

    async def _attempt(
        self,
        endpoint: Endpoint,
        breaker: CircuitBreaker,
        *,
        operation: str,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        timeout: float,
    ) -> httpx.Response:
        breaker.check()
        started = time.perf_counter()
        try:
            response = await traced(
                f"smart_search.{operation}",
                self._send(endpoint, method, path, json, timeout),
                kind=SpanKind.CLIENT,
                attributes={"smart_search.endpoint": endpoint.name},
            )
        except GtcTransientError as exc:
            self._record(endpoint, operation, exc.code.lower(), started, transient=True)
            breaker.record_failure()
            raise
        status = response.status_code
        try:
            _raise_for_status(response)
        except GtcTransientError:
            self._record(endpoint, operation, str(status), started, transient=True)
            breaker.record_failure()
            raise
        except Exception:
            # A permanent error says nothing about the endpoint's health.
            self._record(endpoint, operation, str(status), started, transient=False)
            breaker.record_success()
            raise
        self._record(endpoint, operation, str(status), started, transient=None)
        breaker.record_success()
        return response

    async def _send(
        self,
        endpoint: Endpoint,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        timeout: float,
    ) -> httpx.Response:
        request = self._http.build_request(
            method,
            f"{endpoint.base_url}{path}",
            json=json,
            headers={"Authorization": f"Bearer {self._api_key}", "Accept": "*/*"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, self._timeouts.connect)),
        )
        try:
            response = await self._http.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > self._max_download:
                        raise SmartSearchContractError(
                            f"Smart Search answer exceeds {self._max_download:,} bytes"
                        )
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise SmartSearchTimeout(f"{endpoint.name} timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise SmartSearchConnectionError(
                f"{endpoint.name} unreachable: {type(exc).__name__}: {exc}"
            ) from exc
        return httpx.Response(
            response.status_code, headers=response.headers, content=bytes(body), request=request
        )

    def _record(
        self,
        endpoint: Endpoint,
        operation: str,
        status: str,
        started: float,
        *,
        transient: bool | None,
    ) -> None:
        self._metrics.requests.labels(endpoint.name, operation, status).inc()
        self._metrics.latency.labels(operation).observe(time.perf_counter() - started)
        if transient is not None:
            kind = "transient" if transient else "permanent"
            self._metrics.errors.labels(endpoint.name, kind).inc()


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, GtcTransientError)


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    message = _error_message(response)
    retry_after = _retry_after(response)
    error: Exception
    if status in (401, 403):
        error = SmartSearchAuthError(f"Smart Search refused the API key ({status}): {message}")
    elif status == 404:
        error = GtcNotFound(f"not found: {message}")
    elif status == 429:
        error = SmartSearchRateLimited(
            f"Smart Search rate limit: {message}", retry_after=retry_after
        )
    elif status == 408 or status >= 500:
        error = SmartSearchServerError(
            f"Smart Search error {status}: {message}", status=status, retry_after=retry_after
        )
    else:
        error = SmartSearchRequestError(
            f"Smart Search rejected the request ({status}): {message}", status=status
        )
    if isinstance(error, GtcTransientError):
        error.response = response  # lets the retry policy read Retry-After
    raise error


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.reason_phrase or f"HTTP {response.status_code}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _parse(response: httpx.Response, model: type[Model]) -> Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise SmartSearchContractError(
            f"Smart Search answered {response.request.url.path} with a body that breaks the "
            f"contract: {exc.errors()[0]['msg']}"
        ) from None
