"""Results: storing a finished check (job row, per-guideline results, findings, result row) in
one transaction, reading it back as the exact ``CheckResult``, and analytics over findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.engine.findings import Finding
from compliance_assistant.engine.result import CheckResult, GuidelineResult
from compliance_assistant.storage.db.jobs import jobs
from compliance_assistant.storage.db.models import FindingRow, JobResult, ResultRow


@dataclass(frozen=True)
class FindingCount:
    guideline_id: str
    severity: str
    count: int


def _finding_row(tenant_id: str, job_id: str, position: int, f: Finding) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "id": f.id,
        "tenant_id": tenant_id,
        "position": position,
        "guideline_id": f.guideline_id,
        "rule_id": f.rule_id,
        "fingerprint": f.fingerprint,
        "severity": f.severity.value,
        "message": f.message,
        "explanation": f.explanation,
        "span_start": f.span.start,
        "span_end": f.span.end,
        "span_line": f.span.line,
        "span_column": f.span.column,
        "block_id": f.span.block_id,
        "quote": f.span.quote,
        "suggestion": f.suggestion.model_dump(mode="json") if f.suggestion else None,
        "evidence": [e.model_dump(mode="json") for e in f.evidence],
        "source": f.source,
        "confidence": f.confidence,
        "link": f.link,
        "dismissed": f.dismissed.model_dump(mode="json") if f.dismissed else None,
    }


def _finding(row: FindingRow) -> Finding:
    return Finding.model_validate(
        {
            "id": row.id,
            "fingerprint": row.fingerprint,
            "guideline_id": row.guideline_id,
            "rule_id": row.rule_id,
            "severity": row.severity,
            "message": row.message,
            "explanation": row.explanation,
            "span": {
                "start": row.span_start,
                "end": row.span_end,
                "block_id": row.block_id,
                "quote": row.quote,
                "line": row.span_line,
                "column": row.span_column,
            },
            "suggestion": row.suggestion,
            "evidence": row.evidence,
            "source": row.source,
            "confidence": row.confidence,
            "link": row.link,
            "dismissed": row.dismissed,
        }
    )


class ResultRepository:
    """SQL for ``results``, ``job_results`` and ``findings``. Use the ``results`` instance."""

    async def complete(
        self,
        session: AsyncSession,
        tenant_id: str,
        job_id: str,
        result: CheckResult,
        *,
        now: datetime,
        report_blob_key: str | None = None,
    ) -> bool:
        """Mark the job completed and store its result, all in the caller's transaction.

        Idempotent: only a queued or processing job is completed, so a second call (a retried
        task, a duplicate delivery) returns False and writes nothing; the unique constraints on
        ``job_results(job_id, guideline_id)``, ``findings(job_id, id)`` and ``results(job_id)``
        back this up against any race. Also False for a cancelled, failed or unknown job.
        """
        if result.job_id != job_id:
            raise ValueError(f"result is for job {result.job_id}, not {job_id}")
        if not await jobs.mark_completed(session, tenant_id, job_id, now=now):
            return False
        guideline_rows = [
            _guideline_row(tenant_id, job_id, i, g) for i, g in enumerate(result.guidelines)
        ]
        finding_rows = [
            _finding_row(tenant_id, job_id, i, f)
            for g in result.guidelines
            for i, f in enumerate(g.findings)
        ]
        if guideline_rows:
            await session.execute(insert(JobResult), guideline_rows)
        if finding_rows:
            await session.execute(insert(FindingRow), finding_rows)
        session.add(
            ResultRow(
                job_id=job_id,
                tenant_id=tenant_id,
                status=result.status,
                document_id=result.document_id,
                guideline_set_id=result.guideline_set.id,
                guideline_set_version=result.guideline_set.version,
                score=result.score,
                complete=result.complete,
                errors=result.summary.errors,
                warnings_count=result.summary.warnings,
                infos=result.summary.infos,
                not_run=result.summary.not_run,
                model=result.model,
                prompt_version=result.prompt_version,
                usage=result.usage.model_dump(mode="json") if result.usage else None,
                timings=dict(result.timings),
                warnings=[w.model_dump(mode="json") for w in result.warnings],
                gtc_documents=[dict(d) for d in result.gtc_documents],
                document=result.document.model_dump(mode="json") if result.document else None,
                report_blob_key=report_blob_key,
                created_at=now,
            )
        )
        await session.flush()
        return True

    async def set_report_key(
        self, session: AsyncSession, tenant_id: str, job_id: str, report_blob_key: str
    ) -> bool:
        """Attach the report blob written after the result; False if there is no result."""
        outcome = await session.execute(
            update(ResultRow)
            .where(ResultRow.tenant_id == tenant_id, ResultRow.job_id == job_id)
            .values(report_blob_key=report_blob_key)
        )
        return bool(outcome.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult; typed Result

    async def report_key(self, session: AsyncSession, tenant_id: str, job_id: str) -> str | None:
        return await session.scalar(
            select(ResultRow.report_blob_key).where(
                ResultRow.tenant_id == tenant_id, ResultRow.job_id == job_id
            )
        )

    async def get(self, session: AsyncSession, tenant_id: str, job_id: str) -> CheckResult | None:
        """The stored result, equal to the one given to :meth:`complete`; None when the job
        has no result or belongs to another tenant."""
        row = await session.scalar(
            select(ResultRow).where(ResultRow.tenant_id == tenant_id, ResultRow.job_id == job_id)
        )
        if row is None:
            return None
        guideline_rows = await session.scalars(
            select(JobResult)
            .where(JobResult.tenant_id == tenant_id, JobResult.job_id == job_id)
            .order_by(JobResult.position)
        )
        finding_rows = await session.scalars(
            select(FindingRow)
            .where(FindingRow.tenant_id == tenant_id, FindingRow.job_id == job_id)
            .order_by(FindingRow.guideline_id, FindingRow.position)
        )
        by_guideline: dict[str, list[Finding]] = {}
        for finding_row in finding_rows:
            by_guideline.setdefault(finding_row.guideline_id, []).append(_finding(finding_row))
        guidelines = [
            GuidelineResult.model_validate(
                {
                    "guideline_id": g.guideline_id,
                    "title": g.title,
                    "kind": g.kind,
                    "severity": g.severity,
                    "status": g.status,
                    "reason": g.reason,
                    "duration_ms": g.duration_ms,
                    "findings": by_guideline.get(g.guideline_id, []),
                }
            )
            for g in guideline_rows
        ]
        return CheckResult.model_validate(
            {
                "job_id": job_id,
                "status": row.status,
                "document_id": row.document_id,
                "guideline_set": {"id": row.guideline_set_id, "version": row.guideline_set_version},
                "score": row.score,
                "complete": row.complete,
                "summary": {
                    "errors": row.errors,
                    "warnings": row.warnings_count,
                    "infos": row.infos,
                    "not_run": row.not_run,
                },
                "guidelines": guidelines,
                "gtc_documents": row.gtc_documents,
                "warnings": row.warnings,
                "model": row.model,
                "prompt_version": row.prompt_version,
                "usage": row.usage,
                "timings": row.timings,
                "document": row.document,
            }
        )

    async def finding_counts(
        self, session: AsyncSession, tenant_id: str, *, since: datetime | None = None
    ) -> list[FindingCount]:
        """Findings per (guideline, severity) over the tenant's results, optionally since a
        time; the analytics summary reads this (uses the (tenant_id, guideline_id) index)."""
        query = (
            select(FindingRow.guideline_id, FindingRow.severity, func.count())
            .where(FindingRow.tenant_id == tenant_id)
            .group_by(FindingRow.guideline_id, FindingRow.severity)
            .order_by(FindingRow.guideline_id, FindingRow.severity)
        )
        if since is not None:
            query = query.join(ResultRow, ResultRow.job_id == FindingRow.job_id).where(
                ResultRow.created_at >= since
            )
        return [
            FindingCount(guideline_id=g, severity=s, count=int(n))
            for g, s, n in await session.execute(query)
        ]


def _guideline_row(
    tenant_id: str, job_id: str, position: int, g: GuidelineResult
) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "tenant_id": tenant_id,
        "position": position,
        "guideline_id": g.guideline_id,
        "title": g.title,
        "kind": g.kind.value,
        "severity": g.severity.value,
        "status": g.status.value,
        "reason": g.reason,
        "duration_ms": g.duration_ms,
    }


results = ResultRepository()
