"""A reference Smart Search server over a local GTC library (docs/smart-search-openapi.yaml).

``compliance gtc serve-smart-search DIR --api-key KEY`` runs it for local end-to-end runs of the
real client; the tests run it too. It implements the contract and nothing more: bearer-key
auth (constant-time comparison), the error shape, 404/422 answers. It has no fault injection
of its own — :func:`create_app` accepts ``hooks`` (called before each request; one that returns
a response answers in its place), which only tests use to simulate outages and rate limits.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from compliance_assistant import __version__
from compliance_assistant.gtc.errors import GtcNotFound
from compliance_assistant.gtc.library import GtcLibrary
from compliance_assistant.gtc.models import (
    GTC_ID_PATTERN,
    DocumentMetadata,
    Health,
    SearchRequest,
    SearchResponse,
)

RequestHook = Callable[[Request], Awaitable[Response | None]]
GtcId = Annotated[str, Path(pattern=GTC_ID_PATTERN)]
_PUBLIC_PATHS = frozenset({"/v1/health"})


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The contract's error shape."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def create_app(library: GtcLibrary, *, api_key: str, hooks: Sequence[RequestHook] = ()) -> FastAPI:
    if not api_key:
        raise ValueError("the reference Smart Search server needs an API key")
    app = FastAPI(
        title="Smart Search (reference implementation)",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    expected = f"Bearer {api_key}".encode()

    @app.middleware("http")
    async def gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        for hook in hooks:
            answer = await hook(request)
            if answer is not None:
                return answer
        if request.url.path not in _PUBLIC_PATHS:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return error_response(
                    401,
                    "UNAUTHORIZED",
                    "a valid bearer API key is required",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return error_response(400, "BAD_REQUEST", "the body is not valid JSON", problems)
        return error_response(
            422, "VALIDATION_FAILED", "the request does not match the contract", problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(GtcNotFound)
    async def not_found(_: Request, exc: GtcNotFound) -> JSONResponse:
        return error_response(404, "NOT_FOUND", exc.message)

    @app.post("/v1/search", response_model=SearchResponse)
    async def search(body: SearchRequest) -> SearchResponse:
        return await library.search(body)

    @app.get("/v1/documents/{gtc_id}", response_model=DocumentMetadata)
    async def document(gtc_id: GtcId) -> DocumentMetadata:
        return await library.get_document(gtc_id)

    @app.get("/v1/documents/{gtc_id}/download")
    async def download(gtc_id: GtcId) -> Response:
        file = await library.download(gtc_id)
        meta = library.get(gtc_id).metadata
        filename = library.get(gtc_id).path.name
        return Response(
            file.content,
            media_type=file.content_type,
            headers={
                "ETag": f'"{meta.sha256}"',
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )

    @app.get("/v1/health", response_model=Health)
    async def health() -> Health:
        return Health(status="ok", documents=len(library.entries), version=__version__)

    return app


def serve(library: GtcLibrary, *, api_key: str, host: str = "127.0.0.1", port: int = 8090) -> None:
    """Run the server until interrupted (the CLI's ``serve-smart-search``)."""
    import uvicorn

    uvicorn.run(create_app(library, api_key=api_key), host=host, port=port, log_level="info")
