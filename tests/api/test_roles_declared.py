"""Every endpoint declares its role: walk the app's routes and fail on any ``/api/v1``
operation without exactly one role policy from api/roles.py (health probes excepted)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from compliance_assistant.api import roles
from compliance_assistant.api.app import create_app
from compliance_assistant.api.deps import Admin, Authenticated, Services, declared_policies
from compliance_assistant.api.roles import Policy
from compliance_assistant.checks.schemas import API_PREFIX
from tests.api.harness import settings_for
from tests.doubles.llm_server import LlmDouble

# Probes answer load balancers, which carry no credentials.
PUBLIC = (f"{API_PREFIX}/health/",)


def _operations(tmp_path: Path, double: LlmDouble) -> dict[tuple[str, str], list[Policy] | None]:
    """Every (method, path) under the API prefix and the policies that govern it (None: not
    a FastAPI operation, so nothing could have been declared)."""
    app = create_app(settings_for("embedded", tmp_path, double))
    found: dict[tuple[str, str], list[Policy] | None] = {}
    # FastAPI includes routers lazily; this walks the effective routes, prefixes applied.
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith(f"{API_PREFIX}/") or path.startswith(PUBLIC):
            continue
        dependant = getattr(route, "dependant", None)
        policies = (
            roles.governing(declared_policies(dependant))
            if isinstance(dependant, Dependant)
            else None
        )
        for method in sorted(route.methods or {"*"}):
            found[(method, path)] = policies
    return found


def test_every_api_operation_declares_one_role_policy(
    tmp_path: Path, llm_double: LlmDouble
) -> None:
    operations = _operations(tmp_path, llm_double)
    assert len(operations) >= 10  # the walk found the routers at all
    undeclared = [
        f"{method} {path}: {[p.name for p in policies] if policies else 'no role'}"
        for (method, path), policies in sorted(operations.items())
        if policies is None or len(policies) != 1 or policies[0] not in roles.POLICIES
    ]
    assert not undeclared, "operations without exactly one declared role:\n" + "\n".join(undeclared)


def test_the_declared_policies_are_the_intended_ones(tmp_path: Path, llm_double: LlmDouble) -> None:
    declared = _operations(tmp_path, llm_double)
    expected = {
        ("POST", "/api/v1/compliance/check"): roles.SUBMIT_CHECK,
        ("GET", "/api/v1/jobs"): roles.READ_JOBS,
        ("GET", "/api/v1/jobs/{job_id}/status"): roles.READ_JOBS,
        ("GET", "/api/v1/jobs/{job_id}/result"): roles.READ_JOBS,
        ("GET", "/api/v1/jobs/{job_id}/report"): roles.READ_JOBS,
        ("GET", "/api/v1/jobs/{job_id}/events"): roles.READ_JOBS,
        ("DELETE", "/api/v1/jobs/{job_id}"): roles.CANCEL_JOB,
        ("POST", "/api/v1/findings/{finding_id}/feedback"): roles.GIVE_FEEDBACK,
        ("GET", "/api/v1/guideline-sets"): roles.ANY_ROLE,
        ("GET", "/api/v1/guideline-sets/{set_id}"): roles.ANY_ROLE,
        ("POST", "/api/v1/guideline-sets"): roles.EDIT_GUIDELINES,
        ("POST", "/api/v1/guideline-sets/{set_id}/test"): roles.EDIT_GUIDELINES,
        ("DELETE", "/api/v1/admin/cache/jobs/{job_id}"): roles.ADMINISTER,
    }
    for operation, policy in expected.items():
        assert declared.get(operation) == [policy], (operation, declared.get(operation))


def test_the_walk_notices_an_operation_without_a_role() -> None:
    # (Annotations are strings here: the aliases must be module globals to resolve.)
    router = APIRouter()

    @router.get("/forgotten")
    async def forgotten(ctx: Services) -> dict[str, str]:  # pragma: no cover - never called
        return {}

    @router.get("/identified")
    async def identified(principal: Authenticated) -> dict[str, str]:  # pragma: no cover
        return {}

    @router.get("/guarded")
    async def guarded(ctx: Services, principal: Admin) -> dict[str, str]:  # pragma: no cover
        return {}

    app = FastAPI()
    app.include_router(router, prefix=API_PREFIX)
    found = {
        route.path: declared_policies(route.dependant)
        for route in iter_route_contexts(app.routes)
        if (route.path or "").startswith(API_PREFIX)
    }
    assert found == {
        f"{API_PREFIX}/forgotten": [],
        f"{API_PREFIX}/identified": [],  # knowing the caller is not declaring a role
        f"{API_PREFIX}/guarded": [roles.ADMINISTER],
    }


def test_any_role_beside_a_stricter_policy_adds_nothing_but_two_strict_ones_conflict() -> None:
    assert roles.governing([roles.ANY_ROLE, roles.READ_JOBS]) == [roles.READ_JOBS]
    assert roles.governing([roles.ANY_ROLE, roles.ANY_ROLE]) == [roles.ANY_ROLE]
    assert roles.governing([roles.READ_JOBS, roles.ADMINISTER]) == [
        roles.READ_JOBS,
        roles.ADMINISTER,
    ]
