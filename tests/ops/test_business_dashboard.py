"""The business dashboard's SQL runs on the real schema (PostgreSQL, migrated) and computes
the documented numbers: articles per day, average score, pass rate, most triggered and most
dismissed guidelines, by tenant.

Grafana expands its macros before sending a query; the test expands them the same way
(``$__timeFilter``, ``$__timeGroupAlias``, the multi-value ``$tenant`` variable).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from compliance_assistant.storage.db.engine import EngineOptions, create_engine
from compliance_assistant.storage.db.migrate import migrate
from compliance_assistant.storage.db.models import Feedback, Job, JobResult, ResultRow
from tests.ops.promql import DEPLOY

DAY_1 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DAY_2 = DAY_1 + timedelta(days=1)
RANGE = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC))


def _queries() -> dict[str, str]:
    board = json.loads((DEPLOY / "grafana/dashboards/business.json").read_text(encoding="utf-8"))
    queries = {
        panel["title"]: panel["targets"][0]["rawSql"]
        for panel in board["panels"]
        if panel["type"] != "row"
    }
    queries["$tenant variable"] = board["templating"]["list"][0]["query"]
    return queries


def expand_macros(sql: str, tenants: list[str]) -> str:
    """Grafana's PostgreSQL macro expansion for the macros the dashboard uses."""
    start, end = (moment.isoformat() for moment in RANGE)
    sql = re.sub(r"\$__timeFilter\(([\w.]+)\)", rf"\1 BETWEEN '{start}' AND '{end}'", sql)
    sql = re.sub(
        r"\$__timeGroupAlias\(([\w.]+), '1d'\)",
        r'floor(extract(epoch from \1)/86400)*86400 AS "time"',
        sql,
    )
    sql = sql.replace("$tenant", ", ".join(f"'{tenant}'" for tenant in tenants))
    assert "$" not in sql, f"unexpanded macro in {sql}"
    return sql


def _job(job_id: str, tenant: str, created: datetime) -> Job:
    return Job(
        id=job_id,
        tenant_id=tenant,
        user_id="analyst",
        status="completed",
        guideline_set_id="marketing-eu",
        guideline_set_version=1,
        selected_guidelines=[],
        input_format="text",
        article_sha256="0" * 64,
        progress_done=2,
        progress_total=2,
        attempts=1,
        created_at=created,
        updated_at=created,
        metadata_={},
    )


def _result(job_id: str, tenant: str, created: datetime, score: int, errors: int) -> ResultRow:
    return ResultRow(
        job_id=job_id,
        tenant_id=tenant,
        status="completed",
        guideline_set_id="marketing-eu",
        guideline_set_version=1,
        score=score,
        complete=True,
        errors=errors,
        warnings_count=0,
        infos=0,
        not_run=0,
        timings={},
        warnings=[],
        gtc_documents=[],
        created_at=created,
    )


def _branch(job_id: str, tenant: str, position: int, guideline: str, status: str) -> JobResult:
    return JobResult(
        job_id=job_id,
        tenant_id=tenant,
        position=position,
        guideline_id=guideline,
        title=guideline,
        kind="rule",
        severity="error",
        status=status,
    )


def _dismissal(tenant: str, guideline: str, number: int) -> Feedback:
    return Feedback(
        tenant_id=tenant,
        document_id=f"doc-{number}",
        fingerprint=f"{number:064d}",
        guideline_id=guideline,
        action="dismiss",
        reason="not applicable",
        actor="editor",
        created_at=DAY_2,
    )


