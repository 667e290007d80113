"""Request dependencies as ``Annotated`` aliases, so route signatures stay short."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from compliance_assistant.api.auth import Authenticator, Principal, Role
from compliance_assistant.api.errors import ForbiddenError, UnauthorizedError
from compliance_assistant.api.ratelimit import SubmitRateLimiter
from compliance_assistant.checks.context import ServiceContext


@dataclass
class ApiState:
    """What the app holds for its lifetime (``app.state.api``), set by the lifespan."""

    ctx: ServiceContext
    authenticator: Authenticator
    rate_limiter: SubmitRateLimiter
    mode: str


# Dependencies are coroutines: FastAPI runs plain functions in a worker thread, and four
# thread hops per request cost more than the whole status lookup.
def _api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


async def _state(request: Request) -> ApiState:
    return _api_state(request)


State = Annotated[ApiState, Depends(_state)]


async def _services(request: Request) -> ServiceContext:
    return _api_state(request).ctx


Services = Annotated[ServiceContext, Depends(_services)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ca_…`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


async def _principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
) -> Principal:
    key = api_key or (bearer.credentials if bearer is not None else None)
    principal = await _api_state(request).authenticator.authenticate(key)
    if principal is None:
        message = (
            "An API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`."
            if key is None
            else "The API key is not valid (unknown, revoked or expired)."
        )
        raise UnauthorizedError(message)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def _requiring(*roles: Role) -> object:
    names = " or ".join(role.value for role in roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise ForbiddenError(
                f"This action needs the {names} role.", details={"required": list(roles)}
            )
        return principal

    return Depends(check)


Writer = Annotated[Principal, _requiring(Role.WRITER)]
Reviewer = Annotated[Principal, _requiring(Role.REVIEWER, Role.WRITER)]
GuidelineEditor = Annotated[Principal, _requiring(Role.REVIEWER)]
Admin = Annotated[Principal, _requiring(Role.ADMIN)]


async def _correlation_id(request: Request) -> str | None:
    value = getattr(request.state, "correlation_id", None)
    return str(value) if value is not None else None


CorrelationId = Annotated[str | None, Depends(_correlation_id)]
