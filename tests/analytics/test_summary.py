"""``GET /api/v1/analytics/summary`` over real jobs, results and feedback, in both run modes
(SQLite embedded, PostgreSQL production); expected numbers are recomputed from the results."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from compliance_assistant.storage.db.migrate import migrate
from tests.api.harness import Api, Services, running_api, settings_for
from tests.doubles.llm_server import LlmDouble
from tests.services import temporary_postgres_database

pytestmark = pytest.mark.anyio
SUMMARY = "/api/v1/analytics/summary"
ARTICLES = (
    "Guaranteed returns of 7% every year! Open the UK's best savings account today.",
    "Our savings account pays 2% a year; the rate may change.",
    "Risk-free and guaranteed: the best account in the world.",
)


async def _checked(api: Api) -> list[dict[str, Any]]:
    return [await api.check(text) for text in ARTICLES]


async def test_summary_matches_the_results(api: Api) -> None:
    results = await _checked(api)
    dismissed = next(f for g in results[0]["guidelines"] for f in g["findings"])
    feedback = await api.post(
        f"/api/v1/findings/{dismissed['id']}/feedback",
        json={"job_id": results[0]["job_id"], "action": "dismiss", "reason": "house style"},
    )
    assert feedback.status_code == 201, feedback.text

    response = await api.get(SUMMARY)
    assert response.status_code == 200, response.text
    body = response.json()
    today = datetime.now(UTC).date()
    assert body["tenant_id"] == api.tenant
    assert body["to"] == today.isoformat()
    assert body["from"] == (today - timedelta(days=29)).isoformat()
    assert len(body["days"]) == 30
    assert body["days"][-1]["date"] == today.isoformat()
    assert all(day["checks"] == 0 for day in body["days"][:-1])

    scores = [r["score"] for r in results if r["score"] is not None]
    passed = sum(1 for r in results if r["summary"]["errors"] == 0)
    expected_totals = {
        "checks": 3,
        "articles": 3,
        "average_score": round(sum(scores) / len(scores), 4),
        "pass_rate": round(passed / 3, 4),
    }
    assert body["totals"] == expected_totals
    assert body["days"][-1] == {"date": today.isoformat(), **expected_totals}

    failures = Counter(
        g["guideline_id"] for r in results for g in r["guidelines"] if g["status"] == "fail"
    )
    assert failures, "the risky articles fail guidelines"
    ranking = sorted(failures.items(), key=lambda item: (-item[1], item[0]))
    assert [(g["guideline_id"], g["failures"]) for g in body["most_triggered"]] == ranking
    assert all(g["share"] == round(g["failures"] / 3, 4) for g in body["most_triggered"])
    assert all(g["title"] for g in body["most_triggered"])
    dismissed_guideline = next(
        g["guideline_id"]
        for g in results[0]["guidelines"]
        if any(f["id"] == dismissed["id"] for f in g["findings"])
    )
    assert body["most_dismissed"] == [{"guideline_id": dismissed_guideline, "dismissals": 1}]

    top = (await api.get(SUMMARY, params={"top": 1})).json()
    assert top["most_triggered"] == body["most_triggered"][:1]


async def test_periods_filter_and_bad_periods_are_422(api: Api) -> None:
    await api.check(ARTICLES[0])
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    later = await api.get(
        SUMMARY, params={"from": tomorrow.isoformat(), "to": tomorrow.isoformat()}
    )
    assert later.status_code == 200, later.text
    assert later.json()["totals"] == {
        "checks": 0,
        "articles": 0,
        "average_score": None,
        "pass_rate": None,
    }
    assert later.json()["most_triggered"] == []
    assert len(later.json()["days"]) == 1

    backwards = await api.get(SUMMARY, params={"from": "2026-12-05", "to": "2026-12-01"})
    assert backwards.status_code == 422
    assert backwards.json()["error"]["code"] == "INVALID_PERIOD"
    too_long = await api.get(SUMMARY, params={"from": "2024-01-01", "to": "2026-01-01"})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"] == {"max_days": 366}
    not_a_date = await api.get(SUMMARY, params={"from": "yesterday"})
    assert not_a_date.status_code == 422
    assert "error" in not_a_date.json()


async def test_admins_see_their_own_tenant_only(api: Api) -> None:
    own = await api.get(SUMMARY, params={"tenant": api.tenant})
    assert own.status_code == 200, own.text
    other = await api.get(SUMMARY, params={"tenant": "someone-else"})
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "FORBIDDEN"
    if api.mode == "production":
        reader = await api.client.get(
            SUMMARY, headers={"Authorization": f"Bearer {api.keys['reader']}"}
        )
        assert reader.status_code == 403
        anonymous = await api.client.get(SUMMARY)
        assert anonymous.status_code == 401


async def test_the_summary_is_documented_with_its_errors(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    operation = schema["paths"][SUMMARY]["get"]
    assert {"401", "403", "422", "429"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "tenant", "top"}


async def test_listing_and_analytics_read_from_the_replica(
    tmp_path: Path, llm_double: LlmDouble, production_services: Services
) -> None:
    """With ``database.read_url`` set, reads go to the replica: pointed at an empty (migrated)
    database, the listing and the analytics see nothing of what the primary holds."""
    with temporary_postgres_database() as replica_url:
        await migrate(replica_url)
        settings = settings_for(
            "production",
            tmp_path,
            llm_double,
            production_services,
            database={"url": production_services.postgres_url, "read_url": replica_url},
        )
        async with running_api("production", settings, llm_double, worker=False) as api:
            submitted = await api.submit(ARTICLES[0])
            assert submitted.status_code == 202, submitted.text
            listing = await api.get("/api/v1/jobs")
            assert listing.status_code == 200, listing.text
            assert listing.json()["items"] == []
            summary = (await api.get(SUMMARY)).json()
            assert summary["totals"]["checks"] == 0
            # Cancel it, or a later test's worker would run it.
            cancelled = await api.delete(f"/api/v1/jobs/{submitted.json()['job_id']}")
            assert cancelled.status_code == 200, cancelled.text
        settings = settings_for("production", tmp_path, llm_double, production_services)
        async with running_api("production", settings, llm_double, worker=False) as primary:
            primary.headers = api.headers
            listing = await primary.get("/api/v1/jobs")
            assert submitted.json()["job_id"] in {
                item["job_id"] for item in listing.json()["items"]
            }