async def _seed_and_run(url: str, tenants: list[str]) -> dict[str, list[dict[str, Any]]]:
    await migrate(url)
    engine = create_engine(url, EngineOptions(pool_size=1, max_overflow=0))
    first, second = tenants
    rows: list[object] = []
    # first tenant: day 1 two articles (score 100 pass, 60 fail), day 2 one (80 pass).
    for index, (created, score, errors) in enumerate(
        [(DAY_1, 100, 0), (DAY_1, 60, 2), (DAY_2, 80, 0)]
    ):
        job_id = f"{first[:20]}-{index}"
        rows += [_job(job_id, first, created), _result(job_id, first, created, score, errors)]
        rows.append(_branch(job_id, first, 0, "superlatives", "fail" if errors else "pass"))
        rows.append(_branch(job_id, first, 1, "risk-warning", "warning"))
    # second tenant: one failing article; outside the first tenant's numbers.
    rows += [_job(f"{second[:20]}-0", second, DAY_1)]
    rows += [_result(f"{second[:20]}-0", second, DAY_1, 40, 3)]
    rows.append(_branch(f"{second[:20]}-0", second, 0, "superlatives", "fail"))
    # A job outside the time range counts nowhere.
    old = RANGE[0] - timedelta(days=10)
    rows += [_job(f"{first[:20]}-old", first, old)]
    rows += [_result(f"{first[:20]}-old", first, old, 0, 9)]
    rows += [_dismissal(first, "risk-warning", n) for n in range(3)]
    rows += [_dismissal(first, "superlatives", 3)]
    try:
        async with engine.begin() as connection, AsyncSession(bind=connection) as session:
            for row in rows:
                session.add(row)
                await session.flush()
        results: dict[str, list[dict[str, Any]]] = {}
        async with engine.connect() as connection:
            for title, sql in _queries().items():
                tenant_scope = [first] if title != "By tenant" else tenants
                found = await connection.execute(text(expand_macros(sql, tenant_scope)))
                results[title] = [dict(row._mapping) for row in found]
        return results
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def results(postgres_url: str) -> dict[str, list[dict[str, Any]]]:
    tenants = [f"ops-a-{secrets.token_hex(4)}", f"ops-b-{secrets.token_hex(4)}"]
    return asyncio.run(_seed_and_run(postgres_url, tenants))


def test_totals(results: dict[str, list[dict[str, Any]]]) -> None:
    assert results["Articles checked"] == [{"articles": 3}]
    assert float(results["Average score"][0]["average_score"]) == 80.0
    assert float(results["Pass rate"][0]["pass_rate"]) == pytest.approx(2 / 3)


def test_articles_per_day(results: dict[str, list[dict[str, Any]]]) -> None:
    day = 86400
    per_day = [(int(row["time"]), row["articles"]) for row in results["Articles checked per day"]]
    assert per_day == [
        (int(DAY_1.timestamp()) // day * day, 2),
        (int(DAY_2.timestamp()) // day * day, 1),
    ]
    trend = results["Average score and pass rate per day"]
    assert [float(row["average_score"]) for row in trend] == [80.0, 80.0]
    assert [float(row["pass_rate_percent"]) for row in trend] == [50.0, 100.0]


def test_most_triggered_and_most_dismissed_guidelines(
    results: dict[str, list[dict[str, Any]]],
) -> None:
    assert results["Most triggered guidelines"] == [
        {"guideline": "risk-warning", "triggered": 3},
        {"guideline": "superlatives", "triggered": 1},
    ]
    assert results["Most dismissed guidelines (a rule that may be wrong)"] == [
        {"guideline": "risk-warning", "dismissed": 3},
        {"guideline": "superlatives", "dismissed": 1},
    ]


def test_by_tenant(results: dict[str, list[dict[str, Any]]]) -> None:
    rows = [
        (row["articles"], float(row["average_score"]), float(row["pass_rate_percent"]))
        for row in results["By tenant"]
    ]
    assert rows == [(3, 80.0, 66.7), (1, 40.0, 0.0)]


def test_tenant_variable_lists_tenants(results: dict[str, list[dict[str, Any]]]) -> None:
    tenants = {row["tenant_id"] for row in results["$tenant variable"]}
    assert any(tenant.startswith("ops-a-") for tenant in tenants)
