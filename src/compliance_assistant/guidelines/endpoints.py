"""Guideline-set endpoints: list, versions, create a version from YAML, run the examples."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import ValidationError

from compliance_assistant.api.deps import (
    CorrelationId,
    CurrentPrincipal,
    GuidelineEditor,
    Services,
)
from compliance_assistant.api.errors import error_responses
from compliance_assistant.audit import log as audit
from compliance_assistant.errors import InputError, UnsupportedFormatError
from compliance_assistant.guidelines.schemas import (
    CreateSetJson,
    SetList,
    SetVersions,
    SetVersionView,
    TestReportView,
    TestRequest,
)
from compliance_assistant.guidelines.service import guideline_set_service

router = APIRouter(prefix="/guideline-sets", tags=["guideline sets"])
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/CreateSetJson"}},
        },
    }
}


@router.get("", response_model=SetList, responses=error_responses(401, 403, 429))
async def list_sets(ctx: Services, principal: CurrentPrincipal) -> SetList:
    """Shipped sets (read-only, every tenant) and the latest version of your own sets."""
    async with ctx.database.read_session() as session:
        found = await guideline_set_service.list_sets(session, ctx.catalog, principal.tenant_id)
    return SetList(items=[SetVersionView.of(r) for r in found])


@router.get(
    "/{set_id}", response_model=SetVersions, responses=error_responses(400, 401, 403, 404, 429)
)
async def get_set(set_id: str, ctx: Services, principal: CurrentPrincipal) -> SetVersions:
    """Every version of a set, oldest first (one for a shipped set)."""
    async with ctx.database.read_session() as session:
        found = await guideline_set_service.versions(
            session, ctx.catalog, principal.tenant_id, set_id
        )
    return SetVersions(
        id=set_id,
        shipped=found[-1].shipped,
        latest_version=found[-1].version,
        versions=[SetVersionView.of(r, with_yaml=not r.shipped) for r in found],
    )


@router.post(
    "",
    status_code=201,
    response_model=SetVersionView,
    openapi_extra=_CREATE_BODY,
    responses=error_responses(400, 401, 403, 409, 413, 415, 422, 429),
)
async def create_set(
    request: Request, ctx: Services, principal: GuidelineEditor, correlation_id: CorrelationId
) -> SetVersionView:
    """Store a new version of one of your sets from its YAML (the next version number is
    assigned). Invalid YAML is a 422 whose message and details name the line."""
    yaml_text = await _yaml_body(request)
    async with ctx.database.session() as session:
        created = await guideline_set_service.create_version(
            session,
            ctx.catalog,
            principal.tenant_id,
            yaml_text=yaml_text,
            created_by=principal.actor,
            now=datetime.now(UTC),
            limits=ctx.settings.limits,
        )
        audit.record(
            session,
            tenant_id=principal.tenant_id,
            actor=principal.actor,
            action=audit.GUIDELINE_SET_CREATED,
            target=f"{created.id}@{created.version}",
            correlation_id=correlation_id,
        )
    return SetVersionView.of(created, with_yaml=True)


async def _yaml_body(request: Request) -> str:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if media == "application/json":
        try:
            return CreateSetJson.model_validate_json(body).yaml
        except ValidationError as exc:
            raise InputError(
                'Send {"yaml": "<guideline set YAML>"} or the YAML itself as application/yaml.',
                details=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()],
            ) from None
    if media not in _YAML_TYPES:
        raise UnsupportedFormatError(
            f"Unsupported content type '{media or 'none'}': send application/yaml (the set's "
            'YAML) or application/json ({"yaml": "…"}).'
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("The guideline set must be UTF-8 text.") from None


@router.post(
    "/{set_id}/test",
    response_model=TestReportView,
    responses=error_responses(400, 401, 403, 404, 413, 422, 429),
)
async def run_set_examples(
    set_id: str,
    ctx: Services,
    principal: GuidelineEditor,
    body: TestRequest | None = None,
) -> TestReportView:
    """Run the set's examples as tests (admin): violations must be flagged, compliant texts
    not. Examples of guidelines that need a service (llm, gtc) are reported ``not_run``."""
    request = body or TestRequest()
    async with ctx.database.read_session() as session:
        resolved = await guideline_set_service.resolve(
            session, ctx.catalog, principal.tenant_id, set_id, request.version
        )
    report = await guideline_set_service.run_examples(
        resolved, ctx.catalog, principal.tenant_id, request.guidelines
    )
    return TestReportView.of(report)
