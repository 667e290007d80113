"""Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streams and add latency).

* :class:`CorrelationMiddleware` reads ``X-Correlation-ID`` or creates one, exposes it on
  ``request.state.correlation_id``, echoes it on every response — errors included — and turns
  an unhandled exception into the 500 error shape.
* :class:`BodyLimitMiddleware` answers 413 for a body over the limit before it is read:
  from ``Content-Length`` when given, else by counting the streamed bytes.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

CORRELATION_HEADER = "x-correlation-id"
# Accepted as given only when it is a sane token; anything else gets a fresh id.
_VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
# Multipart framing and form fields on top of the file itself.
MULTIPART_OVERHEAD = 1024 * 1024


def _error_body(code: str, message: str, details: Any = None) -> bytes:
    return json.dumps(
        {"error": {"code": code, "message": message, "details": details}}, separators=(",", ":")
    ).encode()


async def _send_error(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, CORRELATION_HEADER.encode())
        correlation_id = given if given and _VALID_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        echoed = (CORRELATION_HEADER.encode(), correlation_id.encode())
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception(
                "unhandled error on %s %s (correlation id %s)",
                scope.get("method"),
                scope.get("path"),
                correlation_id,
            )
            if started:
                raise
            body = _error_body(
                "INTERNAL_ERROR",
                "Something went wrong on our side; quote the correlation id when reporting it.",
                {"correlation_id": correlation_id},
            )
            await _send_error(send, 500, body, [echoed])


class _TooLarge(HTTPException):
    """Raised from ``receive``: FastAPI re-raises HTTP exceptions met while reading a body
    (anything else it would turn into a 400), and the app's handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit:,} bytes.")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type") or ""
        multipart = content_type.lower().startswith("multipart/form-data")
        limit = self.upload_limit if multipart else self.json_limit
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        body = _error_body(
            "PAYLOAD_TOO_LARGE",
            f"The request body is larger than the limit of {limit:,} bytes.",
            {"limit_bytes": limit},
        )
        await _send_error(send, 413, body, [])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None
