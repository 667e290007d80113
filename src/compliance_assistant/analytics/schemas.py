"""The analytics summary as the API returns it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class DayStats(BaseModel):
    date: date
    checks: int = Field(description="Checks completed that day (UTC).")
    articles: int = Field(description="Distinct documents among them.")
    average_score: float | None = Field(description="Mean score; null without scored checks.")
    pass_rate: float | None = Field(
        description="Share of checks without error-severity findings; null without checks."
    )


class Totals(BaseModel):
    checks: int
    articles: int
    average_score: float | None
    pass_rate: float | None


class TriggeredGuideline(BaseModel):
    guideline_id: str
    title: str
    failures: int = Field(description="Checks in which the guideline failed.")
    share: float = Field(description="failures / checks in the period.")


class DismissedGuideline(BaseModel):
    guideline_id: str
    dismissals: int = Field(
        description="Findings of the guideline whose latest decision in the period is a "
        "dismissal (many dismissals suggest a badly tuned rule)."
    )


class AnalyticsSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    tenant_id: str
    date_from: date = Field(alias="from", description="First day (UTC), inclusive.")
    date_to: date = Field(alias="to", description="Last day (UTC), inclusive.")
    totals: Totals
    days: list[DayStats] = Field(description="Every day of the period, oldest first.")
    most_triggered: list[TriggeredGuideline]
    most_dismissed: list[DismissedGuideline]
