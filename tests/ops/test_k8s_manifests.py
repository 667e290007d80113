"""Kubernetes manifests: every overlay renders (kubectl kustomize) and validates (Kubernetes
JSON schemas, strict; KEDA's documented required fields; references between objects)."""

from __future__ import annotations

import copy
import importlib.util
from types import ModuleType
from typing import Any

import pytest

from tests.ops.promql import DEPLOY
from tests.ops.test_compose import setting_names


def _validator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate_k8s", DEPLOY / "k8s" / "validate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VALIDATOR = _validator()


@pytest.fixture(scope="module", params=["medium", "large"])
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, VALIDATOR.render(request.param)


def _one(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = (m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name)
    return found


def test_overlays_are_the_two_topologies() -> None:
    assert VALIDATOR.overlays() == ["large", "medium"]


def test_overlay_is_valid(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, manifests = rendered
    assert VALIDATOR.validate(manifests) == []


def test_api_scaling_probes_and_security(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, manifests = rendered
    hpa = _one(manifests, "HorizontalPodAutoscaler", "compliance-api")
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (
        (2, 10) if overlay == "medium" else (3, 20)
    )
    pod = _one(manifests, "Deployment", "compliance-api")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    for kind, name in (
        ("Deployment", "compliance-api"),
        ("Deployment", "compliance-worker"),
        ("Job", "compliance-migrate"),
    ):
        spec = _one(manifests, kind, name)["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
        for each in spec["containers"]:
            assert each["securityContext"]["readOnlyRootFilesystem"] is True
            assert each["securityContext"]["allowPrivilegeEscalation"] is False
            assert each["resources"]["limits"]
            assert each["resources"]["requests"]
    assert _one(manifests, "Job", "compliance-migrate")["spec"]["template"]["spec"]["containers"][
        0
    ]["args"] == ["migrate"]


def test_workers_scale_on_the_jobs_queue(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, manifests = rendered
    scaled = _one(manifests, "ScaledObject", "compliance-worker")
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "postgresql"
    assert "FROM jobs WHERE status IN ('queued', 'processing')" in trigger["metadata"]["query"]
    config = _one_config(manifests)
    # One worker runs worker.concurrency jobs at once: that is its share of the queue.
    assert trigger["metadata"]["targetQueryValue"] == config["COMPLIANCE_WORKER__CONCURRENCY"]
    assert {m["kind"] for m in manifests} >= {"PodDisruptionBudget", "TriggerAuthentication"}


def test_the_keda_query_runs_on_the_real_schema(postgres_url: str) -> None:
    import asyncio

    from sqlalchemy import text

    from compliance_assistant.storage.db.engine import EngineOptions, create_engine
    from compliance_assistant.storage.db.migrate import migrate

    query = _one(VALIDATOR.render("medium"), "ScaledObject", "compliance-worker")["spec"][
        "triggers"
    ][0]["metadata"]["query"]

    async def run() -> int:
        await migrate(postgres_url)
        engine = create_engine(postgres_url, EngineOptions(pool_size=1, max_overflow=0))
        try:
            async with engine.connect() as connection:
                return int((await connection.execute(text(query))).scalar_one())
        finally:
            await engine.dispose()

    assert asyncio.run(run()) >= 0


def test_config_map_keys_are_real_settings(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, manifests = rendered
    unknown = set(_one_config(manifests)) - setting_names()
    assert not unknown, f"ConfigMap keys that are no setting: {sorted(unknown)}"


def _one_config(manifests: list[dict[str, Any]]) -> dict[str, str]:
    (config,) = (m for m in manifests if m["kind"] == "ConfigMap")
    return dict(config["data"])


def test_validator_reports_schema_keda_and_reference_errors() -> None:
    manifests = VALIDATOR.render("medium")
    broken = copy.deepcopy(manifests)
    api = _one(broken, "Deployment", "compliance-api")
    api["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    del _one(broken, "ScaledObject", "compliance-worker")["spec"]["triggers"][0]["metadata"][
        "query"
    ]
    _one(broken, "Service", "compliance-api")["spec"]["selector"] = {"app": "nothing"}
    broken.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "leak"}})
    problems = "\n".join(VALIDATOR.validate(broken))
    assert "livenessProbes" in problems
    assert "postgresql needs metadata.query" in problems
    assert "Service/compliance-api: selector matches no rendered pod" in problems
    assert "Secret/leak: Secrets must not be in git" in problems
