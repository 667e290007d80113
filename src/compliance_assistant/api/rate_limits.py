"""Rate limits as a route dependency, and the middleware that reports them in headers.

:func:`rate_limited` is attached to routers (``app.include_router(…, dependencies=[…])``):
it counts the request against the authenticated user's budget for the route's group
(:mod:`.ratelimit`) and answers 429 ``RATE_LIMITED`` with ``Retry-After`` when it is spent.
(The cap on a tenant's active jobs is checked by the submission itself, in its own
transaction: ``checks.service``.)

The counts are left on ``request.state`` and :class:`RateLimitHeadersMiddleware` adds the
IETF draft headers ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` to
the response — also to the ones endpoints build themselves and to error responses. Health
probes, the docs and the add-in's static files have no dependency, so no limit and no
headers.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from compliance_assistant.api.deps import ApiState, Authenticated
from compliance_assistant.api.errors import RateLimitedError
from compliance_assistant.api.ratelimit import RateLimitStats

STATE_KEY = "rate_limit"
SUBMIT_PATH_SUFFIX = "/compliance/check"


def route_group(request: Request) -> str:
    """``submit`` for a check submission, ``read`` for GET/HEAD, ``write`` otherwise."""
    method = request.method
    if method == "POST" and request.url.path.endswith(SUBMIT_PATH_SUFFIX):
        return "submit"
    return "read" if method in ("GET", "HEAD") else "write"


def rate_limited(group: str | None = None) -> Any:
    """A router dependency counting requests against ``group`` (from the route when None)."""

    async def count_request(request: Request, principal: Authenticated) -> None:
        state: ApiState = request.app.state.api
        chosen = group or route_group(request)
        stats = await state.rate_limiter.hit(chosen, principal.tenant_id, principal.user_id)
        if stats is not None:
            setattr(request.state, STATE_KEY, stats)
            if not stats.allowed:
                raise RateLimitedError(
                    f"Too many requests: the limit of {stats.window} for "
                    f"{chosen} requests is spent; retry in {stats.reset_seconds} s.",
                    retry_after=stats.reset_seconds,
                    details={"group": chosen, "limit": stats.limit, "window": stats.window},
                )

    return Depends(count_request)


def rate_limit_headers(stats: RateLimitStats) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(stats.limit).encode()),
        (b"ratelimit-remaining", str(stats.remaining).encode()),
        (b"ratelimit-reset", str(stats.reset_seconds).encode()),
    ]


class RateLimitHeadersMiddleware:
    """Adds ``RateLimit-*`` headers when the request was counted (pure ASGI: streams pass)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats = state.get(STATE_KEY)
                if isinstance(stats, RateLimitStats):
                    message["headers"] = [
                        *message.get("headers", []),
                        *rate_limit_headers(stats),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
