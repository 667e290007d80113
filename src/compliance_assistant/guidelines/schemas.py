"""Bodies of the guideline-set endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from compliance_assistant.engine.examples import ExamplesReport
from compliance_assistant.guidelines.service import ResolvedSet


class GuidelineView(BaseModel):
    id: str
    title: str
    kind: str
    severity: str
    examples: int


class SetVersionView(BaseModel):
    id: str
    version: int
    title: str
    description: str
    shipped: bool
    created_at: datetime | None = None
    created_by: str | None = None
    guidelines: list[GuidelineView]
    yaml: str | None = Field(None, description="The stored YAML (tenant sets only).")

    @classmethod
    def of(cls, resolved: ResolvedSet, *, with_yaml: bool = False) -> SetVersionView:
        gset = resolved.guideline_set
        return cls(
            id=gset.id,
            version=gset.version,
            title=gset.title,
            description=gset.description,
            shipped=resolved.shipped,
            created_at=resolved.created_at,
            created_by=resolved.created_by,
            guidelines=[
                GuidelineView(
                    id=g.id,
                    title=g.title,
                    kind=g.kind.value,
                    severity=g.effective_severity.value,
                    examples=len(g.examples.violation) + len(g.examples.compliant),
                )
                for g in gset.guidelines
            ],
            yaml=resolved.yaml_text if with_yaml else None,
        )


class SetList(BaseModel):
    items: list[SetVersionView]


class SetVersions(BaseModel):
    id: str
    shipped: bool
    latest_version: int
    versions: list[SetVersionView]


class CreateSetJson(BaseModel):
    """JSON alternative to posting the YAML text itself."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(min_length=1)


class TestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1)
    guidelines: list[str] = Field(default_factory=list, max_length=500)


class ExampleView(BaseModel):
    expected: str
    text: str
    outcome: str
    detail: str


class GuidelineTestView(BaseModel):
    guideline_id: str
    title: str
    kind: str
    passed: int
    total: int
    ok: bool
    examples: list[ExampleView]


class TestReportView(BaseModel):
    guideline_set: str
    ok: bool
    accuracy: float
    guidelines: list[GuidelineTestView]

    @classmethod
    def of(cls, report: ExamplesReport) -> TestReportView:
        return cls(
            guideline_set=report.guideline_set,
            ok=report.ok,
            accuracy=round(report.accuracy, 4),
            guidelines=[
                GuidelineTestView(
                    guideline_id=g.guideline_id,
                    title=g.title,
                    kind=g.kind,
                    passed=g.passed,
                    total=g.total,
                    ok=g.ok,
                    examples=[
                        ExampleView(
                            expected=e.expected,
                            text=e.text,
                            outcome=e.outcome.value,
                            detail=e.detail,
                        )
                        for e in g.examples
                    ],
                )
                for g in report.guidelines
            ],
        )
