"""Request dependencies as ``Annotated`` aliases, so route signatures stay short.

Every operation takes exactly one of the role aliases below (each names a policy of
``api/roles.py``); the policy check runs before the endpoint, so a missing role is a 403 and
no endpoint decides roles on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from compliance_assistant.api import roles
from compliance_assistant.api.auth import Authenticator, Principal
from compliance_assistant.api.errors import ForbiddenError
from compliance_assistant.api.oidc import OidcVerifier
from compliance_assistant.api.ratelimit import SubmitRateLimiter
from compliance_assistant.api.roles import Policy
from compliance_assistant.checks.context import ServiceContext
from compliance_assistant.observability.logging import bind_tenant


@dataclass
class ApiState:
    """What the app holds for its lifetime (``app.state.api``), set by the lifespan."""

    ctx: ServiceContext
    authenticator: Authenticator
    rate_limiter: SubmitRateLimiter
    mode: str

    def __post_init__(self) -> None:
        # The app factory builds the authenticator from the API-key settings; OIDC comes from
        # the same settings object, so both schemes are always configured together.
        oidc = self.ctx.settings.api.oidc
        if self.authenticator.oidc is None and oidc.enabled:
            self.authenticator.oidc = OidcVerifier(oidc)


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

_bearer = HTTPBearer(
    auto_error=False,
    description="An OIDC access token (JWT) or an API key: `Authorization: Bearer …`",
)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


async def _principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
) -> Principal:
    credential = bearer.credentials if bearer is not None else None
    principal = await _api_state(request).authenticator.authenticate(credential, api_key)
    bind_tenant(principal.tenant_id)  # every log line of the request names the tenant
    return principal


_Authenticated = Annotated[Principal, Depends(_principal)]
# The caller without any role check, for infrastructure dependencies that need the identity
# (rate limits). Never an endpoint's only declaration: the route walk rejects that.
Authenticated = _Authenticated


@dataclass(frozen=True)
class JobAccess:
    """A caller allowed to act on jobs, and whose jobs: ``owner`` None means every job of
    the tenant, else only jobs this user submitted."""

    principal: Principal
    owner: str | None

    @property
    def tenant_id(self) -> str:
        return self.principal.tenant_id

    @property
    def actor(self) -> str:
        return self.principal.actor

    @property
    def user_id(self) -> str:
        return self.principal.user_id


ROLE_POLICY_ATTRIBUTE = "role_policy"


def _enforcing(policy: Policy, grant: Callable[[Principal], Any]) -> Any:
    names = " or ".join(sorted(role.value for role in policy.roles))

    async def check(principal: _Authenticated) -> Any:
        if not policy.allows(principal):
            raise ForbiddenError(
                f"This action ({policy.description}) needs the {names} role.",
                details={"policy": policy.name, "required": sorted(policy.roles)},
            )
        return grant(principal)

    setattr(check, ROLE_POLICY_ATTRIBUTE, policy)
    check.__name__ = f"require_{policy.name}"
    return Depends(check)


def requires(policy: Policy) -> Any:
    """``Depends`` that enforces ``policy`` and yields the Principal."""
    return _enforcing(policy, lambda principal: principal)


def requires_job_access(policy: Policy) -> Any:
    """``Depends`` that enforces ``policy`` and yields a :class:`JobAccess`."""
    return _enforcing(policy, lambda principal: JobAccess(principal, policy.job_owner(principal)))


def declared_policies(dependant: Dependant) -> list[Policy]:
    """The role policies an operation declares (through any depth of dependencies)."""
    return [p for p in _walk(dependant) if p is not None]


def _walk(dependant: Dependant) -> Iterator[Policy | None]:
    for dependency in dependant.dependencies:
        yield getattr(dependency.call, ROLE_POLICY_ATTRIBUTE, None)
        yield from _walk(dependency)


# Reads open to every role; other routers (GTC, analytics …) use it for their reads.
CurrentPrincipal = Annotated[Principal, requires(roles.ANY_ROLE)]
Writer = Annotated[Principal, requires(roles.SUBMIT_CHECK)]
JobReader = Annotated[JobAccess, requires_job_access(roles.READ_JOBS)]
JobCanceller = Annotated[JobAccess, requires_job_access(roles.CANCEL_JOB)]
FeedbackGiver = Annotated[JobAccess, requires_job_access(roles.GIVE_FEEDBACK)]
GuidelineEditor = Annotated[Principal, requires(roles.EDIT_GUIDELINES)]
Admin = Annotated[Principal, requires(roles.ADMINISTER)]


async def _correlation_id(request: Request) -> str | None:
    value = getattr(request.state, "correlation_id", None)
    return str(value) if value is not None else None


CorrelationId = Annotated[str | None, Depends(_correlation_id)]
