"""Feedback on findings and its effect on results (DESIGN §9, finding identity).

A decision is kept per (tenant, document_id, fingerprint); every result of the same document
shows the latest one: a dismissed finding carries ``dismissed: {by, reason, at}`` and no longer
counts toward its guideline's status, the summary or the score.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.checks.errors import FindingNotFoundError, JobNotFoundError
from compliance_assistant.checks.schemas import FeedbackRequest, FeedbackView
from compliance_assistant.engine.findings import Dismissal, Finding, Severity
from compliance_assistant.engine.result import CheckResult, GuidelineResult, Summary
from compliance_assistant.engine.scoring import score, status_from_findings
from compliance_assistant.storage.db import FeedbackRecord, feedback, jobs, results


def apply_decisions(result: CheckResult, decisions: Mapping[str, FeedbackRecord]) -> CheckResult:
    """The result with the latest decision on each fingerprint re-applied."""
    if not decisions:
        return result
    guidelines = tuple(_apply(g, decisions) for g in result.guidelines)
    counted = [f for g in guidelines for f in g.findings if f.dismissed is None]
    summary = Summary(
        errors=sum(1 for f in counted if f.severity is Severity.ERROR),
        warnings=sum(1 for f in counted if f.severity is Severity.WARNING),
        infos=sum(1 for f in counted if f.severity is Severity.INFO),
        not_run=result.summary.not_run,
    )
    return result.model_copy(
        update={
            "guidelines": guidelines,
            "summary": summary,
            "score": score([(g.status, g.findings) for g in guidelines]),
        }
    )


def _apply(guideline: GuidelineResult, decisions: Mapping[str, FeedbackRecord]) -> GuidelineResult:
    findings = tuple(_decided(f, decisions.get(f.fingerprint)) for f in guideline.findings)
    if findings == guideline.findings:
        return guideline
    status = status_from_findings(findings) if guideline.status.ran else guideline.status
    return guideline.model_copy(update={"findings": findings, "status": status})


def _decided(finding: Finding, decision: FeedbackRecord | None) -> Finding:
    if decision is None or decision.action != "dismiss":
        return (
            finding if finding.dismissed is None else finding.model_copy(update={"dismissed": None})
        )
    dismissal = Dismissal(
        by=decision.actor, reason=decision.reason, at=decision.created_at.isoformat()
    )
    return finding.model_copy(update={"dismissed": dismissal})


class FeedbackService:
    """Stateless; use the module-level ``feedback_service`` instance."""

    async def decisions(
        self, session: AsyncSession, tenant_id: str, document_id: str | None
    ) -> dict[str, FeedbackRecord]:
        if document_id is None:
            return {}
        return await feedback.for_document(session, tenant_id, document_id)

    async def record(
        self,
        session: AsyncSession,
        tenant_id: str,
        finding_id: str,
        request: FeedbackRequest,
        *,
        actor: str,
        now: datetime,
    ) -> FeedbackView:
        """Store the decision on a finding of one of the tenant's completed jobs."""
        job = await jobs.get(session, tenant_id, request.job_id)
        if job is None:
            raise JobNotFoundError(request.job_id)
        stored = await results.get(session, tenant_id, request.job_id)
        finding = None
        if stored is not None:
            finding = next((f for f in stored.findings if f.id == finding_id), None)
        if stored is None or finding is None:
            raise FindingNotFoundError(
                f"Job '{request.job_id}' has no finding '{finding_id}'.",
                details={"job_id": request.job_id, "finding_id": finding_id},
            )
        document_id = stored.document_id or job.document_id or f"job:{job.id}"
        record = await feedback.record(
            session,
            tenant_id,
            document_id=document_id,
            fingerprint=finding.fingerprint,
            guideline_id=finding.guideline_id,
            action=request.action,
            reason=request.reason,
            actor=actor,
            now=now,
            finding_id=finding.id,
            job_id=job.id,
        )
        return FeedbackView(
            finding_id=finding.id,
            job_id=job.id,
            document_id=record.document_id,
            fingerprint=record.fingerprint,
            guideline_id=record.guideline_id,
            action=record.action,
            reason=record.reason,
            actor=record.actor,
            created_at=record.created_at,
        )


feedback_service = FeedbackService()
