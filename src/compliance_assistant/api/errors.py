"""One error shape everywhere: ``{"error": {"code", "message", "details"}}``.

Handlers cover our ``ComplianceError`` hierarchy, request validation (422, malformed JSON 400),
Starlette's HTTP errors (unknown route 404, wrong method 405 …) and anything unexpected (500,
logged with the correlation id, no internals in the answer). 429 and 503 carry Retry-After.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from compliance_assistant.engine.errors import EngineError
from compliance_assistant.errors import ComplianceError, RetryLaterError
from compliance_assistant.storage.blob import BlobError

logger = logging.getLogger(__name__)
DATABASE_RETRY_AFTER_SECONDS = 5.0


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
    if status == 405 and "Allow" in headers:  # from routing (static files send none)
        headers["Allow"] = ", ".join(_allowed_methods(request)) or headers["Allow"]
    return error_response(status, code, message, headers=headers or None)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method routed at the request's path. Starlette's 405 names only the first route
    that matched the path (FastAPI has one route per method), so ``Allow`` would miss some."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database is restarting, failing over or out of connections: the request may
    succeed in a moment, so say so (503 + Retry-After) instead of a 500."""
    logger.warning(
        "database unavailable on %s %s (correlation id %s): %s",
        request.method,
        request.url.path,
        getattr(request.state, "correlation_id", None),
        type(exc).__name__,
    )
    return error_response(
        503,
        "DATABASE_UNAVAILABLE",
        "The database is unavailable for a moment; retry after Retry-After seconds.",
        headers=_retry_after(DATABASE_RETRY_AFTER_SECONDS),
    )


async def _storage_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Blob storage refused or timed out (after the SDK's own retries): nothing was
    accepted, and the client may retry."""
    logger.warning(
        "blob storage unavailable on %s %s (correlation id %s): %s",
        request.method,
        request.url.path,
        getattr(request.state, "correlation_id", None),
        exc,
    )
    return error_response(
        503,
        "STORAGE_UNAVAILABLE",
        "Document storage is unavailable for a moment; retry after Retry-After seconds.",
        headers=_retry_after(DATABASE_RETRY_AFTER_SECONDS),
    )


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
    # Connection-level failures only; a bad query (ProgrammingError, IntegrityError …) is
    # still a bug and answers 500.
    for error in (OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(BlobError, _storage_unavailable)
    app.add_exception_handler(Exception, _unexpected)


_RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_ERROR_DESCRIPTIONS = {
    400: "Bad input: malformed JSON, an unreadable document or an invalid value",
    401: "No API key, or an unknown, revoked or expired one",
    403: "The caller's roles do not allow this action",
    404: "No such resource for the caller's tenant",
    409: "The resource is not in a state that allows this",
    413: "The body, the upload or the text is over its limit",
    415: "The content type or the document format is not supported",
    422: "The request does not match the expected shape or definition",
    429: "Too many requests: retry after Retry-After seconds",
    503: "A required service is unavailable: retry after Retry-After seconds",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route's error statuses, each with the error shape (and
    ``WWW-Authenticate`` / ``Retry-After`` where the handlers send them). Declare exactly the
    statuses the route can answer (503 is always added): the schemathesis run
    (scripts/fuzz_api.py) holds every route to its list."""
    responses: dict[int | str, dict[str, Any]] = {}
    # Every route reads the database (or storage): any of them answers 503 + Retry-After
    # while one is unavailable (the handlers above).
    for status in sorted({*statuses, 503}):
        entry: dict[str, Any] = {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[status]}
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER_HEADER
        responses[status] = entry
    return responses


def document_validation_errors(schema: dict[str, Any]) -> None:
    """FastAPI documents its own 422 body (``HTTPValidationError``, ``{"detail": …}``) on
    every route with parameters, but the handlers answer a validation failure with the error
    shape: point those 422s at ``ErrorBody`` and drop FastAPI's unused schemas."""
    fastapi_ref = "#/components/schemas/HTTPValidationError"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422")
            content = (response or {}).get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref") == fastapi_ref:
                content["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
                response["description"] = _ERROR_DESCRIPTIONS[422]
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    if "#/components/schemas/ValidationError" not in json.dumps(schema):
        components.pop("ValidationError", None)


# Every error status at once, for routers that do not declare their own yet.
ERROR_RESPONSES = error_responses(*_ERROR_DESCRIPTIONS)
