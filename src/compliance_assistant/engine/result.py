"""The Result contract (DESIGN §6) and the aggregation that builds it from guideline results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from compliance_assistant.engine.findings import Finding, Severity
from compliance_assistant.engine.guidelines import Guideline, GuidelineKind, GuidelineSet
from compliance_assistant.engine.scoring import GuidelineStatus, score, status_from_findings


class GuidelineResult(BaseModel):
    """The verdict on one guideline. ``reason`` is set whenever it did not run or errored."""

    model_config = ConfigDict(frozen=True)

    guideline_id: str
    title: str
    kind: GuidelineKind
    severity: Severity
    status: GuidelineStatus
    findings: tuple[Finding, ...] = ()
    reason: str | None = None
    duration_ms: float | None = None

    @classmethod
    def from_findings(
        cls, guideline: Guideline, findings: Sequence[Finding], duration_ms: float | None = None
    ) -> GuidelineResult:
        return cls(
            guideline_id=guideline.id,
            title=guideline.title,
            kind=guideline.kind,
            severity=guideline.effective_severity,
            status=status_from_findings(findings),
            findings=tuple(findings),
            duration_ms=duration_ms,
        )

    @classmethod
    def not_run(cls, guideline: Guideline, reason: str) -> GuidelineResult:
        return cls(
            guideline_id=guideline.id,
            title=guideline.title,
            kind=guideline.kind,
            severity=guideline.effective_severity,
            status=GuidelineStatus.NOT_RUN,
            reason=reason,
        )

    @classmethod
    def errored(
        cls, guideline: Guideline, reason: str, duration_ms: float | None = None
    ) -> GuidelineResult:
        return cls(
            guideline_id=guideline.id,
            title=guideline.title,
            kind=guideline.kind,
            severity=guideline.effective_severity,
            status=GuidelineStatus.ERROR,
            reason=reason,
            duration_ms=duration_ms,
        )


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)

    errors: int = 0
    warnings: int = 0
    infos: int = 0
    not_run: int = Field(0, description="guidelines that did not run or errored")


class ResultWarning(BaseModel):
    """Something the reader must know about the check itself (not about the content)."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    details: dict[str, Any] | None = None


class GuidelineSetRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    version: int


class DocumentInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str | None
    source_format: str
    source_name: str | None
    characters: int
    words: int
    blocks: int


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    job_id: str
    status: str = "completed"
    document_id: str | None = None
    guideline_set: GuidelineSetRef
    score: int | None
    complete: bool
    summary: Summary
    guidelines: tuple[GuidelineResult, ...]
    gtc_documents: tuple[dict[str, Any], ...] = ()
    warnings: tuple[ResultWarning, ...] = ()
    model: str | None = None
    prompt_version: str | None = None
    usage: Usage | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    document: DocumentInfo | None = None

    @property
    def findings(self) -> list[Finding]:
        """Every finding, in document order."""
        every = [f for g in self.guidelines for f in g.findings]
        return sorted(every, key=lambda f: f.sort_key)

    @property
    def not_run_guidelines(self) -> list[GuidelineResult]:
        return [g for g in self.guidelines if not g.status.ran]


def aggregate(
    *,
    job_id: str,
    guideline_set: GuidelineSet,
    results: Sequence[GuidelineResult],
    document_id: str | None = None,
    document: DocumentInfo | None = None,
    warnings: Sequence[ResultWarning] = (),
    timings: dict[str, float] | None = None,
    model: str | None = None,
    prompt_version: str | None = None,
    usage: Usage | None = None,
    gtc_documents: Sequence[dict[str, Any]] = (),
) -> CheckResult:
    """Order guideline results as the set lists them, count findings, score, flag completeness."""
    order = {g.id: i for i, g in enumerate(guideline_set.guidelines)}
    ordered = sorted(results, key=lambda r: (order.get(r.guideline_id, len(order)), r.guideline_id))
    findings = [f for r in ordered for f in r.findings if f.dismissed is None]
    summary = Summary(
        errors=sum(1 for f in findings if f.severity is Severity.ERROR),
        warnings=sum(1 for f in findings if f.severity is Severity.WARNING),
        infos=sum(1 for f in findings if f.severity is Severity.INFO),
        not_run=sum(1 for r in ordered if not r.status.ran),
    )
    return CheckResult(
        job_id=job_id,
        document_id=document_id,
        guideline_set=GuidelineSetRef(id=guideline_set.id, version=guideline_set.version),
        score=score([(r.status, r.findings) for r in ordered]),
        complete=all(r.status.ran for r in ordered),
        summary=summary,
        guidelines=tuple(ordered),
        gtc_documents=tuple(gtc_documents),
        warnings=tuple(warnings),
        model=model,
        prompt_version=prompt_version,
        usage=usage,
        timings=dict(timings or {}),
        document=document,
    )


def document_info(
    title: str | None, source_format: str, source_name: str | None, text: str, blocks: int
) -> DocumentInfo:
    return DocumentInfo(
        title=title,
        source_format=source_format,
        source_name=source_name,
        characters=len(text),
        words=len(text.split()),
        blocks=blocks,
    )
