"""One error shape everywhere: ``{"error": {"code", "message", "details"}}``.

Handlers cover our ``ComplianceError`` hierarchy, request validation (422, malformed JSON 400),
Starlette's HTTP errors (unknown route 404, wrong method 405 …) and anything unexpected (500,
logged with the correlation id, no internals in the answer). 429 and 503 carry Retry-After.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from compliance_assistant.engine.errors import EngineError
from compliance_assistant.errors import ComplianceError

logger = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class UnauthorizedError(ComplianceError):
    code = "UNAUTHORIZED"
    status_code = 401


class ForbiddenError(ComplianceError):
    code = "FORBIDDEN"
    status_code = 403


class RetryLaterError(ComplianceError):
    """A refusal the client should retry after ``retry_after`` seconds (429, 503)."""

    def __init__(self, message: str, *, retry_after: float, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class RateLimitedError(RetryLaterError):
    code = "RATE_LIMITED"
    status_code = 429


class ServiceUnavailableError(RetryLaterError):
    code = "SERVICE_UNAVAILABLE"
    status_code = 503


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    *,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}
    return JSONResponse(body, status_code=status, headers=headers)


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, int(seconds + 0.999)))}


async def _compliance_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ComplianceError)
    headers = None
    if isinstance(exc, RetryLaterError):
        headers = _retry_after(exc.retry_after)
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="compliance-assistant"'}
    return error_response(exc.status_code, exc.code, exc.message, exc.details, headers=headers)


async def _engine_error(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(422, "INVALID_DEFINITION", str(exc))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return error_response(400, "MALFORMED_JSON", "The request body is not valid JSON.", errors)
    return error_response(
        422, "VALIDATION_ERROR", "The request does not match the expected shape.", errors
    )


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    phrase = _phrase(status)
    code = _HTTP_CODES.get(status, phrase.upper().replace(" ", "_"))
    message = exc.detail if isinstance(exc.detail, str) else phrase
    if status == 404 and message == "Not Found":
        message = f"No route {request.method} {request.url.path}."
    headers = dict(exc.headers or {})
    if status in (429, 503) and "Retry-After" not in headers:
        headers.update(_retry_after(5))
    return error_response(status, code, message, headers=headers or None)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    correlation_id = getattr(request.state, "correlation_id", None)
    logger.exception(
        "unhandled error on %s %s (correlation id %s)",
        request.method,
        request.url.path,
        correlation_id,
        exc_info=exc,
    )
    return error_response(
        500,
        "INTERNAL_ERROR",
        "Something went wrong on our side; quote the correlation id when reporting it.",
        {"correlation_id": correlation_id},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ComplianceError, _compliance_error)
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": HTTPStatus(status).phrase}
    for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
}
