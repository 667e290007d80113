"""The summary's SQL: a few grouped queries on ``results``, ``job_results`` and ``feedback``.

Every query is tenant-scoped and bounded by a date range on an indexed column
(``results (tenant_id, created_at)``, ``feedback (tenant_id, action, created_at)``,
migration 0004); guideline failures join ``job_results`` on its ``(job_id, guideline_id)``
key. Days are UTC days of the completion time. Runs on both dialects: the day is computed
in SQL per dialect, everything else is portable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.analytics.schemas import (
    AnalyticsSummary,
    DayStats,
    DismissedGuideline,
    Totals,
    TriggeredGuideline,
)
from compliance_assistant.storage.db.models import Feedback, JobResult, ResultRow

FAILED = "fail"


@dataclass(frozen=True)
class Period:
    """UTC days ``first`` … ``last``, both inclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _day(session: AsyncSession) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", ResultRow.created_at))
    # SQLite stores UTC text 'YYYY-MM-DD HH:MM:SS…' (storage/db/base.py).
    return func.substr(ResultRow.created_at, 1, 10)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


async def summary(
    session: AsyncSession, tenant_id: str, period: Period, *, top: int
) -> AnalyticsSummary:
    in_period = (
        ResultRow.tenant_id == tenant_id,
        ResultRow.created_at >= period.start,
        ResultRow.created_at < period.end,
    )
    day = _day(session).label("day")
    passed = func.sum(case((ResultRow.errors == 0, 1), else_=0))
    per_day = (
        select(
            day,
            func.count(),
            func.count(distinct(ResultRow.document_id)),
            func.count(ResultRow.score),
            func.sum(ResultRow.score),
            passed,
        )
        .where(*in_period)
        .group_by(day)
    )
    rows = {_as_date(r[0]): r[1:] for r in (await session.execute(per_day)).all()}
    days: list[DayStats] = []
    for current in period.days():
        checks, articles, scored, score_sum, passes = rows.get(current, (0, 0, 0, None, 0))
        days.append(
            DayStats(
                date=current,
                checks=checks,
                articles=articles,
                average_score=_ratio(float(score_sum or 0), scored),
                pass_rate=_ratio(float(passes or 0), checks),
            )
        )
    checks = sum(d.checks for d in days)
    articles = await session.scalar(
        select(func.count(distinct(ResultRow.document_id))).where(*in_period)
    )
    scored = sum(int(r[2]) for r in rows.values())
    score_sum = sum(float(r[3] or 0) for r in rows.values())
    passes = sum(int(r[4] or 0) for r in rows.values())
    totals = Totals(
        checks=checks,
        articles=int(articles or 0),
        average_score=_ratio(score_sum, scored),
        pass_rate=_ratio(passes, checks),
    )
    return AnalyticsSummary(
        tenant_id=tenant_id,
        date_from=period.first,
        date_to=period.last,
        totals=totals,
        days=days,
        most_triggered=await _most_triggered(session, in_period, checks, top),
        most_dismissed=await _most_dismissed(session, tenant_id, period, top),
    )


async def _most_triggered(
    session: AsyncSession,
    in_period: tuple[ColumnElement[bool], ...],
    checks: int,
    top: int,
) -> list[TriggeredGuideline]:
    failures = func.count().label("failures")
    query = (
        select(JobResult.guideline_id, func.max(JobResult.title), failures)
        .join(ResultRow, ResultRow.job_id == JobResult.job_id)
        .where(*in_period, JobResult.status == FAILED)
        .group_by(JobResult.guideline_id)
        .order_by(failures.desc(), JobResult.guideline_id)
        .limit(top)
    )
    return [
        TriggeredGuideline(
            guideline_id=guideline_id,
            title=title,
            failures=count,
            share=_ratio(count, checks) or 0.0,
        )
        for guideline_id, title, count in (await session.execute(query)).all()
    ]


async def _most_dismissed(
    session: AsyncSession, tenant_id: str, period: Period, top: int
) -> list[DismissedGuideline]:
    dismissals = func.count().label("dismissals")
    query = (
        select(Feedback.guideline_id, dismissals)
        .where(
            Feedback.tenant_id == tenant_id,
            Feedback.action == "dismiss",
            Feedback.created_at >= period.start,
            Feedback.created_at < period.end,
        )
        .group_by(Feedback.guideline_id)
        .order_by(dismissals.desc(), Feedback.guideline_id)
        .limit(top)
    )
    return [
        DismissedGuideline(guideline_id=guideline_id, dismissals=count)
        for guideline_id, count in (await session.execute(query)).all()
    ]
