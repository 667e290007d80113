"""Guideline sets over the API: shipped (read-only), tenant versions, validation, tests."""

from __future__ import annotations

import pytest

from tests.api.harness import Api, llm_set_yaml, unique

pytestmark = pytest.mark.anyio


async def test_list_and_get_shipped_set(api: Api) -> None:
    listed = await api.get("/api/v1/guideline-sets")
    assert listed.status_code == 200
    shipped = {s["id"]: s for s in listed.json()["items"] if s["shipped"]}
    assert shipped["marketing-eu"]["version"] == 1
    assert any(g["id"] == "no-guarantees" for g in shipped["marketing-eu"]["guidelines"])
    detail = (await api.get("/api/v1/guideline-sets/marketing-eu")).json()
    assert detail["shipped"] is True
    assert detail["latest_version"] == 1
    assert detail["versions"][0]["yaml"] is None


async def test_create_versions_and_check_with_an_exact_version(api: Api) -> None:
    set_id = unique("own")
    first = await api.create_set(llm_set_yaml(set_id, rule=True))
    assert (first["id"], first["version"], first["shipped"]) == (set_id, 1, False)
    second_yaml = llm_set_yaml(set_id, rule=True).replace("Test set", "Second title")
    second = await api.post(
        "/api/v1/guideline-sets", json={"yaml": second_yaml}, headers={"X-Ignored": "1"}
    )
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2
    detail = (await api.get(f"/api/v1/guideline-sets/{set_id}")).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["latest_version"] == 2
    assert detail["versions"][1]["yaml"] == second_yaml
    listed = {s["id"]: s for s in (await api.get("/api/v1/guideline-sets")).json()["items"]}
    assert listed[set_id]["version"] == 2
    result = await api.check(f"Guaranteed {unique('t')}", guideline_set=f"{set_id}@1")
    assert result["guideline_set"] == {"id": set_id, "version": 1}
    job_status = await api.get(f"/api/v1/jobs/{result['job_id']}/status")
    assert job_status.json()["guideline_set"] == {"id": set_id, "version": 1}


async def test_invalid_yaml_names_the_line(api: Api) -> None:
    yaml_text = (
        "id: broken\nversion: 1\ntitle: Broken\nguidelines:\n"
        "  - id: g1\n    title: G1\n    kind: rule\n    severity: fatal\n"
        "    rules: [Some.Rule]\n"
    )
    response = await api.post(
        "/api/v1/guideline-sets",
        content=yaml_text.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_DEFINITION"
    assert error["details"]["line"] == 8
    assert ":8:" in error["message"]


async def test_unknown_rule_and_shipped_id_are_refused(api: Api) -> None:
    unknown_rule = (
        f"id: {unique('norule')}\nversion: 1\ntitle: T\nguidelines:\n"
        "  - id: g1\n    title: G1\n    kind: rule\n    rules: [MarketingEU.DoesNotExist]\n"
    )
    response = await api.post(
        "/api/v1/guideline-sets",
        content=unknown_rule.encode(),
        headers={"Content-Type": "text/yaml"},
    )
    assert response.status_code == 422
    assert "DoesNotExist" in response.json()["error"]["message"]
    shipped = llm_set_yaml("marketing-eu")
    taken = await api.post(
        "/api/v1/guideline-sets",
        content=shipped.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "GUIDELINE_SET_READ_ONLY"
    wrong_type = await api.post(
        "/api/v1/guideline-sets", content=b"<xml/>", headers={"Content-Type": "application/xml"}
    )
    assert wrong_type.status_code == 415


async def test_run_examples_of_shipped_and_own_sets(api: Api) -> None:
    report = await api.post(
        "/api/v1/guideline-sets/marketing-eu/test", json={"guidelines": ["no-guarantees"]}
    )
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["guideline_set"] == "marketing-eu@1"
    assert [g["guideline_id"] for g in body["guidelines"]] == ["no-guarantees"]
    assert body["ok"] is True
    assert body["accuracy"] == 1.0
    set_id, marker = unique("ex"), unique("m")
    await api.create_set(llm_set_yaml(set_id, marker))
    own = (await api.post(f"/api/v1/guideline-sets/{set_id}/test")).json()
    by_id = {g["guideline_id"]: g for g in own["guidelines"]}
    assert by_id["no-guarantees"]["ok"] is True
    unknown = await api.post(
        "/api/v1/guideline-sets/marketing-eu/test", json={"guidelines": ["nope"]}
    )
    assert unknown.status_code == 400


async def test_unknown_set_is_404_everywhere(api: Api) -> None:
    missing = unique("missing")
    assert (await api.get(f"/api/v1/guideline-sets/{missing}")).status_code == 404
    assert (await api.post(f"/api/v1/guideline-sets/{missing}/test")).status_code == 404
    submit = await api.submit("Some text", guideline_set=missing)
    assert submit.status_code == 404
    assert submit.json()["error"]["code"] == "GUIDELINE_SET_NOT_FOUND"
    wrong_version = await api.submit("Some text", guideline_set="marketing-eu@7")
    assert wrong_version.status_code == 404
